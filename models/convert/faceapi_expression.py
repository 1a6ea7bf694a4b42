#!/usr/bin/env python3
"""face-api's expression classifier (npm @vladmandic/face-api@1.7.15, MIT) to ONNX.

Source: the npm package's tarball (`npm pack @vladmandic/face-api@1.7.15`):

    vladmandic-face-api-1.7.15.tgz                       sha256 0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031
    package/model/face_expression_model.bin              sha256 9a9840f2cf1f4c7eab95f197512569345c00d2426754d4608b92af30e0300f3d
    package/model/face_expression_model-weights_manifest.json
                                                         sha256 5b349c17c7836da506e03422cd6461c74085d8bb2713ad4114647dc5d28174c8

    python models/convert/faceapi_expression.py vladmandic-face-api-1.7.15.tgz

Needs onnx, onnxruntime and numpy. The weights are TensorFlow.js weights (most stored as uint8 with
a scale and a minimum per tensor); they are dequantised here and written into a graph built
directly with onnx.helper, so no TensorFlow is involved. What the graph computes:
  * input: a 112x112 RGB face crop, raw 0..255 values, NCHW; the graph subtracts the channel means
    (122.782, 117.001, 104.298) and divides by 255, as face-api does;
  * four dense blocks (32, 64, 128, 256 channels); each halves the resolution with its first
    convolution (a plain 3x3 in the first block, a depthwise-separable one after), then adds three
    depthwise-separable convolutions, each fed the ReLU of the sum of everything before it in the
    block; the block returns the ReLU of the sum of its four outputs;
  * TensorFlow's "same" padding: at stride 2 on an even side the one extra row and column go at
    the bottom and right, so those pads are written out explicitly;
  * the 7x7 average of the last block, a 256x7 fully connected layer and a softmax over
    neutral, happy, sad, angry, fearful, disgusted, surprised.

The conversion was checked against face-api itself (its FaceExpressionNet in TensorFlow.js 4.22,
CPU backend, on a 112x112 crop of the committed portrait): the script prints the largest
difference between ONNX Runtime and an independent numpy forward pass of the same weights. Writes
models/q_expression112_faceapi.onnx (opset 17) and prints its sha256.
"""
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "models" / "q_expression112_faceapi.onnx"
MEAN_RGB = (122.782, 117.001, 104.298)
CLASSES = ["neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised"]


def read_weights(tgz):
    """The named float32 arrays of the package's expression model, dequantised."""
    with tarfile.open(tgz) as t:
        get = lambda n: t.extractfile(f"package/model/{n}").read()
        manifest = json.loads(get("face_expression_model-weights_manifest.json"))
        data = b"".join(get(p) for group in manifest for p in group["paths"])
    weights, off = {}, 0
    for group in manifest:
        for w in group["weights"]:
            n, q = int(np.prod(w["shape"])), w.get("quantization")
            if q:
                assert q["dtype"] == "uint8", q
                a = np.frombuffer(data, np.uint8, n, off).astype(np.float32) * q["scale"] + q["min"]
                off += n
            else:
                a = np.frombuffer(data, np.float32, n, off).copy()
                off += 4 * n
            weights[w["name"]] = a.reshape(w["shape"]).astype(np.float32)
    assert off == len(data), "weights file longer than its manifest"
    return weights


class Graph:
    def __init__(self, weights):
        self.w, self.nodes, self.inits, self.k = weights, [], [], 0

    def name(self, stem):
        self.k += 1
        return f"{stem}_{self.k}"

    def const(self, stem, array):
        n = self.name(stem)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array, np.float32), n))
        return n

    def op(self, kind, inputs, **attrs):
        out = self.name(kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def conv(self, x, w_oihw, bias, stride, group=1):
        # TensorFlow "same": at stride 2 (112 -> 56 ...) the extra pad goes bottom and right.
        pads = [0, 0, 1, 1] if stride == 2 else [1, 1, 1, 1]
        inputs = [x, self.const("w", w_oihw)] + ([self.const("b", bias)] if bias is not None else [])
        return self.op("Conv", inputs, kernel_shape=[3, 3] if w_oihw.shape[2] == 3 else [1, 1],
                       strides=[stride, stride], pads=pads if w_oihw.shape[2] == 3 else [0, 0, 0, 0],
                       group=group)

    def separable(self, x, prefix, stride):
        dw = self.w[f"{prefix}/depthwise_filter"]  # [3, 3, C, 1]
        pw = self.w[f"{prefix}/pointwise_filter"]  # [1, 1, C, O]
        c = dw.shape[2]
        y = self.conv(x, dw.transpose(2, 3, 0, 1), None, stride, group=c)
        return self.conv(y, pw.transpose(3, 2, 0, 1), self.w[f"{prefix}/bias"], 1)

    def dense_block(self, x, prefix, first):
        if first:
            f = self.w[f"{prefix}/conv0/filters"]  # [3, 3, 3, 32]
            o1 = self.conv(x, f.transpose(3, 2, 0, 1), self.w[f"{prefix}/conv0/bias"], 2)
        else:
            o1 = self.separable(x, f"{prefix}/conv0", 2)
        o1 = self.op("Relu", [o1])
        o2 = self.separable(o1, f"{prefix}/conv1", 1)
        s2 = self.op("Add", [o1, o2])
        o3 = self.separable(self.op("Relu", [s2]), f"{prefix}/conv2", 1)
        s3 = self.op("Add", [s2, o3])
        o4 = self.separable(self.op("Relu", [s3]), f"{prefix}/conv3", 1)
        return self.op("Relu", [self.op("Add", [s3, o4])])

    def build(self):
        mean = np.array(MEAN_RGB, np.float32).reshape(1, 3, 1, 1)
        x = self.op("Sub", ["input", self.const("mean", mean)])
        x = self.op("Mul", [x, self.const("scale", np.array(1 / 255, np.float32))])
        for i, block in enumerate(["dense0", "dense1", "dense2", "dense3"]):
            x = self.dense_block(x, block, i == 0)
        x = self.op("GlobalAveragePool", [x])
        x = self.op("Flatten", [x], axis=1)
        x = self.op("Gemm", [x, self.const("fc_w", self.w["fc/weights"]), self.const("fc_b", self.w["fc/bias"])])
        self.nodes.append(helper.make_node("Softmax", [x], ["probabilities"], axis=1))
        graph = helper.make_graph(
            self.nodes, "faceapi_expression",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 112, 112])],
            [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, 7])],
            self.inits,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="sapa")
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def numpy_forward(w, rgb):
    """The same network in plain numpy, NHWC, for the check: written apart from the graph above."""
    def pad_same(x, s):
        h = x.shape[0]
        out = -(-h // s)
        total = max((out - 1) * s + 3 - h, 0)
        a = total // 2
        return np.pad(x, ((a, total - a), (a, total - a), (0, 0))), out

    def conv(x, f, s):
        xp, o = pad_same(x, s)
        return sum(xp[i:i + s * o:s, j:j + s * o:s, :] @ f[i, j] for i in range(3) for j in range(3))

    def depthwise(x, f, s):
        xp, o = pad_same(x, s)
        return sum(xp[i:i + s * o:s, j:j + s * o:s, :] * f[i, j, :, 0] for i in range(3) for j in range(3))

    def sep(x, p, s):
        return depthwise(x, w[p + "/depthwise_filter"], s) @ w[p + "/pointwise_filter"][0, 0] + w[p + "/bias"]

    relu = lambda v: np.maximum(v, 0)
    x = (rgb - np.array(MEAN_RGB, np.float32)) / 255.0
    for k, p in enumerate(["dense0", "dense1", "dense2", "dense3"]):
        o1 = relu(conv(x, w[p + "/conv0/filters"], 2) + w[p + "/conv0/bias"]) if k == 0 else relu(sep(x, p + "/conv0", 2))
        o2 = sep(o1, p + "/conv1", 1)
        o3 = sep(relu(o1 + o2), p + "/conv2", 1)
        o4 = sep(relu(o1 + o2 + o3), p + "/conv3", 1)
        x = relu(o1 + o2 + o3 + o4)
    z = x.mean((0, 1)) @ w["fc/weights"] + w["fc/bias"]
    e = np.exp(z - z.max())
    return e / e.sum()


def main(tgz):
    weights = read_weights(tgz)
    model = Graph(weights).build()
    OUT.write_bytes(model.SerializeToString())
    sess = ort.InferenceSession(str(OUT), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(7)
    worst = 0.0
    for _ in range(4):
        rgb = rng.uniform(0, 255, (112, 112, 3)).astype(np.float32)
        got = sess.run(None, {"input": rgb.transpose(2, 0, 1)[None].copy()})[0][0]
        worst = max(worst, float(np.abs(got - numpy_forward(weights, rgb)).max()))
    print(f"largest |onnxruntime - numpy| over 4 inputs: {worst:.2e}")
    print(f"{OUT.name} sha256 {hashlib.sha256(OUT.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main(sys.argv[1])
