#!/usr/bin/env python3
"""MediaPipe's palm detector and hand-landmark model, from the `mediapipe` wheel on PyPI
(Apache-2.0), to ONNX:

    pip download --no-deps -d /tmp/wheels mediapipe==0.10.14
    python models/convert/mediapipe_hands.py /tmp/wheels/mediapipe-0.10.14-cp311-*.whl

Needs tf2onnx 1.17 (with tensorflow-cpu for its TFLite reader) and onnxruntime. Writes
models/det_palm192.onnx and models/lmk_hand224.onnx (opset 17, batch 1) and prints, for each, the
TFLite and ONNX sha256 and the largest difference from the TFLite interpreter on a few inputs.
tf2onnx does not write byte-identical files from run to run: the manifest pins the committed
files, and this script shows that a fresh conversion computes the same function.
"""
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
# model id -> path inside the wheel
MODELS = {
    "det_palm192": "mediapipe/modules/palm_detection/palm_detection_full.tflite",
    "lmk_hand224": "mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
}


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def worst_difference(tflite, onnx_path):
    import onnxruntime as ort
    import tensorflow as tf

    interp = tf.lite.Interpreter(model_path=str(tflite))
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    size = int(inp["shape"][1])
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    rng = np.random.default_rng(1)
    ramp = np.linspace(0, 1, size, dtype=np.float32)
    inputs = [
        rng.random((1, size, size, 3), dtype=np.float32),
        np.full((1, size, size, 3), 0.5, np.float32),
        np.stack([np.add.outer(ramp, ramp) / 2] * 3, -1)[None].astype(np.float32),
    ]
    worst = 0.0
    for x in inputs:
        interp.set_tensor(inp["index"], x)
        interp.invoke()
        got = dict(zip(names, sess.run(None, {sess.get_inputs()[0].name: x})))
        for o in interp.get_output_details():
            worst = max(worst, float(np.abs(interp.get_tensor(o["index"]) - got[o["name"]]).max()))
    return worst


def main(wheel):
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(wheel) as z:
        for model_id, inner in MODELS.items():
            tflite = Path(z.extract(inner, tmp))
            out = Path(tmp) / f"{model_id}.onnx"
            subprocess.run(
                [sys.executable, "-m", "tf2onnx.convert", "--tflite", str(tflite), "--opset", "17", "--output", str(out)],
                check=True,
                capture_output=True,
            )
            committed = ROOT / "models" / f"{model_id}.onnx"
            print(f"{model_id}: {inner}\n  tflite sha256 {sha256(tflite)}\n  fresh onnx sha256 {sha256(out)}")
            print(f"  fresh onnx vs tflite, max |diff|: {worst_difference(tflite, out):.3g}")
            if committed.exists():
                print(f"  committed onnx vs tflite, max |diff|: {worst_difference(tflite, committed):.3g}")
            else:
                out.replace(committed)
                print(f"  wrote {committed}")


if __name__ == "__main__":
    main(sys.argv[1])
