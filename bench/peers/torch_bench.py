"""PyTorch peer for `npm run bench` (bench/peers/torch.bench.ts runs this once per thread count).

argv[1]: JSON {"threads": t, "repeats": r, "matmul": [[m, n, k], ...], "train": [batch, ...], "sample": [batch, ...]}
stdout: one JSON object per case: {"bench", "shape", "times_ms": [...]} (shape names as the TypeScript side).
The network is the thesis appendix's MLP (n_var = 40, widths 128/256/512, SinusoidalPosEmb(n_steps = 1000)).
"""
import json, math, sys, time
import torch
import torch.nn as nn

spec = json.loads(sys.argv[1])
torch.set_num_threads(spec["threads"])
torch.manual_seed(0)
REPEATS = spec["repeats"]
N_VAR, N_STEPS = 40, 1000
nonlinearity = nn.GELU()


class SinusoidalPosEmb(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        half_dim = self.dim // 2
        emb = math.log(10000) / (half_dim - 1)
        emb = torch.exp(torch.arange(half_dim) * -emb)
        emb = x[:, None] * emb[None, :]
        return torch.cat((emb.sin(), emb.cos()), dim=-1)


class ResNetBlock(nn.Module):
    def __init__(self, in_hidden, out_hidden, temb):
        super().__init__()
        self.in_hidden, self.out_hidden = in_hidden, out_hidden
        self.temb_proj = nn.Linear(temb, out_hidden)
        self.mlp1 = nn.Linear(in_hidden, out_hidden)
        self.mlp2 = nn.Linear(out_hidden, out_hidden)
        if in_hidden != out_hidden:
            self.conv_shortcut = nn.Linear(in_hidden, out_hidden)

    def forward(self, x, temb):
        h = self.mlp1(nonlinearity(x))
        h = h + self.temb_proj(nonlinearity(temb))
        h = self.mlp2(nonlinearity(h))
        if self.in_hidden != self.out_hidden:
            x = self.conv_shortcut(x)
        return x + h


class MLP(nn.Module):
    def __init__(self, n_var, n_dim=128, n_hidden1=256, n_hidden2=512):
        super().__init__()
        self.t_emb = nn.Sequential(SinusoidalPosEmb(N_STEPS), nn.Linear(N_STEPS, n_hidden1), nn.GELU(), nn.Linear(n_hidden1, n_hidden1))
        self.mlp_in = nn.Linear(n_var, n_dim)
        self.downs = nn.ModuleList([ResNetBlock(n_dim, n_hidden1, n_hidden1), ResNetBlock(n_hidden1, n_hidden2, n_hidden1),
                                    ResNetBlock(n_hidden2, n_hidden2, n_hidden1)])
        self.mid = ResNetBlock(n_hidden2, n_hidden2, n_hidden1)
        self.ups = nn.ModuleList([ResNetBlock(2 * n_hidden2, n_hidden2, n_hidden1), ResNetBlock(2 * n_hidden2, n_hidden1, n_hidden1),
                                  ResNetBlock(2 * n_hidden1, n_dim, n_hidden1)])
        self.mlp_out = nn.Linear(2 * n_dim, n_var)

    def forward_emb(self, x, t):
        x = self.mlp_in(x)
        r = x.clone()
        h = []
        for block in self.downs:
            x = block(x, t)
            h.append(x)
        x = self.mid(x, t)
        for block in self.ups:
            x = torch.cat([x, h.pop()], dim=1)
            x = block(x, t)
        return self.mlp_out(torch.cat([x, r], dim=1))

    def forward(self, x, time):
        return self.forward_emb(x, self.t_emb(time))


def timed(fn):
    fn()
    t0 = time.perf_counter(); fn(); t = (time.perf_counter() - t0) * 1e3
    inner = max(1, min(10000, math.ceil(20 / max(t, 1e-3))))
    out = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        out.append((time.perf_counter() - t0) * 1e3 / inner)
    return out


def emit(bench, shape, times):
    print(json.dumps({"bench": bench, "shape": shape, "times_ms": times}), flush=True)


for m, n, k in spec["matmul"]:
    a, b = torch.rand(m, k) - 0.5, torch.rand(k, n) - 0.5
    c = torch.empty(m, n)
    emit("matmul", f"{m}x{n}x{k}", timed(lambda: torch.mm(a, b, out=c)))

for batch in spec["train"]:
    model = MLP(N_VAR)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    def step():
        x0 = torch.randint(0, 2, (batch, N_VAR)).float() * 2 - 1
        t = torch.randint(0, N_STEPS, (batch,)).float()
        eps = torch.randn(batch, N_VAR)
        xt = math.sqrt(0.5) * x0 + math.sqrt(0.5) * eps
        loss = nn.functional.mse_loss(model(xt, t), eps)
        opt.zero_grad()
        loss.backward()
        opt.step()
    emit("train", f"n=40 paper net, batch={batch}", timed(step))

REPEATS = min(REPEATS, 3)
for batch in spec["sample"]:
    model = MLP(N_VAR).eval()
    x = torch.randn(batch, N_VAR)
    state = {"t": 999}
    def sstep():
        with torch.no_grad():
            temb = model.t_emb(torch.tensor([float(state["t"])]))  # once per step, broadcast over the batch
            eps = model.forward_emb(x, temb)
            ab_t, ab_prev = 0.3, 0.35
            x0 = (x - math.sqrt(1 - ab_t) * eps) / math.sqrt(ab_t)
            x.copy_(math.sqrt(ab_prev) * x0 + math.sqrt(1 - ab_prev) * eps)
        state["t"] = state["t"] - 20 if state["t"] > 20 else 999
    emit("sample", f"n=40 paper net, DDIM step, batch={batch}", timed(sstep))
