// Device helpers shared by the kernels in this folder: T <-> fp32 conversion, 16-byte
// packs for vectorized loads, warp and block sums, and the sizes of the column-sum blocks.
// Plain CUDA C++ (no ATen), included only by the .cu files here.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace albert::cuda {

// ---- T <-> fp32 ---------------------------------------------------------------------------

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

// Round to nearest even, as torch's casts do.
template <typename T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ float from_float<float>(float v) {
  return v;
}
template <>
__device__ __forceinline__ __half from_float<__half>(float v) {
  return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

// ---- 16-byte packs ------------------------------------------------------------------------

// kSize consecutive values of T in one 16-byte load or store (4 floats, 8 halves).
template <typename T>
struct alignas(16) Pack {
  static constexpr int kSize = 16 / sizeof(T);
  T v[kSize];
};

inline bool aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

// ---- reductions ---------------------------------------------------------------------------

constexpr unsigned kFullMask = 0xffffffffu;

// The sum over the 32 lanes of a warp, in every lane.
__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(kFullMask, v, offset);
  return v;
}

// The sum over the whole block, in every thread. blockDim.x is a multiple of 32 (at most
// 1024), blockDim.y == 1, and every thread of the block calls it. scratch is (32) floats
// of shared memory; calling again with the same scratch is safe (the first barrier).
__device__ __forceinline__ float block_sum(float v, float* scratch) {
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  const int warps = blockDim.x / 32;
  v = warp_sum(v);
  __syncthreads();  // a previous call may still be reading scratch
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  // Every warp reduces the per-warp partials, so every thread holds the total.
  return warp_sum(lane < warps ? scratch[lane] : 0.f);
}

// Column sums over rows (dbias, dgamma, dbeta) use blocks of (kColumnsPerBlock,
// kRowsPerBlock) threads: threadIdx.x picks one of the block's 32 adjacent columns (so a
// warp reads 32 adjacent values of a row, coalesced), threadIdx.y strides the rows; the
// kRowsPerBlock partials of a column are then added in shared memory in a fixed order,
// so the sums are deterministic (no atomics).
constexpr int kColumnsPerBlock = 32;
constexpr int kRowsPerBlock = 32;

// The sum of v over threadIdx.y for each threadIdx.x, valid in the threads with
// threadIdx.y == 0. scratch is (kRowsPerBlock, kColumnsPerBlock + 1) floats of shared
// memory (the + 1 pad keeps the column walk free of bank conflicts); calling again with
// the same scratch is safe (the first barrier).
__device__ __forceinline__ float column_block_sum(float v, float (*scratch)[kColumnsPerBlock + 1]) {
  __syncthreads();  // a previous call may still be reading scratch
  scratch[threadIdx.y][threadIdx.x] = v;
  __syncthreads();
  float sum = 0.f;
  if (threadIdx.y == 0) {
    for (int r = 0; r < kRowsPerBlock; ++r) sum += scratch[r][threadIdx.x];
  }
  return sum;
}

// Blocks for a grid-stride loop over `count` items, `threads` to a block.
inline unsigned grid_for(std::size_t count, int threads) {
  const std::size_t blocks = (count + threads - 1) / threads;
  constexpr std::size_t kMaxBlocks = 1u << 16;  // the loop covers the rest
  return static_cast<unsigned>(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

}  // namespace albert::cuda
