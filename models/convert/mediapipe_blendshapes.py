#!/usr/bin/env python3
"""MediaPipe's face-blendshapes model (Apache-2.0), from the Face Landmarker task bundle, to ONNX.

The bundle is Google's `face_landmarker.task` (float16, version 1): a zip that holds the detector,
the landmark model and `face_blendshapes.tflite`. Take it from MediaPipe's model storage, or from
any copy whose sha256 matches the one pinned below:

    python models/convert/mediapipe_blendshapes.py /path/to/face_landmarker.task

Needs tf2onnx 1.16.1 and onnx 1.16.2 (with tensorflow-cpu 2.15 for its TFLite reader), numpy and onnxruntime.
Writes models/q_blendshapes146.onnx (opset 17, batch 1) and prints the TFLite and ONNX sha256, the
largest difference from the TFLite interpreter on a few inputs, and whether the model's output
depends on where the face sits in the frame and at what scale (it does not: the model centres and
scales the points itself, so the engine may pass source-pixel coordinates as MediaPipe does).
"""
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
TASK_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
MEMBER = "face_blendshapes.tflite"
OUT = ROOT / "models" / "q_blendshapes146.onnx"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def face_like(rng):
    """146 points in a face-sized cloud, in pixels, slightly jittered."""
    base = rng.random((146, 2), dtype=np.float32) * 200.0 + 300.0
    return base[None].astype(np.float32)


def compare(tflite_path, onnx_path):
    import onnxruntime as ort
    import tensorflow as tf

    interp = tf.lite.Interpreter(model_path=str(tflite_path))
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    outs = interp.get_output_details()
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    rng = np.random.default_rng(1)
    worst = 0.0
    first = None
    for k in range(4):
        x = face_like(rng)
        interp.set_tensor(inp["index"], x)
        interp.invoke()
        ref = interp.get_tensor(outs[0]["index"])
        got = sess.run(None, {name: x})[0]
        worst = max(worst, float(np.abs(ref.reshape(-1) - got.reshape(-1)).max()))
        if first is None:
            first = (x, got)
    x, y = first
    moved = sess.run(None, {name: (x * 2.0 + 137.0).astype(np.float32)})[0]
    print(f"worst difference from TFLite: {worst:.2e}")
    print(f"after doubling the scale and moving the points: {np.abs(moved - y).max():.2e}")


def main(task):
    data = Path(task).read_bytes()
    got = sha256(data)
    if got != TASK_SHA256:
        sys.exit(f"{task}: sha256 {got}, expected {TASK_SHA256}")
    with tempfile.TemporaryDirectory() as tmp:
        tflite = Path(tmp) / MEMBER
        tflite.write_bytes(zipfile.ZipFile(task).read(MEMBER))
        print(f"{MEMBER}: sha256 {sha256(tflite.read_bytes())}")
        subprocess.run(
            [sys.executable, "-m", "tf2onnx.convert", "--tflite", str(tflite), "--output", str(OUT),
             "--opset", "17"],
            check=True,
        )
        print(f"{OUT.name}: sha256 {sha256(OUT.read_bytes())}")
        compare(tflite, OUT)


if __name__ == "__main__":
    main(sys.argv[1])
