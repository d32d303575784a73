#!/usr/bin/python3
"""Exports the whole-model test and benchmark models from PyTorch (python3-torch 1.13).

Each model becomes a folder in ONNX test-case layout, so `onnxedge check DIR` can verify it:

    OUT/<name>/model.onnx
    OUT/<name>/test_data_set_0/input_0.pb ...   (seeded random inputs, ONNX TensorProto)
    OUT/<name>/test_data_set_0/output_0.pb ...  (PyTorch's outputs: the reference)

Weights are random but seeded, so every run produces the same files. Nothing is downloaded.

Usage: scripts/export_models.py OUT_DIR [--models resnet18,mobilenet_v2,...]
"""

import argparse
import math
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torchvision
from onnx import numpy_helper

OPSET = 13


# --- A small YOLOv5n-style detector ------------------------------------------------------------
class ConvBnSiLU(nn.Module):
    def __init__(self, c_in, c_out, k=1, s=1, p=None):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, s, k // 2 if p is None else p, bias=False)
        self.bn = nn.BatchNorm2d(c_out)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c, shortcut=True):
        super().__init__()
        self.cv1 = ConvBnSiLU(c, c, 1)
        self.cv2 = ConvBnSiLU(c, c, 3)
        self.add = shortcut

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C3(nn.Module):
    def __init__(self, c_in, c_out, n=1, shortcut=True):
        super().__init__()
        c = c_out // 2
        self.cv1 = ConvBnSiLU(c_in, c, 1)
        self.cv2 = ConvBnSiLU(c_in, c, 1)
        self.cv3 = ConvBnSiLU(2 * c, c_out, 1)
        self.m = nn.Sequential(*[Bottleneck(c, shortcut) for _ in range(n)])

    def forward(self, x):
        return self.cv3(torch.cat([self.m(self.cv1(x)), self.cv2(x)], dim=1))


class SPPF(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        c = c_in // 2
        self.cv1 = ConvBnSiLU(c_in, c, 1)
        self.cv2 = ConvBnSiLU(c * 4, c_out, 1)
        self.pool = nn.MaxPool2d(5, 1, 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.pool(x)
        y2 = self.pool(y1)
        return self.cv2(torch.cat([x, y1, y2, self.pool(y2)], 1))


class Detect(nn.Module):
    """Decodes boxes like YOLOv5: sigmoid, grid offsets, anchors, strides."""

    def __init__(self, nc, chs, strides):
        super().__init__()
        self.nc, self.no, self.na = nc, nc + 5, 3
        self.strides = strides
        self.m = nn.ModuleList(nn.Conv2d(c, self.no * self.na, 1) for c in chs)
        anchors = torch.tensor([[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119],
                                [116, 90, 156, 198, 373, 326]], dtype=torch.float32)
        self.register_buffer("anchors", anchors.view(3, 1, 3, 1, 1, 2))

    def forward(self, xs):
        outs = []
        for i, x in enumerate(xs):
            x = self.m[i](x)
            bs, _, ny, nx = x.shape
            x = x.view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2)
            y = x.sigmoid()
            gy, gx = torch.meshgrid(torch.arange(ny, dtype=torch.float32),
                                    torch.arange(nx, dtype=torch.float32), indexing="ij")
            grid = torch.stack((gx, gy), 2).view(1, 1, ny, nx, 2)
            xy = (y[..., 0:2] * 2 - 0.5 + grid) * self.strides[i]
            wh = (y[..., 2:4] * 2) ** 2 * self.anchors[i]
            y = torch.cat((xy, wh, y[..., 4:]), -1)
            outs.append(y.view(bs, -1, self.no))
        return torch.cat(outs, 1)


class TinyYolo(nn.Module):
    def __init__(self, nc=80):
        super().__init__()
        self.stem = ConvBnSiLU(3, 16, 6, 2, 2)
        self.b1 = nn.Sequential(ConvBnSiLU(16, 32, 3, 2), C3(32, 32, 1))
        self.b2 = nn.Sequential(ConvBnSiLU(32, 64, 3, 2), C3(64, 64, 2))
        self.b3 = nn.Sequential(ConvBnSiLU(64, 128, 3, 2), C3(128, 128, 3))
        self.b4 = nn.Sequential(ConvBnSiLU(128, 256, 3, 2), C3(256, 256, 1), SPPF(256, 256))
        self.lat4 = ConvBnSiLU(256, 128, 1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.c3_p4 = C3(256, 128, 1, False)
        self.lat3 = ConvBnSiLU(128, 64, 1)
        self.c3_p3 = C3(128, 64, 1, False)
        self.down3 = ConvBnSiLU(64, 64, 3, 2)
        self.c3_n4 = C3(128, 128, 1, False)
        self.down4 = ConvBnSiLU(128, 128, 3, 2)
        self.c3_n5 = C3(256, 256, 1, False)
        self.detect = Detect(nc, (64, 128, 256), (8, 16, 32))

    def forward(self, x):
        x = self.b1(self.stem(x))
        p3 = self.b2(x)
        p4 = self.b3(p3)
        p5 = self.b4(p4)
        l4 = self.lat4(p5)
        x = self.c3_p4(torch.cat([self.up(l4), p4], 1))
        l3 = self.lat3(x)
        o3 = self.c3_p3(torch.cat([self.up(l3), p3], 1))
        o4 = self.c3_n4(torch.cat([self.down3(o3), l3], 1))
        o5 = self.c3_n5(torch.cat([self.down4(o4), l4], 1))
        return self.detect([o3, o4, o5])


# --- Transformer encoders ----------------------------------------------------------------------
class Encoder(nn.Module):
    """Token embedding + learned positions + a post-norm GELU transformer encoder."""

    def __init__(self, d_model, layers, heads, ff, vocab=1000, seq=128):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(torch.randn(1, seq, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model, heads, ff, dropout=0.0, activation="gelu",
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        # nn.TransformerEncoder deep-copies one layer, so every layer would start with the same
        # weights, and the exporter stores identical initializers once: a BERT-base file of
        # 117 MiB instead of 420, shared weights no trained model has. Give each layer its own.
        with torch.no_grad():
            for p in self.encoder.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)
                else:
                    p.add_(torch.randn_like(p) * 0.02)

    def forward(self, ids):
        x = self.embed(ids) + self.pos[:, : ids.shape[1]]
        return self.norm(self.encoder(x))


class BertSelfAttentionLike(nn.Module):
    """Hugging Face BertSelfAttention's math in plain torch ops: batch-first 4-D heads
    ([B, S, n*d] -> view [B, S, n, d] -> permute(0, 2, 1, 3)), scores / sqrt(d) + the extended
    mask, softmax, P V, permute back and view [B, S, n*d]."""

    def __init__(self, hidden, heads):
        super().__init__()
        self.heads, self.head_size = heads, hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)

    def split_heads(self, x):
        return x.view(x.size()[:-1] + (self.heads, self.head_size)).permute(0, 2, 1, 3)

    def forward(self, hidden, extended_mask):
        q = self.split_heads(self.query(hidden))
        k = self.split_heads(self.key(hidden))
        v = self.split_heads(self.value(hidden))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size)
        probs = torch.softmax(scores + extended_mask, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.size()[:-2] + (self.heads * self.head_size,))


class BertLayerLike(nn.Module):
    """BertLayer: self-attention, output dense + residual LayerNorm, GELU MLP + LayerNorm."""

    def __init__(self, hidden, heads, ff):
        super().__init__()
        self.attention = BertSelfAttentionLike(hidden, heads)
        self.attn_out = nn.Linear(hidden, hidden)
        self.attn_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate = nn.Linear(hidden, ff)
        self.output = nn.Linear(ff, hidden)
        self.out_norm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x, extended_mask):
        a = self.attn_norm(self.attn_out(self.attention(x, extended_mask)) + x)
        h = nn.functional.gelu(self.intermediate(a))
        return self.out_norm(self.output(h) + a)


class BertLike(nn.Module):
    """A small Hugging Face BERT (BertModel without pooler) in plain torch ops: word, position
    and token-type embeddings with LayerNorm, and the [B, S] 0/1 attention_mask turned into
    the additive extended mask (1 - m) * -10000 of shape [B, 1, 1, S] the way
    get_extended_attention_mask does."""

    def __init__(self, hidden, layers, heads, ff, vocab=1000, seq=128):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(seq, hidden)
        self.token_type = nn.Embedding(2, hidden)
        self.embed_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(BertLayerLike(hidden, heads, ff) for _ in range(layers))
        self.register_buffer("position_ids", torch.arange(seq).unsqueeze(0))

    def forward(self, ids, attention_mask):
        s = ids.shape[1]
        x = self.word(ids) + self.position(self.position_ids[:, :s])
        x = self.embed_norm(x + self.token_type(torch.zeros_like(ids)))
        extended = attention_mask[:, None, None, :].to(x.dtype)
        extended = (1.0 - extended) * -10000.0
        for layer in self.layers:
            x = layer(x, extended)
        return x


def make_model(name):
    if name == "resnet18":
        return torchvision.models.resnet18(weights=None), [("input", (1, 3, 224, 224), "image")]
    if name == "mobilenet_v2":
        return torchvision.models.mobilenet_v2(weights=None), [("input", (1, 3, 224, 224), "image")]
    if name == "transformer_encoder":
        return Encoder(256, 4, 4, 1024), [("ids", (1, 128), "ids")]
    if name == "bert_base_encoder":
        return Encoder(768, 12, 12, 3072, vocab=30522), [("ids", (1, 128), "ids")]
    if name == "bert_tiny_hf":
        return BertLike(128, 2, 4, 512), [("ids", (1, 32), "ids"),
                                          ("attention_mask", (1, 32), "mask")]
    if name == "yolo_tiny":
        return TinyYolo(), [("images", (1, 3, 320, 320), "image")]
    raise SystemExit(f"unknown model '{name}'")


# Models run by the whole-model tests; the BERT-sized encoder is for benchmarks only.
TEST_MODELS = ["resnet18", "mobilenet_v2", "transformer_encoder", "yolo_tiny", "bert_tiny_hf"]
ALL_MODELS = TEST_MODELS + ["bert_base_encoder"]


def randomize_batchnorm(model, gen):
    """Fresh BatchNorm layers are identity-like; give them real statistics so folding matters."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(m.num_features, generator=gen) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(m.num_features, generator=gen) * 0.1)


def write_pb(array, path, name):
    tensor = numpy_helper.from_array(np.ascontiguousarray(array), name)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(tensor.SerializeToString())
    os.replace(tmp, path)


def export(name, out_dir):
    torch.manual_seed(1234)
    gen = torch.Generator().manual_seed(4321)
    model, inputs = make_model(name)
    with torch.no_grad():
        randomize_batchnorm(model, gen)
    model.eval()
    feeds = []
    for input_name, shape, kind in inputs:
        if kind == "ids":
            feeds.append(torch.randint(0, 1000, shape, generator=gen, dtype=torch.int64))
        elif kind == "mask":
            # 0/1 with the last quarter padded out, so the mask changes the answer.
            mask = torch.ones(shape, dtype=torch.int64)
            mask[..., shape[-1] - shape[-1] // 4:] = 0
            feeds.append(mask)
        else:
            feeds.append(torch.rand(shape, generator=gen, dtype=torch.float32))
    with torch.no_grad():
        ref = model(*feeds)
    refs = ref if isinstance(ref, (tuple, list)) else [ref]

    folder = os.path.join(out_dir, name)
    data = os.path.join(folder, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    fd, tmp_model = tempfile.mkstemp(suffix=".onnx", dir=folder)
    os.close(fd)
    torch.onnx.export(model, tuple(feeds), tmp_model, opset_version=OPSET,
                      input_names=[n for n, _, _ in inputs],
                      output_names=[f"output_{i}" for i in range(len(refs))],
                      do_constant_folding=True)
    os.replace(tmp_model, os.path.join(folder, "model.onnx"))
    for i, (feed, (input_name, _, _)) in enumerate(zip(feeds, inputs)):
        write_pb(feed.numpy(), os.path.join(data, f"input_{i}.pb"), input_name)
    for i, r in enumerate(refs):
        write_pb(r.numpy(), os.path.join(data, f"output_{i}.pb"), f"output_{i}")
    print(f"exported {name} -> {folder}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--models", default=",".join(TEST_MODELS),
                        help=f"comma-separated subset of {','.join(ALL_MODELS)}")
    args = parser.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for name in args.models.split(","):
        if name not in ALL_MODELS:
            print(f"unknown model '{name}' (known: {', '.join(ALL_MODELS)})", file=sys.stderr)
            return 2
        export(name, args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
