"""PyTorch's side of the row-by-row MNIST speed comparison: training steps per second of the model of
models.GRU / models.LSTM (GRU or LSTM(28 -> 128, batch_first) over the 28 rows of an image, Linear(128, 10)
on the last step) on synthetic data at batch 64 with SGD (momentum 0.9, lr 0.01), as
`go run ./cmd/bench -models gru,lstm -matmul=false -ops=false -batch 64` times ours.

usage: python3 scripts/torch_rnn_mnist.py gru|lstm [threads]
Prints the median of 5 timings of 20 steps each, after 5 warm-up steps.
"""
import sys, time, torch
kind = sys.argv[1]; threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
torch.set_num_threads(threads); torch.manual_seed(1)
class M(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.rnn = (torch.nn.GRU if kind == "gru" else torch.nn.LSTM)(28, 128, batch_first=True)
        s.fc = torch.nn.Linear(128, 10)
    def forward(s, x):
        y, _ = s.rnn(x.view(-1, 28, 28))
        return s.fc(y[:, -1])
m = M(); opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
x = torch.randn(64, 1, 28, 28); y = torch.randint(0, 10, (64,))
def step():
    opt.zero_grad(); torch.nn.functional.cross_entropy(m(x), y).backward(); opt.step()
for _ in range(5): step()
ts = []
for _ in range(5):
    t0 = time.perf_counter()
    for _ in range(20): step()
    ts.append((time.perf_counter() - t0) / 20)
ts.sort(); med = ts[len(ts)//2]
print(f"torch {torch.__version__} {kind} threads {threads}: median {med*1e3:.1f} ms/step, {64/med:.0f} images/s, min {ts[0]*1e3:.1f} ms")
