#!/usr/bin/env bash
# On a GPU machine that has a CUDA torch but no node (../shared/device/README.md). Stages:
#   1  the hand-written CUDA kernels against a double-precision host reference (nvcc alone)
#   2  the addon built with plain cmake against that machine's CUDA libtorch, and the fused
#      ops against libtorch, forward and backward (test/gpu/cuda_ops_check.cpp)
#   3  the native core on CUDA against the CPU, CUDA graphs against eager steps, fp16 AMP
#      against fp32 over 50 steps (test/gpu/core_check.js)
#   4  the suite against HF eager: albert-large-v2 shape, batch 16, SUBJ lengths, fp16
#   5  a 5-epoch SUBJ run with the CLI (albert-large-v2 shape, random init, fp16)
#   6  the row of 4 again with torch.compile as a third peer (compiling takes minutes)
#   7  A/B: the row of 4 with ours eager (no CUDA graphs)
#   8  A/B: the row of 4 with graphs but without the fused kernels
#   9  more rows: small and large, fp16 and bf16, SUBJ and fixed 128, one SUBJ epoch per tool
#  10  the row of 4 at fixed 128-token batches (every step the same shape)
#  11  the row of 4 and one whole SUBJ epoch per tool (ours: train(); HF: its Trainer)
# Stages 1-3 are the GPU tests; 4-11 measure. Each stage has its own time limit, and none
# starts past DEADLINE_S seconds from the start; a failed stage does not stop the later ones
# (a lease is short: the rest still report), but the script exits 1 at the end when any
# requested stage failed, timed out or was skipped (deadline, no addon): the summary names
# them. When stage 2 finds the fused ops wrong, or stage 3 the graphs, the later stages run
# without them. Logs, results and a summary land in $OUT/gpu-logs.tgz (refreshed after every
# stage, so that a killed run still returns what it did) and $OUT/summary.txt. Anything else
# that fails (no GPU, no torch, the unpacking) ends the script at once (set -e).
#
# Prepare here first:
#   npm run build && npx tsc -p benchmarks/tsconfig.json && ../shared/device/pack-node.sh \
#     && mkdir -p .device/data && cp -r ../shared/data/{albert-configs,albert-v2-tokenizer,subj} .device/data/
# then run it there with carry [".device", "build/bench"]:  STAGES="1 2 3 4 5 6" DEADLINE_S=450 bash test/gpu/run.sh
# A later call on the same (warm) machine reuses build-gpu/ (ignored, so kept): STAGES="7 8 9".
set -uo pipefail
OUT=${OUT:-/tmp/albert-gpu-out}
STAGES=${STAGES:-1 2 3 4 10 5 11 6 7 8 9}
DEADLINE_S=${DEADLINE_S:-540}
LOGS=/tmp/gpu-logs
mkdir -p "$OUT" "$LOGS"
. .device/unpack.sh  # it ends with set +e: -e is switched on after it
set -e
FAILED=""  # "id:name" of every requested stage that failed or was skipped
fail_stage() { FAILED="$FAILED $1"; echo "FAIL $1${2:+: $2}" | tee -a "$LOGS/summary.txt"; }
export ALBERT_TRAINER_DATA="$PWD/.device/data" ALBERT_TRAINER_PYTHON="$(command -v python3)"
export CUDACXX=${CUDACXX:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
MACHINE=cuda-$(echo "$GPU" | sed 's/NVIDIA //; s/ .*//' | tr 'A-Z' 'a-z')
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv,noheader | tee -a "$LOGS/gpu.txt"
pack() { tar czf "$OUT/gpu-logs.tgz" -C /tmp gpu-logs || echo "(could not pack the logs this time)"; }
# stage ID NAME LIMIT_S LOG -- COMMAND...: runs it under a time limit (cut to the deadline), logs,
# records. Returns 0 (so that set -e lets the later stages run); the outcome is in STAGE_RC, and a
# failure, a timeout (rc 124) or a deadline skip of a requested stage is added to FAILED.
STAGE_RC=0
stage() {
  local id=$1 name=$2 limit=$3 log=$4; shift 5
  STAGE_RC=0
  [[ " $STAGES " == *" $id "* ]] || return 0
  local left=$((DEADLINE_S - SECONDS))
  if [ "$left" -lt 30 ]; then STAGE_RC=1; fail_stage "$id:$name" "skipped, past the deadline"; return 0; fi
  if [ "$limit" -gt "$left" ]; then limit=$left; fi
  local start=$SECONDS
  echo "== $id $name (limit ${limit}s)"
  timeout "$limit" "$@" > "$LOGS/$log" 2>&1 || STAGE_RC=$?
  tail -n "${TAIL:-20}" "$LOGS/$log"
  printf '%-2s %-52s rc=%-3s %4ss  %s\n' "$id" "$name" "$STAGE_RC" "$((SECONDS - start))" "$log" >> "$LOGS/summary.txt"
  if [ "$STAGE_RC" -ne 0 ]; then fail_stage "$id:$name" "rc=$STAGE_RC$([ "$STAGE_RC" -eq 124 ] && echo ', timed out')"; fi
  pack
  return 0
}

mkdir -p build-gpu
stage 1 "kernels vs host reference (kernel_check)" 120 kernel_check.log -- bash -c \
  "$CUDACXX -std=c++17 -O2 -gencode arch=compute_90,code=sm_90 -Inative -o build-gpu/kernel_check native/kernels/cuda/*.cu test/gpu/kernel_check.cu && build-gpu/kernel_check"

TORCH_PREFIX=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
stage 2 "addon build (cmake + ninja, CUDA libtorch)" 400 build.log -- bash -c \
  "cmake -S . -B build-gpu -G Ninja -DCMAKE_PREFIX_PATH='$TORCH_PREFIX' -DTORCH_CUDA_ARCH_LIST=9.0 -DALBERT_CUDA_ARCHITECTURES=90 \
     -DALBERT_BUILD_GPU_CHECKS=ON && ninja -k 0 -C build-gpu albert_native cuda_ops_check"
if [ "$STAGE_RC" -ne 0 ]; then
  grep -B2 -A12 -m5 'error' "$LOGS/build.log" | head -100 || true
fi
TAIL=45 stage 2 "fused ops vs libtorch (cuda_ops_check)" 120 cuda_ops_check.log -- build-gpu/cuda_ops_check
if [[ " $STAGES " == *" 2 "* ]] && ! grep -q '^time ' "$LOGS/cuda_ops_check.log" 2>/dev/null || grep -q 'FAIL' "$LOGS/cuda_ops_check.log" 2>/dev/null; then
  echo "the fused ops failed their check: the stages below run without them (ALBERT_CUDA_FUSED=0)" | tee -a "$LOGS/summary.txt"
  export ALBERT_CUDA_FUSED=0
fi
export ALBERT_TRAINER_ADDON="$PWD/build-gpu/Release/albert_native.node"
if [ ! -f "$ALBERT_TRAINER_ADDON" ]; then
  for id in $STAGES; do
    case " 3 4 5 6 7 8 9 10 11 " in *" $id "*) fail_stage "$id" "skipped: no addon was built, and it needs one";; esac
  done
  STAGES=$(echo " $STAGES " | sed 's/ \([3-9]\|1[01]\)\b//g')
fi

TAIL=30 stage 3 "CUDA core vs CPU, graphs vs eager, fp16 vs fp32 (CORE_CHECKS=${CORE_CHECKS:-all})" 240 core_check.log -- node test/gpu/core_check.js
CLI_GRAPHS=--cuda-graphs
if [[ " $STAGES " == *" 3 "* && "${CORE_CHECKS:-}" != fp16 ]] && ! grep -q 'graph-replayed vs eager loss, same padded batches.*ok' "$LOGS/core_check.log" 2>/dev/null \
   || grep -q 'graph.*FAIL' "$LOGS/core_check.log" 2>/dev/null; then
  echo "the graph checks failed: the benchmarks below run eagerly" | tee -a "$LOGS/summary.txt"
  export ALBERT_BENCH_CUDA_GRAPHS=0; CLI_GRAPHS=--no-cuda-graphs
fi

SUITE="node build/bench/benchmarks/suite.js --device cuda --out-dir $LOGS"
ROW="--configs large --amps fp16 --shapes subj"
stage 4 "suite: large fp16 SUBJ, ours vs HF eager" 150 suite-large-fp16.log -- \
  $SUITE $ROW --peers ours,hf-eager --machine "$MACHINE-large-fp16"
stage 10 "suite: large fp16 fixed 128, ours vs HF eager" 150 suite-large-fp16-fixed.log -- \
  $SUITE --configs large --amps fp16 --shapes fixed --peers ours,hf-eager --machine "$MACHINE-large-fp16-fixed"
rm -rf /tmp/subj-large
stage 5 "SUBJ 5 epochs, large shape, random init, fp16 (CLI)" 180 subj-large-cli.log -- \
  node dist/cli.js train --model albert-large-v2 --init random --dataset subj --output-dir /tmp/subj-large \
    --device cuda --amp fp16 --logging-steps 100 $CLI_GRAPHS
[ -f /tmp/subj-large/trainer_state.json ] && cp /tmp/subj-large/trainer_state.json "$LOGS/subj-large-trainer_state.json"
stage 11 "suite: large fp16 SUBJ + one SUBJ epoch per tool (e2e)" 240 suite-large-fp16-e2e.log -- \
  $SUITE $ROW --peers ours,hf-eager --e2e --e2e-configs large --machine "$MACHINE-large-fp16-e2e"
stage 6 "suite: the same row with HF torch.compile" 420 suite-large-fp16-compile.log -- \
  $SUITE $ROW --peers ours,hf-eager,hf-compile --compile-configs large --verbose --machine "$MACHINE-large-fp16-compile"
ALBERT_BENCH_CUDA_GRAPHS=0 stage 7 "A/B: ours eager (no CUDA graphs)" 120 suite-no-graphs.log -- \
  $SUITE $ROW --peers ours,hf-eager --machine "$MACHINE-no-graphs"
ALBERT_CUDA_FUSED=0 stage 8 "A/B: graphs without the fused kernels" 120 suite-no-fused.log -- \
  $SUITE $ROW --peers ours,hf-eager --machine "$MACHINE-no-fused"
stage 9 "small+large, fp16+bf16, subj+fixed; e2e epoch" 300 suite-more.log -- \
  $SUITE --configs small,large --amps fp16,bf16 --shapes subj,fixed --peers ours,hf-eager --e2e --e2e-configs large \
    --machine "$MACHINE-more"

echo
echo "== summary ($GPU, ${SECONDS}s)"
tee "$OUT/summary.txt" < "$LOGS/summary.txt"
pack
if [ -n "$FAILED" ]; then
  echo "FAILED or skipped:$FAILED" | tee -a "$OUT/summary.txt"
  exit 1
fi
