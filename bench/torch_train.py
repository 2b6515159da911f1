#!/usr/bin/env python3
"""PyTorch reference for `plm bench train`, run side by side with it on the same machine.

The same model family as plm's `model::Gpt` (pre-norm blocks; LayerNorm or RMSNorm; rotary on the
first `rotary_fraction` of each head's dimensions in the GPT-NeoX half-split form, or a learned
absolute position embedding; GELU or gated-SiLU MLP; tied or separate output layer), the same
AdamW step with global-norm clipping, the same batch, context and vocabulary, the same threads.

    python3 bench/torch_train.py --plm target/release/plm [--rounds 3] -- [plm bench train args]

Each round runs `plm bench train ... --json` and then PyTorch on the shapes it reports; rounds
alternate so that a busy spell of the machine hits both. The table shows each side's median over
rounds and their ratio. Both sides time each step and keep the median step (after 2 warm-up steps).
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cfg, context):
        super().__init__()
        d, heads = cfg["d_model"], cfg["heads"]
        self.heads, self.hd = heads, d // heads
        norm = nn.LayerNorm if cfg["norm"] == "layer-norm" else nn.RMSNorm
        self.ln1 = norm(d, eps=1e-5)
        self.uniform = cfg["position"] == "uniform"
        # Uniform attention (Part 1's GPT_uni) projects values only: head h (1-based) averages the
        # last 2^h - 1 positions, its own included.
        self.qkv = nn.Linear(d, d if self.uniform else 3 * d)
        self.proj = nn.Linear(d, d)
        if self.uniform:
            t = torch.arange(context)
            gap = t[:, None] - t[None, :]
            windows = torch.tensor([2 ** (h + 1) - 1 for h in range(heads)])[:, None, None]
            mask = (gap >= 0) & (gap < windows)
            self.register_buffer("average", mask / mask.sum(-1, keepdim=True), persistent=False)
        self.mlp_kind = cfg["mlp"]
        hidden = round(d * cfg["mlp_ratio"])
        if self.mlp_kind == "gelu":
            self.up, self.down = nn.Linear(d, hidden), nn.Linear(hidden, d)
        elif self.mlp_kind == "gated-silu":
            self.up, self.gate = nn.Linear(d, hidden, bias=False), nn.Linear(d, hidden, bias=False)
            self.down = nn.Linear(hidden, d, bias=False)
        if self.mlp_kind != "none":
            self.ln2 = norm(d, eps=1e-5)
        rot = 0
        if cfg["position"] == "rotary":
            rot = int(self.hd * cfg["rotary_fraction"])
            rot -= rot % 2
        self.rot = rot
        if rot:
            half = rot // 2
            inv = 1.0 / (10000 ** (torch.arange(half, dtype=torch.float32) * 2 / rot))
            angles = torch.outer(torch.arange(context, dtype=torch.float32), inv)
            angles = torch.cat([angles, angles], dim=1)
            self.register_buffer("cos", angles.cos(), persistent=False)
            self.register_buffer("sin", angles.sin(), persistent=False)

    def rotate(self, x):
        if not self.rot:
            return x
        t, r = x.shape[2], self.rot
        xr, xp = x[..., :r], x[..., r:]
        turned = torch.cat([-xr[..., r // 2:], xr[..., : r // 2]], dim=-1)
        return torch.cat([xr * self.cos[:t] + turned * self.sin[:t], xp], dim=-1)

    def forward(self, x):
        b, t, d = x.shape
        heads = lambda z: z.view(b, t, self.heads, self.hd).transpose(1, 2)
        if self.uniform:
            y = self.average[:, :t, :t] @ heads(self.qkv(self.ln1(x)))
        else:
            q, k, v = (heads(z) for z in self.qkv(self.ln1(x)).split(d, dim=2))
            y = F.scaled_dot_product_attention(self.rotate(q), self.rotate(k), v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, d))
        if self.mlp_kind == "gelu":
            x = x + self.down(F.gelu(self.up(self.ln2(x))))
        elif self.mlp_kind == "gated-silu":
            h = self.ln2(x)
            x = x + self.down(F.silu(self.gate(h)) * self.up(h))
        return x


class Gpt(nn.Module):
    def __init__(self, cfg, vocab, context):
        super().__init__()
        d = cfg["d_model"]
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(context, d) if cfg["position"] == "absolute" else None
        self.blocks = nn.ModuleList(Block(cfg, context) for _ in range(cfg["layers"]))
        norm = nn.LayerNorm if cfg["norm"] == "layer-norm" else nn.RMSNorm
        self.ln = norm(d, eps=1e-5)
        self.out = None if cfg["tie_embeddings"] else nn.Linear(d, vocab, bias=False)

    def forward(self, ids):
        x = self.emb(ids)
        if self.pos is not None:
            x = x + self.pos(torch.arange(ids.shape[1], device=ids.device))
        for block in self.blocks:
            x = block(x)
        x = self.ln(x)
        return self.out(x) if self.out is not None else x @ self.emb.weight.t()


def bench(row, seconds, device):
    """Tokens per second of the median training step for one row of plm's JSON."""
    batch, context, vocab = row["batch"], row["context"], row["vocab"]
    torch.manual_seed(0)
    model = Gpt(row["model"], vocab, context).to(device)
    optim = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.1)
    n = batch * context
    ids = torch.tensor([(i * 7919) % vocab for i in range(n + 1)], device=device)
    x, y = ids[:n].view(batch, context), ids[1:].view(batch, context)
    steps, started, step = [], time.perf_counter(), 0
    while len(steps) < 3 or time.perf_counter() - started < seconds:
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        loss = F.cross_entropy(model(x).view(n, -1), y.reshape(n))
        optim.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        loss.item()
        if step >= 2:
            steps.append(time.perf_counter() - start)
        step += 1
    return n / statistics.median(steps)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plm", default="target/release/plm", help="the plm binary")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0, help="timed seconds per shape and side")
    parser.add_argument("--device", default="cpu", help="PyTorch's device (plm's is set in its arguments)")
    parser.add_argument("--json", help="write the table as JSON here")
    parser.add_argument("plm_args", nargs="*", help="arguments of `plm bench train` (after --)")
    args = parser.parse_args()

    plm_rounds, torch_rounds, first = [], [], None
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "plm.json")
        for r in range(args.rounds):
            command = [args.plm, "bench", "train", *args.plm_args, "--seconds", str(args.seconds), "--json", out]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            report = json.load(open(out))
            if first is None:
                first = report
                torch.set_num_threads(report["threads"])
                print(f"PyTorch {torch.__version__} on {args.device} ({torch.get_num_threads()} threads) "
                      f"vs plm on {report['device']} ({report['threads']} threads); "
                      f"{args.rounds} alternating rounds, median of each")
            plm_rounds.append([row["tokens_per_second"] for row in report["rows"]])
            torch_rounds.append([bench(row, args.seconds, args.device) for row in report["rows"]])
            print(f"  round {r + 1}/{args.rounds} done", flush=True)

    peak = first.get("peak_gflops")
    header = (f"{'shape':<28} {'batch×ctx':>9} {'vocab':>6} {'plm tok/s':>10} {'torch tok/s':>12} "
              f"{'plm %pk':>8} {'torch %pk':>9} {'plm/torch':>10}")
    print(header)
    table = []
    for i, row in enumerate(first["rows"]):
        plm = statistics.median(r[i] for r in plm_rounds)
        ref = statistics.median(r[i] for r in torch_rounds)
        flops_per_token = row["gflops"] * 1e9 / row["tokens_per_second"]
        pct = lambda tps: f"{100 * flops_per_token * tps / 1e9 / peak:.1f}%" if peak else "-"
        shape = f"{row['batch']}×{row['context']}"
        print(f"{row['shape']:<28} {shape:>9} {row['vocab']:>6} {plm:>10.0f} {ref:>12.0f} "
              f"{pct(plm):>8} {pct(ref):>9} {plm / ref:>9.2f}x")
        table.append({"shape": row["shape"], "batch": row["batch"], "context": row["context"],
                      "vocab": row["vocab"], "plm_tokens_per_second": plm, "torch_tokens_per_second": ref,
                      "ratio": plm / ref})
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "threads": first["threads"], "rounds": args.rounds,
                       "rows": table}, f, indent=2)


if __name__ == "__main__":
    main()
