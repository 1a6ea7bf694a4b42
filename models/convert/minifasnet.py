#!/usr/bin/env python3
"""MiniFASNet passive anti-spoofing models (Minivision Silent-Face-Anti-Spoofing, Apache-2.0) to ONNX.

Source: github.com/minivision-ai/Silent-Face-Anti-Spoofing at commit
b6d5f04ad78778917853b25c778acef6d5626d15, resources/anti_spoof_models/:

    2.7_80x80_MiniFASNetV2.pth      sha256 a5eb02e1843f19b5386b953cc4c9f011c3f985d0ee2bb9819eea9a142099bec0
    4_0_0_80x80_MiniFASNetV1SE.pth  sha256 84ee1d37d96894d5e82de5a57df044ef80a58be2b218b5ed7cdfd875ec2f5990

    git --git-dir=REPO show HEAD:resources/anti_spoof_models/2.7_80x80_MiniFASNetV2.pth > /tmp/v2.pth
    git --git-dir=REPO show HEAD:resources/anti_spoof_models/4_0_0_80x80_MiniFASNetV1SE.pth > /tmp/v1se.pth
    python models/convert/minifasnet.py /tmp/v2.pth /tmp/v1se.pth

Needs torch (2.5), onnx, onnxruntime, numpy and pillow. The network is not imported from upstream: it is rebuilt
here from the checkpoint itself. Every layer's channel counts, groups and kernel come from the
shapes of its parameters, so the only architectural knowledge written down is the order of the
stages and what one stage computes (a MobileFaceNet-style stem, inverted bottlenecks with an
optional squeeze-excitation on the last block of a residual stage, a 5x5 depthwise "global"
convolution, a 128-d embedding and a 3-way classifier). Weights are loaded with strict=True, so
a missing or extra parameter stops the conversion.

Upstream preprocessing, which the engine reproduces (engine/src/pad/):
  * crop: the face box scaled by 2.7 (V2) or 4.0 (V1SE) about its centre, the scale lowered when
    the image is too small for it, the square shifted back inside the image (never padded);
  * resize to 80x80 (bilinear), BGR channel order, raw 0..255 values: upstream's ToTensor has
    its division by 255 commented out;
  * softmax over 3 logits; index 1 is "real", 0 and 2 are the two attack classes. Upstream sums
    both models' softmax and takes the argmax.

Writes models/pad_minifasnet_v2_27.onnx and models/pad_minifasnet_v1se_40.onnx (opset 17,
fixed 1x3x80x80, output "logits" [1,3]) and prints the largest |ONNX Runtime - PyTorch| over a
few inputs and each file's sha256.
"""
import hashlib
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
SIZE = 80
OUTPUTS = {0: "pad_minifasnet_v2_27", 1: "pad_minifasnet_v1se_40"}
# Stage names in forward order. "bottleneck" stages change resolution (stride 2, no shortcut);
# "residual" stages hold stride-1 blocks whose output is added to their input.
STAGES = [
    ("conv1", "cbp", 2),
    ("conv2_dw", "cbp", 1),
    ("conv_23", "bottleneck", 2),
    ("conv_3", "residual", 1),
    ("conv_34", "bottleneck", 2),
    ("conv_4", "residual", 1),
    ("conv_45", "bottleneck", 2),
    ("conv_5", "residual", 1),
    ("conv_6_sep", "cbp", 1),
    ("conv_6_dw", "cb_valid", 1),
]


def conv_from(w, stride, pad):
    """A bias-free Conv2d shaped like weight `w`; a weight with one input channel per group
    and as many outputs as the layer before had channels is depthwise."""
    out_c, per_group, kh, kw = w.shape
    groups = out_c if per_group == 1 and out_c > 1 else 1
    return nn.Conv2d(per_group * groups, out_c, (kh, kw), stride, pad, groups=groups, bias=False)


class ConvUnit(nn.Module):
    """convolution, batch norm, then PReLU unless `linear` (a projection keeps its sign)."""

    def __init__(self, sd, prefix, stride, pad, linear=False):
        super().__init__()
        w = sd[prefix + ".conv.weight"]
        self.conv = conv_from(w, stride, pad)
        self.bn = nn.BatchNorm2d(w.shape[0])
        self.prelu = None if linear else nn.PReLU(w.shape[0])

    def forward(self, x):
        x = self.bn(self.conv(x))
        return x if self.prelu is None else self.prelu(x)


class Excite(nn.Module):
    """Channel gating: the pooled feature through a narrow 1x1 bottleneck, a sigmoid per channel."""

    def __init__(self, sd, prefix):
        super().__init__()
        w1, w2 = sd[prefix + ".fc1.weight"], sd[prefix + ".fc2.weight"]
        self.fc1 = nn.Conv2d(w1.shape[1], w1.shape[0], 1, bias=False)
        self.bn1 = nn.BatchNorm2d(w1.shape[0])
        self.fc2 = nn.Conv2d(w2.shape[1], w2.shape[0], 1, bias=False)
        self.bn2 = nn.BatchNorm2d(w2.shape[0])

    def forward(self, x):
        g = x.mean(dim=(2, 3), keepdim=True)
        g = self.bn2(self.fc2(F.relu(self.bn1(self.fc1(g)))))
        return x * torch.sigmoid(g)


class Bottleneck(nn.Module):
    """1x1 expand, 3x3 depthwise (carrying the stride), 1x1 linear projection; in a residual
    stage the result (gated when the block has an excitation) is added to the input."""

    def __init__(self, sd, prefix, stride, shortcut):
        super().__init__()
        self.conv = ConvUnit(sd, prefix + ".conv", 1, 0)
        self.conv_dw = ConvUnit(sd, prefix + ".conv_dw", stride, 1)
        self.project = ConvUnit(sd, prefix + ".project", 1, 0, linear=True)
        self.se_module = Excite(sd, prefix + ".se_module") if prefix + ".se_module.fc1.weight" in sd else None
        self.shortcut = shortcut

    def forward(self, x):
        y = self.project(self.conv_dw(self.conv(x)))
        if self.se_module is not None:
            y = self.se_module(y)
        return x + y if self.shortcut else y


class Stack(nn.Module):
    """A residual stage: as many blocks as the checkpoint has under `prefix.model.N`."""

    def __init__(self, sd, prefix):
        super().__init__()
        n = 1 + max(int(k.split(".")[2]) for k in sd if k.startswith(prefix + ".model."))
        self.model = nn.Sequential(*[Bottleneck(sd, f"{prefix}.model.{i}", 1, True) for i in range(n)])

    def forward(self, x):
        return self.model(x)


class MiniFAS(nn.Module):
    def __init__(self, sd):
        super().__init__()
        for name, kind, stride in STAGES:
            if kind == "cbp":
                k = sd[name + ".conv.weight"].shape[-1]
                layer = ConvUnit(sd, name, stride, k // 2)
            elif kind == "cb_valid":
                layer = ConvUnit(sd, name, 1, 0, linear=True)
            elif kind == "bottleneck":
                layer = Bottleneck(sd, name, stride, False)
            else:
                layer = Stack(sd, name)
            setattr(self, name, layer)
        lw, pw = sd["linear.weight"], sd["prob.weight"]
        self.linear = nn.Linear(lw.shape[1], lw.shape[0], bias=False)
        self.bn = nn.BatchNorm1d(lw.shape[0])
        self.prob = nn.Linear(pw.shape[1], pw.shape[0], bias=False)

    def forward(self, x):
        for name, _, _ in STAGES:
            x = getattr(self, name)(x)
        x = torch.flatten(x, 1)
        return self.prob(self.bn(self.linear(x)))


def load(path):
    raw = torch.load(path, map_location="cpu", weights_only=True)
    sd = OrderedDict((k.removeprefix("module."), v) for k, v in raw.items())
    net = MiniFAS(sd)
    net.load_state_dict(sd, strict=True)
    return net.eval()


def inputs():
    """Probe inputs in the model's own range (raw 0..255 BGR)."""
    rng = np.random.default_rng(7)
    ramp = np.linspace(0, 255, SIZE, dtype=np.float32)
    face = np.asarray(
        __import__("PIL.Image", fromlist=["Image"]).open(ROOT / "fixtures" / "astronaut.png").convert("RGB").resize((SIZE, SIZE)),
        np.float32,
    )[:, :, ::-1]
    return [
        rng.uniform(0, 255, (1, 3, SIZE, SIZE)).astype(np.float32),
        np.full((1, 3, SIZE, SIZE), 128.0, np.float32),
        np.broadcast_to(np.add.outer(ramp, ramp) / 2, (1, 3, SIZE, SIZE)).astype(np.float32).copy(),
        np.ascontiguousarray(face.transpose(2, 0, 1)[None]),
    ]


def main(v2_path, v1se_path):
    import onnxruntime as ort

    for idx, path in enumerate([v2_path, v1se_path]):
        model_id = OUTPUTS[idx]
        net = load(path)
        out = ROOT / "models" / f"{model_id}.onnx"
        torch.onnx.export(
            net,
            torch.zeros(1, 3, SIZE, SIZE),
            str(out),
            input_names=["input"],
            output_names=["logits"],
            opset_version=17,
            do_constant_folding=True,
        )
        sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
        worst, probs = 0.0, []
        with torch.no_grad():
            for x in inputs():
                want = net(torch.from_numpy(x)).numpy()
                got = sess.run(None, {"input": x})[0]
                worst = max(worst, float(np.abs(want - got).max()))
                probs.append(np.round(F.softmax(torch.from_numpy(got), 1).numpy()[0], 3).tolist())
        digest = hashlib.sha256(out.read_bytes()).hexdigest()
        print(f"{model_id}: {Path(path).name} (sha256 {hashlib.sha256(Path(path).read_bytes()).hexdigest()})")
        print(f"  wrote {out} sha256 {digest}")
        print(f"  max |onnxruntime - torch| over {len(probs)} inputs: {worst:.3g}; softmax {probs}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
