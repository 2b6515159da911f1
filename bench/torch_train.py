#!/usr/bin/env python3
"""PyTorch reference for `plm bench train`: the same GPT2 (rotary on 1/4 of each head's dims,
GPT-NeoX half-split, pre-LayerNorm, GELU MLP d->4d->d, untied output), the same AdamW step with
global-norm clipping, the same shapes, batch and context, on the same machine.

    python3 bench/torch_train.py [--plm target/bench-plm.json] [--device cpu|cuda]

With --plm it prints the side-by-side table (tokens/s, GFLOP/s, % of peak, ratio plm/PyTorch).
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads, context):
        super().__init__()
        self.heads, self.hd = heads, d // heads
        self.rot = (self.hd // 4) - (self.hd // 4) % 2
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.up, self.down = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        half = self.rot // 2
        inv = 1.0 / (10000 ** (torch.arange(half, dtype=torch.float32) * 2 / self.rot))
        angles = torch.outer(torch.arange(context, dtype=torch.float32), inv)
        angles = torch.cat([angles, angles], dim=1)
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)

    def rotate(self, x):
        t, r = x.shape[2], self.rot
        xr, xp = x[..., :r], x[..., r:]
        turned = torch.cat([-xr[..., r // 2:], xr[..., : r // 2]], dim=-1)
        return torch.cat([xr * self.cos[:t] + turned * self.sin[:t], xp], dim=-1)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, self.hd).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(self.rotate(q), self.rotate(k), v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, d))
        return x + self.down(F.gelu(self.up(self.ln2(x))))


class Gpt(nn.Module):
    def __init__(self, layers, d, vocab, context):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(Block(d, max(d // 64, 1), context) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.out = nn.Linear(d, vocab, bias=False)

    def forward(self, ids):
        x = self.emb(ids)
        for block in self.blocks:
            x = block(x)
        return self.out(self.ln(x))


def bench(layers, d, args, device):
    torch.manual_seed(0)
    model = Gpt(layers, d, args.vocab, args.context).to(device)
    optim = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.1)
    n = args.batch * args.context
    ids = torch.tensor([(i * 7919) % args.vocab for i in range(n + 1)], device=device)
    x, y = ids[:n].view(args.batch, args.context), ids[1:].view(args.batch, args.context)
    timed = 0.0
    for step in range(args.steps + 2):
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
            timed += time.perf_counter() - start
    tokens_per_second = args.steps * n / timed
    non_embedding = sum(p.numel() for name, p in model.named_parameters() if not name.startswith("emb."))
    flops_per_token = 6 * non_embedding + 6 * layers * args.context * d
    return tokens_per_second, flops_per_token * tokens_per_second / 1e9


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plm", help="JSON written by `plm bench train --json`")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--shapes", default="2x128,4x256,8x512")
    parser.add_argument("--context", type=int, default=512)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--vocab", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    plm = json.load(open(args.plm)) if args.plm else None
    if plm:
        args.batch, args.context, args.vocab = plm["batch"], plm["context"], plm["vocab"]
        args.shapes = ",".join(r["shape"] for r in plm["rows"])
    torch.set_num_threads(args.threads)
    peak = plm.get("peak_gflops") if plm else None
    print(f"PyTorch {torch.__version__} on {args.device} ({torch.get_num_threads()} threads), "
          f"batch {args.batch} x context {args.context}, vocab {args.vocab}")
    header = f"{'shape':<10} {'plm tok/s':>10} {'torch tok/s':>12} {'plm GF/s':>9} {'torch GF/s':>11} {'plm %pk':>8} {'torch %pk':>9} {'plm/torch':>10}"
    print(header)
    for i, shape in enumerate(args.shapes.split(",")):
        layers, d = (int(v) for v in shape.split("x"))
        tps, gflops = bench(layers, d, args, args.device)
        row = plm["rows"][i] if plm else None
        pct = lambda g: f"{100 * g / peak:.1f}%" if peak else "-"
        if row:
            print(f"{shape:<10} {row['tokens_per_second']:>10.0f} {tps:>12.0f} {row['gflops']:>9.1f} {gflops:>11.1f} "
                  f"{pct(row['gflops']):>8} {pct(gflops):>9} {row['tokens_per_second'] / tps:>9.2f}x")
        else:
            print(f"{shape:<10} {'-':>10} {tps:>12.0f} {'-':>9} {gflops:>11.1f} {'-':>8} {pct(gflops):>9} {'-':>10}")


if __name__ == "__main__":
    main()
