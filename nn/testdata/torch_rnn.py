"""PyTorch side of nn's recurrent interop test (TestTorchRecurrent in rnn_test.go).

Usage: python3 torch_rnn.py JOB.json

JOB.json lists cases; for each, "kind" is "rnn", "gru" or "lstm", "in" and "hidden"
the sizes, "file" a safetensors file written by the Go test holding the layer's
weights (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0), the input "x"
[N, T, F], the gradient "dy" [N, T, H] of the loss with respect to the output
sequence and, optionally, the initial states "h0" and "c0" [N, H]. The script
loads the weights into torch.nn.RNN/GRU/LSTM(batch_first=True) with
load_state_dict(strict=True), runs it, backpropagates dy and writes to "out"
the output "y", the input gradient "dx", each parameter's gradient under its
own name and, with initial states, "dh0" (and "dc0").
"""

import json
import sys

import torch

from torch_interop import read_safetensors, write_safetensors


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    for c in job:
        t = read_safetensors(c["file"])
        cls = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[c["kind"]]
        m = cls(c["in"], c["hidden"], batch_first=True)
        m.load_state_dict({k: t[k] for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")}, strict=True)
        x = t["x"].clone().requires_grad_(True)
        state = None
        if "h0" in t:
            h0 = t["h0"].unsqueeze(0).clone().requires_grad_(True)
            state = h0
            if c["kind"] == "lstm":
                c0 = t["c0"].unsqueeze(0).clone().requires_grad_(True)
                state = (h0, c0)
        y, _ = m(x, state)
        y.backward(t["dy"])
        out = {"y": y, "dx": x.grad}
        for name, p in m.named_parameters():
            out[name] = p.grad
        if state is not None:
            out["dh0"] = h0.grad[0]
            if c["kind"] == "lstm":
                out["dc0"] = c0.grad[0]
        write_safetensors(c["out"], out)


if __name__ == "__main__":
    main()
