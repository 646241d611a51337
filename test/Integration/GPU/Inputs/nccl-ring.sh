#!/usr/bin/env bash
# nccl-ring.sh TEMPLATE DIR "MPIRUN..." RING_RUN [ARGS...]: the NCCL ring
# over every GPU of the machine, one rank (process) per GPU, with ring-run's
# extra ARGS. NCCL cannot put two ranks on one GPU, so a machine with one
# GPU runs a ring of one: the bootstrap and the communicator, but no shift.
set -euo pipefail
template=$1 dir=$2 mpirun=$3 ringrun=$4
gpus=$(nvidia-smi -L | grep -c '^GPU')
sed -e "s/@N@/$gpus/g" -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@/causal/g' \
    -e 's/@D@/128/g' -e 's/@T@/bf16/g' "$template" >"$dir/ring.mlir"
echo "nccl ring of $gpus rank(s)"
$mpirun -np "$gpus" "$ringrun" "$dir/ring.mlir" --backend nccl --check --seed 1 "${@:5}"
