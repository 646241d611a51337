#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The GPU check (docs/GPU.md), in two halves, because the GPU machines this
# project borrows have CUDA and PyTorch but not the LLVM 22 toolchain:
#
#   scripts/gpu-check.sh prepare [--chip sm_90] [--out DIR] [--only a,b]
#                                [--no-build | --build-dir DIR]
#                                                 here, no GPU needed:
#       builds RingAttn in build/ (or takes the build in DIR, or the one
#       already in build/ with --no-build), compiles the check and benchmark
#       modules (or only the named ones) ahead of time with ring-lower-nvvm
#       and links each with examples/aot/gpu_attention_main.cpp into
#       build-gpu-check/ (or DIR), which needs only the runtime's two
#       libraries, shipped beside them: the programs find them through
#       $ORIGIN, so the folder runs from anywhere
#       (test/Integration/AOT/gpu-check-portable.test). Where PyTorch is
#       here (scripts/torch-env.sh), also builds the PyTorch op's test
#       matrix for 2 ranks (python -m ringattn.aot's way) into torch/.
#   scripts/gpu-check.sh run [--quick]            on the GPU machine, from
#       build-gpu-check/ (carry it there): runs the correctness checks
#       against the float64 reference, times bf16 block attention (16 heads,
#       head_dim 128, seq 8192..32768, causal and not) beside PyTorch SDPA
#       (bench/gpu_sdpa.py, FlashAttention-2) on the same shapes, times the
#       ring on 2 and 4 ranks of the GPU against --no-communication, runs
#       the PyTorch op's matrix on CUDA tensors under torchrun (2 ranks
#       sharing the GPU, gloo moving the shifts through host memory), and
#       prints a short table last. Every program runs under a timeout
#       (RINGATTN_GPU_CHECK_TIMEOUT, default 300 s); with $OUT set (the
#       device tool's output folder), the results, logs and table are
#       copied there.
#   scripts/gpu-check.sh profile                   on the GPU machine, after
#       run: Nsight Compute (ncu) on the seq-8192 forward and training-step
#       programs: each kernel's duration, speed of light, occupancy, launch
#       resources and warp stall reasons, into $out/ncu-*.txt (and $OUT).
#   scripts/gpu-check.sh                           both, plus the lit tests
#       that launch kernels (test/Integration/GPU), on a GPU machine that
#       has the whole toolchain.
set -uo pipefail
cd "$(dirname "$0")/.."
out=build-gpu-check
log() { echo "gpu-check: $*" >&2; }

# name|B|HQ|HKV|L per rank|D|layout|ranks|mask|type[|chip]: an entry
# naming a chip is compiled for it instead of --chip's.
checks=(
  "check-bf16-mma-causal|1|8|8|1024|128|contiguous|1|causal|bf16"
  "check-f16-mma-gqa|2|8|2|320|64|contiguous|1|causal|f16"
  "check-f32-simt|1|4|4|300|80|contiguous|1|causal|f32"
  "check-bf16-ring4-zigzag|1|8|2|256|128|zigzag|4|causal|bf16"
  "check-f16-ring3-striped|1|4|4|192|64|striped|3|causal|f16"
  "check-bf16-ring2-full|1|4|4|256|128|contiguous|2|full|bf16"
  # Training steps (forward + backward, -ring-add-training-steps): out, dq,
  # dk and dv against the float64 gradients.
  "grad-f32-one-gqa|1|4|2|200|64|contiguous|1|causal|f32"
  "grad-bf16-ring4-zigzag|1|8|2|256|128|zigzag|4|causal|bf16"
  "grad-f16-ring3-striped|1|4|4|192|64|striped|3|causal|f16"
  "grad-bf16-ring2-full|1|4|4|256|128|contiguous|2|full|bf16"
)
# sm_90a's wgmma forward kernel, prepared when --chip is an sm_90 one.
wgmma_checks=(
  "check-bf16-wgmma-causal|1|8|8|1024|128|contiguous|1|causal|bf16|sm_90a"
  "check-f16-wgmma-gqa|2|8|2|320|64|contiguous|1|causal|f16|sm_90a"
  "check-bf16-wgmma-d256-full|1|4|4|300|256|contiguous|1|full|bf16|sm_90a"
  "check-bf16-wgmma-ring4-zigzag|1|8|2|256|128|zigzag|4|causal|bf16|sm_90a"
)
benches=() wgmma_benches=()
for seq in 8192 16384 32768; do
  for mask in full causal; do
    benches+=("bench-attn-$seq-$mask|1|16|16|$seq|128|contiguous|1|$mask|bf16")
    wgmma_benches+=("bench-wgmma-$seq-$mask|1|16|16|$seq|128|contiguous|1|$mask|bf16|sm_90a")
  done
done
for ranks in 2 4; do
  benches+=("bench-ring$ranks|1|16|16|$((16384 / ranks))|128|zigzag|$ranks|causal|bf16")
done
# A training step beside its forward (bench-attn-8192-causal).
benches+=("bench-grad-8192-causal|1|16|16|8192|128|contiguous|1|causal|bf16")

module_for() { # B HQ HKV L D layout ranks mask type
  local q="tensor<$1x$2x$4x$5x$9>" kv="tensor<$1x$3x$4x$5x$9>" ring="" mask=""
  [ "$7" -gt 1 ] && ring="ring @ring axis 0 layout $6" && echo "shard.grid @ring(shape = $7)"
  [ "$8" = causal ] && mask=causal
  echo "func.func @attention(%q: $q, %k: $kv, %v: $kv) -> $q {"
  echo "  %o = ring.attention %q, %k, %v $mask $ring : $q, $kv, $kv"
  echo "  return %o : $q"
  echo "}"
}

prepare() {
  local chip=sm_90 only="" build=1 tree=build
  while [ $# -gt 0 ]; do
    case "$1" in
      --chip) chip=$2; shift 2 ;;
      --build-dir) tree=$2; build=0; shift 2 ;;
      --out) out=$2; shift 2 ;;
      --only) only=",$2,"; shift 2 ;;
      --no-build) build=0; shift ;;
      *) log "prepare: unknown option $1"; return 2 ;;
    esac
  done
  export PATH="/usr/local/cuda/bin:$PATH"
  if [ $build = 1 ]; then
    scripts/setup.sh ring-opt RingAttnRuntimeGPU RingAttnSupport >/dev/null || {
      log "build failed"; return 1; }
  fi
  rm -rf "$out" && mkdir -p "$out/modules"
  cp "$tree/lib/Runtime/libRingAttnRuntime.so" \
     "$tree/lib/Runtime/GPU/libRingAttnRuntimeGPU.so" bench/gpu_sdpa.py "$out/"
  g++ -std=c++17 -O2 -Iinclude -c examples/aot/gpu_attention_main.cpp \
    -o "$out/modules/main.o" || return 1
  : >"$out/manifest"
  local entries=("${checks[@]}" "${benches[@]}")
  [[ "$chip" == sm_90* ]] && entries+=("${wgmma_checks[@]}" "${wgmma_benches[@]}")
  for entry in "${entries[@]}"; do
    IFS='|' read -r name b hq hkv l d layout ranks mask type entry_chip <<<"$entry"
    [ -n "$only" ] && [[ "$only" != *",$name,"* ]] && continue
    local m="$out/modules/$name"
    module_for "$b" "$hq" "$hkv" "$l" "$d" "$layout" "$ranks" "$mask" "$type" >"$m.mlir"
    local training=()
    [[ "$name" == *grad-* ]] && training=(-ring-add-training-steps)
    "$tree/bin/ring-opt" "$m.mlir" "${training[@]}" \
      -ring-lower-nvvm="chip=${entry_chip:-$chip} format=fatbin" \
      | /usr/lib/llvm-22/bin/mlir-translate --mlir-to-llvmir -o "$m.ll" &&
    /usr/lib/llvm-22/bin/llc -O3 -filetype=obj -relocation-model=pic "$m.ll" -o "$m.o" &&
    # Both runtime libraries are listed (--no-as-needed) and found beside the
    # program ($ORIGIN), so the folder runs wherever it is copied.
    g++ "$out/modules/main.o" "$m.o" -L"$tree/lib/Runtime" -L"$tree/lib/Runtime/GPU" \
      -L"$tree/lib/Support" -Wl,--no-as-needed -lRingAttnRuntimeGPU -lRingAttnRuntime \
      -Wl,--as-needed -lRingAttnSupport \
      -Wl,-rpath,'$ORIGIN' -o "$out/$name" || { log "compiling $name failed"; return 1; }
    echo "$name $b $hq $hkv $l $d $layout $ranks $mask $type" >>"$out/manifest"
  done
  rm -rf "$out/modules"
  echo "$chip" >"$out/chip"
  if [ -n "$only" ] && [[ "$only" != *",torch,"* ]]; then
    :
  elif [ -x .venv-torch/bin/python ]; then
    .venv-torch/bin/python test/Python/torch_ring_attention.py prebuild \
      "$out/torch" "$chip" 2 "$tree/bin/ring-opt" || { log "building the PyTorch op's modules failed"; return 1; }
  else
    log "no PyTorch here (scripts/torch-env.sh): the PyTorch op's check is left out"
  fi
  log "prepared $(wc -l <"$out/manifest") programs for $chip in $out/ ($(du -sh "$out" | cut -f1))"
}

run() {
  local quick=0
  [ "${1:-}" = --quick ] && quick=1
  [ -f "$out/manifest" ] || { log "no $out/manifest: run 'scripts/gpu-check.sh prepare' first"; return 1; }
  nvidia-smi -L >/dev/null 2>&1 || { log "no NVIDIA GPU (nvidia-smi -L failed)"; return 1; }
  local gpu; gpu=$(nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv,noheader | head -1)
  log "GPU: $gpu; programs compiled for $(cat "$out/chip")"
  local status=0 results="$out/results.jsonl"
  local limit="${RINGATTN_GPU_CHECK_TIMEOUT:-300}"
  # A hung program must not consume the whole device session.
  bounded() { timeout --kill-after=10 "$limit" "$@"; }
  : >"$results"
  # Each result line names its program (the summary tells kernels apart);
  # pipefail keeps the program's status.
  tagged() { sed "s/^{/{\"program\": \"$name\", /" >>"$results"; }
  while read -r name b hq hkv l d layout ranks mask type; do
    local args=("$b" "$hq" "$hkv" "$l" "$d" "$layout" "$ranks" "$mask" "$type")
    case "$name" in
      check-*)
        bounded "$out/$name" "${args[@]}" --check --repeat 1 2>"$out/$name.err" | tagged \
          || { status=1; log "$name failed: $(tail -2 "$out/$name.err")"; } ;;
      grad-*)
        bounded "$out/$name" "${args[@]}" --grad --check --repeat 1 2>"$out/$name.err" | tagged \
          || { status=1; log "$name failed: $(tail -2 "$out/$name.err")"; } ;;
      bench-grad-*)
        bounded "$out/$name" "${args[@]}" --grad 2>"$out/$name.err" | tagged \
          || { status=1; log "$name failed: $(tail -2 "$out/$name.err")"; } ;;
      bench-*-32768-*|bench-*-16384-*)
        [ $quick = 1 ] && continue
        bounded "$out/$name" "${args[@]}" 2>"$out/$name.err" | tagged \
          || { status=1; log "$name failed: $(tail -2 "$out/$name.err")"; } ;;
      bench-ring*)
        for comm in "" --no-communication; do
          bounded "$out/$name" "${args[@]}" $comm 2>"$out/$name.err" | tagged \
            || { status=1; log "$name $comm failed: $(tail -2 "$out/$name.err")"; }
        done ;;
      *)
        bounded "$out/$name" "${args[@]}" 2>"$out/$name.err" | tagged \
          || { status=1; log "$name failed: $(tail -2 "$out/$name.err")"; } ;;
    esac
  done <"$out/manifest"
  # The PyTorch op on CUDA tensors, its modules built by prepare.
  local torch_op="not run (no $out/torch)"
  if [ -d "$out/torch" ]; then
    local here; here=$(pwd)
    RINGATTN_LIBRARY_DIR="$(realpath "$out")" RINGATTN_AOT_DIR="$(realpath "$out/torch")" \
      PYTHONPATH="$here/python" bounded python3 -m torch.distributed.run --standalone \
      --nproc-per-node 2 test/Python/torch_ring_attention.py matrix --device cuda \
      >"$out/torch-op.log" 2>&1 || { status=1; log "the PyTorch op failed: $(tail -3 "$out/torch-op.log")"; }
    torch_op="$(grep -c '^PASS' "$out/torch-op.log") of 24 cases pass, $(grep -c '^FAIL' "$out/torch-op.log") fail; $(grep -E 'ALL PASS|RANKS FAILED' "$out/torch-op.log" || echo 'did not finish')"
  fi
  local seqs=8192,16384,32768; [ $quick = 1 ] && seqs=8192
  timeout --kill-after=10 $((2 * limit)) \
    python3 "$out/gpu_sdpa.py" --seqs "$seqs" --grad-seqs 8192 >"$out/sdpa.jsonl" 2>"$out/sdpa.err" \
    || log "PyTorch SDPA failed: $(tail -2 "$out/sdpa.err")"
  python3 - "$results" "$out/sdpa.jsonl" "$gpu" "$(cat "$out/chip")" "$torch_op" <<'EOF' | tee "$out/summary.md"
import json, sys, datetime
results = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sdpa = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
def kernels(r):  # which forward kernel the program ran
    return "wgmma" if "wgmma" in r.get("program", "") else "mma.sync" if r["type"] != "f32" else "SIMT"
print(f"\n## GPU check: {sys.argv[3]}, compiled for {sys.argv[4]}, "
      f"{datetime.date.today()}\n")
print(f"PyTorch op (torch_ring_attention.py matrix --device cuda, 2 ranks "
      f"on the GPU, against SDPA in float64): {sys.argv[5]}\n")
print("| check | ranks | layout | type | seq | rel. error (worst of out, dq, dk, dv) | tolerance | result |")
print("|---|---|---|---|---|---|---|---|")
for r in results:
    if r["check"] is not None:
        c = r["check"]
        step = " training step" if r.get("training") else ""
        print(f"| {'causal' if r['causal'] else 'full'} d{r['head_dim']}{step}, {kernels(r)} | {r['ranks']} "
              f"| {r['layout']} | {r['type']} | {r['seq']} | {c['rel_err']:.2e} "
              f"| {c['tolerance']:.0e} | {'PASS' if c['pass'] else 'FAIL'} |")
kernel = sdpa[0]["kernel"] if sdpa else "n/a"
# Like with like: RingAttn's device time (its compute stream between CUDA
# events) against SDPA's (CUDA events around the call); RingAttn's end to
# end time (host wall clock of a run) beside them.
print(f"\n| bf16 attention, 16 heads, d 128 | mask | kernel | RingAttn device ms | RingAttn TFLOP/s "
      f"| SDPA ({kernel}) ms | SDPA TFLOP/s | RingAttn / SDPA time | RingAttn end to end ms |")
print("|---|---|---|---|---|---|---|---|---|")
for r in results:
    if r["check"] is None and r["ranks"] == 1 and not r.get("training"):
        s = next((x for x in sdpa if not x.get("training") and x["seq"] == r["seq"]
                  and x["causal"] == r["causal"]), None)
        head = (f"| seq {r['seq']} | {'causal' if r['causal'] else 'full'} | {kernels(r)} "
                f"| {r['device_best_ms']:.2f} | {r['tflops']:.0f} ")
        if s:
            print(head + f"| {s['best_ms']:.2f} | {s['tflops']:.0f} "
                  f"| {r['device_best_ms'] / s['best_ms']:.2f} | {r['best_ms']:.2f} |")
        else:
            print(head + f"| n/a | n/a | n/a | {r['best_ms']:.2f} |")
print("\n| ring on one GPU (zigzag, causal, bf16) | ranks | total seq | ms | ms, no communication | ratio |")
print("|---|---|---|---|---|---|")
rings = [r for r in results if r["check"] is None and r["ranks"] > 1]
for r in rings:
    if r["communication"]:
        n = next((x for x in rings if x["ranks"] == r["ranks"] and not x["communication"]), None)
        print(f"| ring | {r['ranks']} | {r['seq']} | {r['best_ms']:.2f} | "
              f"{n['best_ms']:.2f} | {r['best_ms'] / n['best_ms']:.2f} |" if n else
              f"| ring | {r['ranks']} | {r['seq']} | {r['best_ms']:.2f} | n/a | n/a |")
steps = [r for r in results if r["check"] is None and r.get("training")]
if steps:
    print("\n| training step (bf16, 16 heads, d 128) | mask | step device ms | forward device ms "
          f"| step / forward | SDPA ({kernel}) step ms | RingAttn / SDPA step time |")
    print("|---|---|---|---|---|---|---|")
    for r in steps:
        f = next((x for x in results if x["check"] is None and not x.get("training")
                  and x["ranks"] == 1 and x["seq"] == r["seq"] and x["causal"] == r["causal"]
                  and kernels(x) != "wgmma"), None)
        s = next((x for x in sdpa if x.get("training") and x["seq"] == r["seq"]
                  and x["causal"] == r["causal"]), None)
        fwd = f"{f['device_best_ms']:.2f} | {r['device_best_ms'] / f['device_best_ms']:.2f}" if f else "n/a | n/a"
        ref = f"{s['best_ms']:.2f} | {r['device_best_ms'] / s['best_ms']:.2f}" if s else "n/a | n/a"
        print(f"| seq {r['seq']} | {'causal' if r['causal'] else 'full'} | {r['device_best_ms']:.2f} | {fwd} | {ref} |")
EOF
  if [ -n "${OUT:-}" ]; then
    # Few files come back: the programs' stderr goes as one.
    for f in "$out"/*.err; do echo "== $f"; cat "$f"; done >"$out/errors.log"
    cp "$results" "$out/summary.md" "$out/errors.log" "$out/sdpa.jsonl" \
      "$out/torch-op.log" "$OUT/" 2>/dev/null
    log "results, logs and summary copied to $OUT"
  fi
  return $status
}

profile() {
  [ -f "$out/manifest" ] || { log "no $out/manifest: run 'scripts/gpu-check.sh prepare' first"; return 1; }
  local ncu; ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
  [ -n "$ncu" ] || { log "no Nsight Compute (ncu) here"; return 1; }
  local status=0 name
  for name in bench-attn-8192-full bench-attn-8192-causal bench-grad-8192-causal \
      bench-wgmma-8192-full bench-wgmma-8192-causal; do
    local line; line=$(grep "^$name " "$out/manifest") || continue
    local args; read -r -a args <<<"${line#* }"
    local grad=(); [[ "$name" == bench-grad-* ]] && grad=(--grad)
    # --repeat 1: the warm-up run and one more; the clocks are left alone.
    timeout --kill-after=10 "${RINGATTN_GPU_CHECK_TIMEOUT:-300}" "$ncu" --clock-control none \
      --section SpeedOfLight --section Occupancy --section LaunchStats \
      --section WarpStateStats --metrics gpu__time_duration.sum \
      "$out/$name" "${args[@]}" "${grad[@]}" --repeat 1 >"$out/ncu-$name.txt" 2>&1 \
      || { status=1; log "ncu on $name failed: $(tail -2 "$out/ncu-$name.txt")"; }
    [ -n "${OUT:-}" ] && cp "$out/ncu-$name.txt" "$OUT/"
  done
  return $status
}

case "${1:-all}" in
  prepare) shift; prepare "$@" ;;
  run) shift; run "$@" ;;
  profile) shift; profile ;;
  all)
    chip="sm_$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d .)"
    [ "$chip" = sm_ ] && { log "no NVIDIA GPU (nvidia-smi failed)"; exit 1; }
    prepare --chip "$chip" || exit 1
    scripts/setup.sh >/dev/null && /usr/lib/llvm-22/bin/lit -sv build/test/Integration/GPU \
      || log "GPU lit tests failed"
    run ;;
  *) log "usage: scripts/gpu-check.sh [prepare [--chip sm_XX] | run [--quick] | profile]"; exit 2 ;;
esac
