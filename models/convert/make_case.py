#!/usr/bin/env python3
"""Writes a model's reference case (models/cases/<id>/) from the committed public-domain portrait:
the input tensor and ONNX Runtime's outputs as raw little-endian f32, shapes in case.json. Every
backend must reproduce these (tests/model_cases.rs).

    python models/convert/make_case.py seg_faceparse384   # or det_palm192, lmk_hand224, pad_minifasnet_*,
                                                          # q_expression112_faceapi

q_blendshapes146 reads landmarks, not pixels: its input is the attention mesh's points on the
portrait's face (../shared/models/lmk_facemesh_attention478.onnx on a fixed square around it), in
crop pixels, at MediaPipe's 146-point subset.
"""
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]

# id -> (size, layout, mean, std): the input each model expects, made from the whole portrait.
# The MiniFASNet models take raw 0..255 values (std 1/255 undoes the x/255) in BGR order; face-api's
# expression model takes raw 0..255 RGB.
RAW = (1 / 255, 1 / 255, 1 / 255)
BGR = {"pad_minifasnet_v2_27", "pad_minifasnet_v1se_40"}
INPUTS = {
    "pad_minifasnet_v2_27": (80, "nchw", (0.0, 0.0, 0.0), RAW),
    "pad_minifasnet_v1se_40": (80, "nchw", (0.0, 0.0, 0.0), RAW),
    "seg_faceparse384": (384, "nchw", (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "det_palm192": (192, "nhwc", (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)),
    "lmk_hand224": (224, "nhwc", (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)),
    "q_expression112_faceapi": (112, "nchw", (0.0, 0.0, 0.0), RAW),
}


# MediaPipe's subset of the 478 mesh-and-iris points that the blendshapes model reads
# (engine/src/quality/blendshapes.rs holds the same list).
BLENDSHAPE_POINTS = [
    0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66,
    67, 70, 78, 80, 81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144, 145,
    146, 148, 149, 150, 152, 153, 154, 155, 157, 158, 159, 160, 161, 162, 163, 168, 172, 173, 176,
    178, 181, 185, 191, 195, 197, 234, 246, 249, 251, 263, 267, 269, 270, 276, 282, 283, 284, 285,
    288, 291, 293, 295, 296, 297, 300, 308, 310, 311, 312, 314, 317, 318, 321, 323, 324, 332, 334,
    336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379, 380, 381, 382, 384, 385, 386, 387,
    388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454, 466, 468, 469, 470, 471, 472, 473, 474,
    475, 476, 477,
]


def mesh_points():
    """The portrait's 478 mesh and iris points, in the 192 px crop's pixels."""
    mesh = ROOT.parent / "shared" / "models" / "lmk_facemesh_attention478.onnx"
    img = Image.open(ROOT / "fixtures" / "astronaut.png").convert("RGB").crop((125, 25, 325, 225))
    x = np.asarray(img.resize((192, 192), Image.BILINEAR), dtype=np.float32)[None] / 255.0
    sess = ort.InferenceSession(str(mesh), providers=["CPUExecutionProvider"])
    out = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {"input_1": x})))
    pts = out["output_mesh_identity"].reshape(-1, 3)[:, :2]
    # The two iris rings (centre first); the one nearer the mesh's point 33 is 468-472.
    a, b = out["Identity_6:0"].reshape(5, 2), out["Identity_2:0"].reshape(5, 2)
    if np.linalg.norm(a[0] - pts[33]) > np.linalg.norm(b[0] - pts[33]):
        a, b = b, a
    return np.concatenate([pts, a, b])


def main(model_id):
    if model_id == "q_blendshapes146":
        return write(model_id, mesh_points()[BLENDSHAPE_POINTS][None].astype(np.float32))
    size, layout, mean, std = INPUTS[model_id]
    img = Image.open(ROOT / "fixtures" / "astronaut.png").convert("RGB").resize((size, size), Image.BILINEAR)
    x = (np.asarray(img, dtype=np.float32) / 255.0 - np.array(mean, np.float32)) / np.array(std, np.float32)
    if model_id in BGR:
        x = x[:, :, ::-1]
    if layout == "nchw":
        x = x.transpose(2, 0, 1)
    write(model_id, np.ascontiguousarray(x[None], dtype=np.float32))


def write(model_id, x):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(ROOT / "models" / f"{model_id}.onnx"), opts)
    out_dir = ROOT / "models" / "cases" / model_id
    out_dir.mkdir(parents=True, exist_ok=True)
    name = sess.get_inputs()[0].name
    clean = lambda n: n.replace(":", "_").replace("/", "_")
    (out_dir / f"in_{clean(name)}.f32").write_bytes(x.astype("<f4").tobytes())
    case = {"model": f"../{model_id}.onnx", "inputs": [{"name": name, "shape": list(x.shape), "file": f"in_{clean(name)}.f32"}], "outputs": []}
    for meta, y in zip(sess.get_outputs(), sess.run(None, {name: x})):
        (out_dir / f"out_{clean(meta.name)}.f32").write_bytes(np.asarray(y, dtype="<f4").tobytes())
        case["outputs"].append({"name": meta.name, "shape": list(y.shape), "file": f"out_{clean(meta.name)}.f32"})
    (out_dir / "case.json").write_text(json.dumps(case, indent=1) + "\n")
    print("wrote", out_dir)


if __name__ == "__main__":
    main(sys.argv[1])
