#!/usr/bin/env python3
"""Writes a model's reference case (models/cases/<id>/) from the committed public-domain portrait:
the input tensor and ONNX Runtime's outputs as raw little-endian f32, shapes in case.json. Every
backend must reproduce these (tests/model_cases.rs).

    python models/convert/make_case.py seg_faceparse384   # or det_palm192, lmk_hand224, pad_minifasnet_*
"""
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]

# id -> (size, layout, mean, std): the input each model expects, made from the whole portrait.
# The MiniFASNet models take raw 0..255 values (std 1/255 undoes the x/255) in BGR order.
RAW = (1 / 255, 1 / 255, 1 / 255)
BGR = {"pad_minifasnet_v2_27", "pad_minifasnet_v1se_40"}
INPUTS = {
    "pad_minifasnet_v2_27": (80, "nchw", (0.0, 0.0, 0.0), RAW),
    "pad_minifasnet_v1se_40": (80, "nchw", (0.0, 0.0, 0.0), RAW),
    "seg_faceparse384": (384, "nchw", (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "det_palm192": (192, "nhwc", (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)),
    "lmk_hand224": (224, "nhwc", (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)),
}


def main(model_id):
    size, layout, mean, std = INPUTS[model_id]
    img = Image.open(ROOT / "fixtures" / "astronaut.png").convert("RGB").resize((size, size), Image.BILINEAR)
    x = (np.asarray(img, dtype=np.float32) / 255.0 - np.array(mean, np.float32)) / np.array(std, np.float32)
    if model_id in BGR:
        x = x[:, :, ::-1]
    if layout == "nchw":
        x = x.transpose(2, 0, 1)
    x = np.ascontiguousarray(x[None], dtype=np.float32)
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
