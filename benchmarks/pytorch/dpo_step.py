#!/usr/bin/env python3
"""The PyTorch eager anchor of the step benchmark: exactly the DPO (or SFT) step that
`Zephyr.Alignment.Benchmarks step` runs through the library, written the way a TRL user's
code runs it (transformers' Llama in eager mode, TRL's DPO sigmoid loss and metrics).

Workload (bench-small by default): a random Llama (vocab 32000, hidden 256, 4 layers, 8 query / 4 key-value heads,
intermediate 688), 4 pairs per step of a 128-token prompt + 128-token completions; chosen and rejected rows are
stacked into one forward pass ([chosen; rejected], TRL's concatenated_forward); AdamW (lr 5e-7, weight decay 0),
global-norm clipping at 1.0, sigmoid loss with beta 0.1. Modes: dpo (live reference: a frozen copy under no_grad),
dpo-precomputed (reference log-probs given), sft (the same 2 x pairs rows as one SFT batch, loss on the
completion tokens).

It prints one JSON line with the same fields as the .NET benchmark: tokens/s, ms/step, model FLOP/s as a fraction
of the matmul peak it measures itself (so a crippled BLAS is visible), peak and steady RSS.

Debian's python3-torch uses the system OpenBLAS, which does not recognise every new CPU and then runs far below
the machine's peak. Unless OPENBLAS_CORETYPE is already set, the script re-executes itself with the core type that
fits the CPU's flags (SapphireRapids with AMX, Cooperlake with avx512_bf16, SkylakeX with avx512f, Haswell with avx2).
"""
import argparse
import json
import math
import os
import sys
import time


def pick_coretype():
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return None
    if "amx_bf16" in flags:
        return "SapphireRapids"
    if "avx512_bf16" in flags:
        return "Cooperlake"
    if "avx512f" in flags:
        return "SkylakeX"
    if "avx2" in flags:
        return "Haswell"
    return None


if "OPENBLAS_CORETYPE" not in os.environ and os.environ.get("ZEPHYR_BENCH_REEXEC") != "1":
    coretype = pick_coretype()
    if coretype:
        os.environ["OPENBLAS_CORETYPE"] = coretype
        os.environ["ZEPHYR_BENCH_REEXEC"] = "1"
        os.execv(sys.executable, [sys.executable] + sys.argv)

import torch  # noqa: E402  (after OPENBLAS_CORETYPE is fixed)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def proc_status(key):
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def minor_faults():
    with open("/proc/self/stat", encoding="ascii") as f:
        return int(f.read().rsplit(")", 1)[1].split()[7])


# ---- transformers' Llama, eager (modeling_llama.py, the parts a training step uses) ----
class RMSNorm(nn.Module):
    def __init__(self, hidden, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.h, self.kv, self.d = c.heads, c.kv_heads, c.hidden // c.heads
        self.q_proj = nn.Linear(c.hidden, self.h * self.d, bias=False)
        self.k_proj = nn.Linear(c.hidden, self.kv * self.d, bias=False)
        self.v_proj = nn.Linear(c.hidden, self.kv * self.d, bias=False)
        self.o_proj = nn.Linear(self.h * self.d, c.hidden, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.h, self.d).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv, self.d).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv, self.d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        n = self.h // self.kv
        k = k[:, :, None].expand(b, self.kv, n, t, self.d).reshape(b, self.h, t, self.d)
        v = v[:, :, None].expand(b, self.kv, n, t, self.d).reshape(b, self.h, t, self.d)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.d) + mask
        probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, self.h * self.d)
        return self.o_proj(out)


class Mlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden, c.intermediate, bias=False)
        self.up_proj = nn.Linear(c.hidden, c.intermediate, bias=False)
        self.down_proj = nn.Linear(c.intermediate, c.hidden, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c.hidden)
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c.hidden)
        self.mlp = Mlp(c)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab, c.hidden)
        self.layers = nn.ModuleList([Layer(c) for _ in range(c.layers)])
        self.norm = RMSNorm(c.hidden)
        self.lm_head = nn.Linear(c.hidden, c.vocab, bias=False)
        d = c.hidden // c.heads
        self.register_buffer("inv_freq", 1.0 / (10000.0 ** (torch.arange(0, d, 2).float() / d)), persistent=False)
        for name, p in self.named_parameters():
            if "norm" not in name:
                nn.init.normal_(p, std=0.02)

    def forward(self, ids, attention_mask):
        b, t = ids.shape
        x = self.embed_tokens(ids)
        pos = torch.arange(t).float()
        freqs = pos[:, None] * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().to(x.dtype)[None, None], emb.sin().to(x.dtype)[None, None]
        # transformers' 4D mask: causal and padding, the dtype's minimum where a query may not look.
        allowed = torch.ones(t, t, dtype=torch.bool).tril()[None, None] & attention_mask.bool()[:, None, None, :]
        mask = torch.zeros(b, 1, t, t, dtype=x.dtype).masked_fill(~allowed, torch.finfo(x.dtype).min)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.lm_head(self.norm(x))


# ---- TRL's DPO pieces ----
def completion_logps(logits, ids, completion_mask):
    """TRL: log-softmax, gather the next token, sum over the completion (labels shifted by one)."""
    logits = logits[:, :-1]
    labels = ids[:, 1:]
    mask = completion_mask[:, 1:].bool()
    per_token = torch.gather(logits.log_softmax(-1), 2, labels.unsqueeze(2)).squeeze(2)
    per_token = per_token * mask
    return per_token.sum(-1), logits, mask


def dpo_step(args, policy, reference, optimizer, batch, ref_logps):
    ids, attention, completion = batch
    pairs = ids.shape[0] // 2
    if ref_logps is None:
        with torch.no_grad():
            ref_logits = reference(ids, attention)
            ref_sum, _, _ = completion_logps(ref_logits, ids, completion)
            del ref_logits
    else:
        ref_sum = ref_logps
    logits = policy(ids, attention)
    logps, shifted, mask = completion_logps(logits, ids, completion)
    chosen, rejected = logps[:pairs], logps[pairs:]
    ref_chosen, ref_rejected = ref_sum[:pairs], ref_sum[pairs:]
    margin = (chosen - ref_chosen) - (rejected - ref_rejected)
    loss = -F.logsigmoid(args.beta * margin).mean()
    with torch.no_grad():  # TRL's metrics, each an .item()
        chosen_rewards = args.beta * (chosen - ref_chosen)
        rejected_rewards = args.beta * (rejected - ref_rejected)
        metrics = {
            "rewards/chosen": chosen_rewards.mean().item(),
            "rewards/rejected": rejected_rewards.mean().item(),
            "rewards/accuracies": (chosen_rewards > rejected_rewards).float().mean().item(),
            "logits/chosen": shifted[:pairs][mask[:pairs]].mean().item(),
            "logits/rejected": shifted[pairs:][mask[pairs:]].mean().item(),
        }
        probs = shifted[mask].softmax(-1)
        metrics["entropy"] = (-(probs * probs.clamp_min(1e-30).log()).sum(-1)).mean().item()
        del probs
        hits = (shifted[:pairs].argmax(-1) == ids[:pairs, 1:]) & mask[:pairs]
        metrics["mean_token_accuracy"] = (hits.sum() / mask[:pairs].sum()).item()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.item()


def sft_step(args, policy, optimizer, batch):
    ids, attention, completion = batch
    labels = ids.masked_fill(completion == 0, -100)
    logits = policy(ids, attention)
    shift_logits = logits[:, :-1].reshape(-1, logits.shape[-1])
    shift_labels = labels[:, 1:].reshape(-1)
    loss = F.cross_entropy(shift_logits, shift_labels, ignore_index=-100)
    with torch.no_grad():
        valid = shift_labels != -100
        _ = ((shift_logits.argmax(-1) == shift_labels) & valid).sum().item() / valid.sum().item()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.item()


def measure_matmul_peak(dtype, size=2048, repeats=10):
    a = torch.randn(size, size, dtype=dtype)
    b = torch.randn(size, size, dtype=dtype)
    for _ in range(2):
        torch.matmul(a, b)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeats):
            torch.matmul(a, b)
        best = min(best, (time.perf_counter() - start) / repeats)
    return 2 * size ** 3 / best


def model_flops_per_step(c, rows, length, mode):
    """PaLM's convention (appendix B): 6 N per trained token plus attention, 2 N per forward-only token."""
    d = c.hidden // c.heads
    matmul_params = c.layers * (c.hidden * (c.heads + 2 * c.kv_heads) * d + c.heads * d * c.hidden
                                + 3 * c.hidden * c.intermediate) + c.hidden * c.vocab
    attention = 2 * 2 * c.layers * length * c.heads * d  # QK^T and AV per token, full square
    tokens = rows * length
    train = 3 * tokens * (2 * matmul_params + attention)
    forward = tokens * (2 * matmul_params + attention) if mode == "dpo" else 0
    return train + forward


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mode", choices=["dpo", "dpo-precomputed", "sft"], default="dpo")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--dtype", choices=["float32"], default="float32")
    p.add_argument("--threads", type=int, default=0, help="torch intra-op threads; 0 keeps torch's default")
    p.add_argument("--vocab", type=int, default=32000)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--kv-heads", type=int, default=4)
    p.add_argument("--intermediate", type=int, default=688)
    p.add_argument("--prompt", type=int, default=128)
    p.add_argument("--completion", type=int, default=128)
    p.add_argument("--pairs", type=int, default=4)
    p.add_argument("--beta", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dtype = getattr(torch, args.dtype)

    policy = Llama(args).to(dtype)
    reference = None
    if args.mode == "dpo":
        reference = Llama(args).to(dtype)
        reference.load_state_dict(policy.state_dict())
        reference.eval()
        reference.requires_grad_(False)
    policy.train()
    optimizer = torch.optim.AdamW(policy.parameters(), lr=5e-7, weight_decay=0.0)

    length = args.prompt + args.completion
    rows = 2 * args.pairs
    generator = torch.Generator().manual_seed(args.seed + 1)
    batches = []
    for _ in range(4):
        prompt = torch.randint(0, args.vocab, (args.pairs, args.prompt), generator=generator)
        chosen = torch.randint(0, args.vocab, (args.pairs, args.completion), generator=generator)
        rejected = torch.randint(0, args.vocab, (args.pairs, args.completion), generator=generator)
        ids = torch.cat([torch.cat([prompt, chosen], 1), torch.cat([prompt, rejected], 1)], 0)
        attention = torch.ones(rows, length, dtype=torch.long)
        completion = torch.zeros(rows, length, dtype=torch.long)
        completion[:, args.prompt:] = 1
        batches.append((ids, attention, completion))
    ref_logps = -torch.rand(rows) * 100 if args.mode == "dpo-precomputed" else None

    peak = measure_matmul_peak(dtype)
    times, cpu_times, rss, faults = [], [], [], []
    for step in range(args.warmup + args.steps):
        before = minor_faults()
        batch = batches[step % len(batches)]
        start = time.perf_counter()
        cpu_start = time.process_time()
        if args.mode == "sft":
            sft_step(args, policy, optimizer, batch)
        else:
            dpo_step(args, policy, reference, optimizer, batch, ref_logps)
        if step >= args.warmup:
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
            faults.append(minor_faults() - before)
        rss.append(proc_status("VmRSS"))

    times.sort()
    cpu_times.sort()
    median = times[len(times) // 2]
    tokens = rows * length
    flops = model_flops_per_step(args, rows, length, args.mode)
    print(json.dumps({
        "runner": "pytorch-eager",
        "torch": torch.__version__,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "threads": torch.get_num_threads(),
        "mode": args.mode,
        "dtype": args.dtype,
        "steps": args.steps,
        "ms_per_step": median * 1e3,
        # CPU seconds the process used per step (all threads): on a shared, oversubscribed machine the wall time
        # includes waiting for a core, this does not.
        "cpu_ms_per_step": cpu_times[len(cpu_times) // 2] * 1e3,
        "tokens_per_s": tokens / median,
        "model_gflops_per_s": flops / median / 1e9,
        "matmul_peak_gflops_per_s": peak / 1e9,
        "fraction_of_peak": flops / median / peak,
        "peak_rss_mb": proc_status("VmHWM") / 2 ** 20,
        "last_rss_mb": rss[-1] / 2 ** 20,
        "minor_faults_per_step": sum(faults) / len(faults),
    }))


if __name__ == "__main__":
    main()
