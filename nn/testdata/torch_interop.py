"""PyTorch side of nn's interop test (TestTorchInterop in torch_interop_test.go).

Usage: python3 torch_interop.py JOB.json

JOB.json lists models; for each, "layers" describes a torch.nn.Sequential
equivalent to the Go model, layer for layer ("residual" and "concat" hold
the layers of their paths, built as nested torch.nn.Sequential, so that
the state_dict keys nest as the Go names do: "3.body.0.weight"). For each model this script
1. loads the Go model's weights ("ours", written by nn.SaveWeights) with
   load_state_dict(strict=True), runs it in evaluation mode on the input
   ("input", tensor "x") and writes the output to "ours_out" (tensor "y");
2. initialises the same architecture with torch's own initialisers (seeded),
   sets BatchNorm's affine parameters to random values and runs two
   training-mode forwards so that the running statistics and
   num_batches_tracked move, writes the state_dict to "theirs", and the
   evaluation output on the input to "theirs_out".

The safetensors format is read and written here by hand (struct, json,
torch.frombuffer): an 8-byte little-endian header length, a JSON header,
then the data.
"""

import json
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "I64": torch.int64}
NAMES = {v: k for k, v in DTYPES.items()}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    buf = data[8 + n :]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = DTYPES[entry["dtype"]]
        if end > begin:
            t = torch.frombuffer(bytearray(buf[begin:end]), dtype=dtype)
        else:
            t = torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(entry["shape"])
    return tensors


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors, key=lambda k: (-tensors[k].element_size(), k)):
        t = tensors[name].detach().contiguous().cpu()
        a = t.numpy()
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {
            "dtype": NAMES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        chunks.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


class Residual(torch.nn.Module):
    """y = body(x) + proj(x), or body(x) + x without a projection."""

    def __init__(self, body, proj):
        super().__init__()
        self.body = body
        self.proj = proj

    def forward(self, x):
        return self.body(x) + (x if self.proj is None else self.proj(x))


class GlobalAvgPool(torch.nn.Module):
    """nn.AdaptiveAvgPool2d(1) and nn.Flatten() in one module holding nothing."""

    def forward(self, x):
        return torch.flatten(torch.nn.functional.adaptive_avg_pool2d(x, 1), 1)


class Concat(torch.nn.Module):
    """torch.cat of the branches' outputs along dim 1."""

    def __init__(self, branches):
        super().__init__()
        self.branches = torch.nn.ModuleList(branches)

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], dim=1)


def build(layers):
    nn = torch.nn
    mods = []
    for l in layers:
        kind = l["type"]
        if kind == "conv":
            mods.append(nn.Conv2d(l["in"], l["out"], (l["kh"], l["kw"]), stride=l["stride"], padding=l["pad"], bias=l["bias"]))
        elif kind == "linear":
            mods.append(nn.Linear(l["in"], l["out"], bias=l["bias"]))
        elif kind in ("bn1d", "bn2d"):
            cls = nn.BatchNorm1d if kind == "bn1d" else nn.BatchNorm2d
            mods.append(cls(l["c"], eps=l["eps"], momentum=l["momentum"]))
        elif kind == "maxpool":
            mods.append(nn.MaxPool2d(l["k"], stride=l["stride"], padding=l["pad"]))
        elif kind == "avgpool":
            mods.append(nn.AvgPool2d(l["k"], stride=l["stride"], padding=l["pad"]))
        elif kind == "flatten":
            mods.append(nn.Flatten())
        elif kind == "dropout":
            mods.append(nn.Dropout(l["p"]))
        elif kind == "relu":
            mods.append(nn.ReLU())
        elif kind == "tanh":
            mods.append(nn.Tanh())
        elif kind == "sigmoid":
            mods.append(nn.Sigmoid())
        elif kind == "layernorm":
            mods.append(nn.LayerNorm(l["shape"], eps=l["eps"]))
        elif kind == "gap":
            mods.append(GlobalAvgPool())
        elif kind == "residual":
            mods.append(Residual(build(l["body"]), build(l["proj"]) if "proj" in l else None))
        elif kind == "concat":
            mods.append(Concat([build(b) for b in l["branches"]]))
        else:
            raise ValueError("unknown layer type %r" % kind)
    return nn.Sequential(*mods)


def run(job):
    x = read_safetensors(job["input"])["x"]

    ours = build(job["layers"])
    state = read_safetensors(job["ours"])
    for name, t in ours.state_dict().items():
        if name not in state or state[name].dtype != t.dtype:
            raise SystemExit("%s: %s missing or not %s" % (job["ours"], name, t.dtype))
    ours.load_state_dict(state, strict=True)
    ours.eval()
    with torch.no_grad():
        write_safetensors(job["ours_out"], {"y": ours(x)})

    torch.manual_seed(job["seed"])
    theirs = build(job["layers"])
    with torch.no_grad():
        for m in theirs.modules():
            if isinstance(m, (torch.nn.modules.batchnorm._BatchNorm, torch.nn.LayerNorm)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
        theirs.train()
        for _ in range(2):
            theirs(torch.randn(8, *x.shape[1:]))
        theirs.eval()
        write_safetensors(job["theirs"], theirs.state_dict())
        write_safetensors(job["theirs_out"], {"y": theirs(x)})


def main():
    torch.set_num_threads(2)
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    for job in jobs:
        run(job)


if __name__ == "__main__":
    main()
