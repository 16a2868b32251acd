#!/usr/bin/env bash
# One command, both runners, the ratio: the library's training step (benchmarks/Zephyr.Alignment.Benchmarks 'step')
# against the same step in PyTorch eager (benchmarks/pytorch/dpo_step.py, Debian's python3-torch + OpenBLAS).
#   benchmarks/step-vs-pytorch.sh [--mode dpo|dpo-precomputed|sft] [--steps N] [--threads N] [workload options...]
# Both get the same arguments, except the .NET-only ones (--malloc, --rss-csv, --precision, --gradient-checkpointing, --prefix-sharing, --gc-steps),
# which go to the .NET runner alone: `--precision bf16` compares our bf16 mixed-precision step with PyTorch's fp32 one.
# The runs alternate (.NET, PyTorch, .NET, PyTorch) when ROUNDS=2, so a busy machine slows both alike.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-/usr/bin/python3}"
rounds="${ROUNDS:-1}"
common=() dotnet_only=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --malloc|--rss-csv|--precision|--gradient-checkpointing|--prefix-sharing|--gc-steps) dotnet_only+=("$1" "$2"); shift 2 ;;
    *) common+=("$1"); shift ;;
  esac
done
dotnet build -c Release "$root/benchmarks/Zephyr.Alignment.Benchmarks" -v q -nologo >/dev/null
bench="$root/benchmarks/Zephyr.Alignment.Benchmarks/bin/Release/net10.0/Zephyr.Alignment.Benchmarks"
results=()
for ((round = 0; round < rounds; round++)); do
  results+=("$("$bench" step "${common[@]}" "${dotnet_only[@]}")")
  results+=("$("$python" "$root/benchmarks/pytorch/dpo_step.py" "${common[@]}")")
done
printf '%s\n' "${results[@]}"
printf '%s\n' "${results[@]}" | "$python" -c '
import json, sys
rows = [json.loads(line) for line in sys.stdin if line.strip()]
ours = [r for r in rows if r["runner"] == "zephyr-torchsharp"]
torch = [r for r in rows if r["runner"] == "pytorch-eager"]
def mean(rs, key): return sum(r[key] for r in rs) / len(rs)
print("%-22s %12s %12s %12s %10s %14s %12s" % ("runner", "tokens/s", "ms/step", "cpu ms/step", "of peak", "peak GFLOP/s", "peak RSS MB"))
for name, rs in (("zephyr (TorchSharp)", ours), ("pytorch eager", torch)):
    print("%-22s %12.0f %12.1f %12.1f %9.1f%% %14.1f %12.0f" % (name, mean(rs, "tokens_per_s"), mean(rs, "ms_per_step"),
          mean(rs, "cpu_ms_per_step"), 100 * mean(rs, "fraction_of_peak"), mean(rs, "matmul_peak_gflops_per_s"), mean(rs, "peak_rss_mb")))
print("ratio tokens/s zephyr / pytorch: %.2fx (by CPU time per step: %.2fx)   peak RSS zephyr / pytorch: %.2f" % (
    mean(ours, "tokens_per_s") / mean(torch, "tokens_per_s"), mean(torch, "cpu_ms_per_step") / mean(ours, "cpu_ms_per_step"),
    mean(ours, "peak_rss_mb") / mean(torch, "peak_rss_mb")))
'
