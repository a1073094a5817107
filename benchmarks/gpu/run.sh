#!/usr/bin/env bash
# On a GPU machine that has a CUDA torch but no node (../shared/device/README.md): builds the
# addon with plain cmake against that machine's CUDA libtorch, checks the native core on CUDA
# against the CPU (benchmarks/gpu/core_check.js) and the hand-written CUDA kernels against a
# host reference (benchmarks/gpu/kernel_check.cu), then times one training step against HF
# transformers eager and torch.compile on the same GPU (the suite, benchmarks/suite.ts --device
# cuda; BENCH_FLAGS overrides its flags). Prepare here first:
#   npm run build && npx tsc -p benchmarks/tsconfig.json && ../shared/device/pack-node.sh \
#     && mkdir -p .device/data && cp -r ../shared/data/{albert-configs,albert-v2-tokenizer,subj} .device/data/
# then run it there with carry [".device", "build/bench"]. Logs and results land in $OUT.
set -uo pipefail
OUT=${OUT:-/tmp/albert-gpu-out}
mkdir -p "$OUT"
. .device/unpack.sh
export ALBERT_TRAINER_DATA="$PWD/.device/data" ALBERT_TRAINER_PYTHON="$(command -v python3)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
# The hand-written CUDA kernels against a double-precision host reference (nvcc alone, no torch).
mkdir -p build-gpu
if ${CUDACXX:-nvcc} -std=c++17 -O2 -gencode arch=compute_90,code=sm_90 -Inative -o build-gpu/kernel_check \
    native/kernels/cuda/*.cu benchmarks/gpu/kernel_check.cu >"$OUT/kernel_check.log" 2>&1; then
  build-gpu/kernel_check 2>&1 | tee -a "$OUT/kernel_check.log"; kernels=${PIPESTATUS[0]}
else tail -40 "$OUT/kernel_check.log"; kernels=1; fi
TORCH_PREFIX=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
SECONDS=0
cmake -S . -B build-gpu -G Ninja -DCMAKE_PREFIX_PATH="$TORCH_PREFIX" -DTORCH_CUDA_ARCH_LIST=9.0 >"$OUT/cmake.log" 2>&1 \
  || { tail -40 "$OUT/cmake.log"; exit 1; }
ninja -C build-gpu albert_native >"$OUT/build.log" 2>&1 || { grep -B2 -A8 'error' "$OUT/build.log" | head -100; exit 1; }
echo "built in ${SECONDS}s"
export ALBERT_TRAINER_ADDON="$PWD/build-gpu/Release/albert_native.node"
node benchmarks/gpu/core_check.js 2>&1 | tee "$OUT/core_check.log"
check=${PIPESTATUS[0]}
# torch.compile only on the small config: compiling each (config, precision, shape) costs about
# a minute even there, and the device time is short.
node build/bench/benchmarks/suite.js ${BENCH_FLAGS:---device cuda --configs small,large --amps fp16,bf16 --compile-configs small} \
  --out-dir "$OUT" --machine "cuda-$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)" 2>&1 | tee "$OUT/bench.log"
[ "$check" -ne 0 ] && exit "$check"
exit "$kernels"
