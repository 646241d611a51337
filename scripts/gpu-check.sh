#!/usr/bin/env bash
# The GPU check, in one call, for a machine with an NVIDIA GPU (see
# docs/GPU.md): builds RingAttn, runs the GPU integration tests (random
# inputs, --check against the float64 reference), then times
#   1. block attention: bf16, 16 heads, head_dim 128, seq 8192..32768,
#      causal and not, RingAttn's kernel beside PyTorch SDPA (FlashAttention-2),
#   2. the ring on N ranks of this one GPU against the same ring with its
#      transfers dropped (--no-communication),
# and prints a short table last. Usage: scripts/gpu-check.sh [--quick]
#   RINGATTN_CHIP   the chip to compile for (default: the GPU's, via nvidia-smi)
set -uo pipefail
cd "$(dirname "$0")/.."
quick=0; [ "${1:-}" = "--quick" ] && quick=1
seqs="8192 16384 32768"; [ $quick = 1 ] && seqs="8192"
out=$(mktemp -d)
log() { echo "gpu-check: $*" >&2; }

nvidia-smi -L >/dev/null 2>&1 || { log "no NVIDIA GPU (nvidia-smi -L failed)"; exit 1; }
gpu=$(nvidia-smi --query-gpu=name,compute_cap --format=csv,noheader | head -1)
cap=$(echo "$gpu" | awk -F', ' '{print $2}' | tr -d .)
chip="${RINGATTN_CHIP:-sm_${cap}}"
export PATH="/usr/local/cuda/bin:$PATH"
log "GPU: $gpu; compiling for $chip"

# 1. Build, and the tests that launch kernels.
if ! scripts/setup.sh ring-opt ring-run RingAttnRuntimeTests >"$out/build.log" 2>&1; then
  tail -30 "$out/build.log"; log "build failed"; exit 1
fi
tests_status=PASS
if ! /usr/lib/llvm-22/bin/lit -sv build/test/Integration/GPU build/test/Tools/ring-run/gpu-errors.mlir \
    >"$out/lit.log" 2>&1; then
  tests_status=FAIL
fi
tail -15 "$out/lit.log"

# 2. Timings. Modules are written for each shape.
attention_module() { # seq causal
  local t="tensor<1x16x$1x128xbf16>"
  printf 'func.func @attention(%%q: %s, %%k: %s, %%v: %s) -> %s {\n  %%o = ring.attention %%q, %%k, %%v %s : %s, %s, %s\n  return %%o : %s\n}\n' \
    "$t" "$t" "$t" "$t" "$2" "$t" "$t" "$t" "$t"
}
ring_module() { # ranks seq_per_rank
  local t="tensor<1x16x$2x128xbf16>"
  printf 'shard.grid @ring(shape = %s)\nfunc.func @attention(%%q: %s, %%k: %s, %%v: %s) -> %s {\n  %%o = ring.attention %%q, %%k, %%v causal ring @ring axis 0 layout zigzag : %s, %s, %s\n  return %%o : %s\n}\n' \
    "$1" "$t" "$t" "$t" "$t" "$t" "$t" "$t" "$t"
}
best_ms() { python3 -c 'import json,sys; print("%.3f" % json.loads(sys.stdin.read().strip().splitlines()[-1])["best_ms"])'; }
run() { build/bin/ring-run "$@" --backend gpu --chip "$chip" --repeat 5 --json 2>>"$out/run.log"; }

# Correctness at a size the float64 reference finishes quickly.
attention_module 2048 causal >"$out/check.mlir"
check=$(build/bin/ring-run "$out/check.mlir" --backend gpu --chip "$chip" --check 2>&1 | grep -o 'check: .*' || echo "check: FAIL (no result)")
log "seq 2048 causal: $check"

rows=()
for seq in $seqs; do
  for causal in "" causal; do
    attention_module "$seq" "$causal" >"$out/a.mlir"
    ms=$(run "$out/a.mlir" | best_ms || echo nan)
    rows+=("block|$seq|${causal:-full}|$ms")
  done
done
torch_json=$(python3 bench/gpu_sdpa.py --seqs "$(echo $seqs | tr ' ' ,)" 2>"$out/torch.log" || true)
ring_rows=()
for ranks in 2 4; do
  per=$((16384 / ranks)); [ $quick = 1 ] && per=$((8192 / ranks))
  ring_module "$ranks" "$per" >"$out/r.mlir"
  with=$(run "$out/r.mlir" | best_ms || echo nan)
  without=$(run "$out/r.mlir" --no-communication | best_ms || echo nan)
  ring_rows+=("$ranks|$((per * ranks))|$with|$without")
done
tail -5 "$out/run.log" >&2

# 3. The table.
echo
echo "## GPU check: $gpu, chip $chip, $(date -u +%Y-%m-%d)"
echo "tests: $tests_status; seq 2048 causal $check"
echo
echo "| bf16, 16 heads, d 128 | seq | mask | RingAttn ms | SDPA ms ($(echo "$torch_json" | head -1 | python3 -c 'import json,sys; l=sys.stdin.read().strip(); print(json.loads(l)["kernel"] if l else "n/a")')) | RingAttn / SDPA |"
echo "|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
  IFS='|' read -r kind seq mask ms <<<"$row"
  causal=$([ "$mask" = causal ] && echo true || echo false)
  sdpa=$(echo "$torch_json" | python3 -c "import json,sys
for l in sys.stdin:
  r=json.loads(l)
  if r['seq']==$seq and r['causal']==$( [ $causal = true ] && echo True || echo False): print('%.3f' % r['best_ms'])" 2>/dev/null)
  ratio=$(python3 -c "print('%.2f' % ($ms/$sdpa))" 2>/dev/null || echo n/a)
  echo "| block attention | $seq | $mask | $ms | ${sdpa:-n/a} | $ratio |"
done
echo
echo "| ring on one GPU (zigzag, causal) | ranks | total seq | ms | ms, no communication | overhead |"
echo "|---|---|---|---|---|---|"
for row in "${ring_rows[@]}"; do
  IFS='|' read -r ranks seq with without <<<"$row"
  ratio=$(python3 -c "print('%.2f' % ($with/$without))" 2>/dev/null || echo n/a)
  echo "| ring | $ranks | $seq | $with | $without | $ratio |"
done
[ "$tests_status" = PASS ] && [[ "$check" == *PASS* ]]
