// bias + gelu_new, forward and backward: the FFN's `ffn` bias add fused with its
// activation (the matmul before it then runs without a bias).
//
// Design. Elementwise over (N, C), memory-bound: one thread per 16-byte pack (4 floats or
// 8 halves) in a grid-stride loop, when C is a multiple of the pack size and the T
// pointers are 16-byte aligned; else the same loop one element at a time. A pack never
// straddles two rows (C % kSize == 0), so it needs one column index for its bias. The
// backward's dbias is a second launch: a deterministic column sum of dx (common.cuh).
// The math is fp32 whatever T is, with the accurate tanhf (no --use_fast_math).
// After llm.c's gelu kernels, https://github.com/karpathy/llm.c (llmc/gelu.cuh), with the
// bias folded in.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/kernels.h"

#include <initializer_list>

namespace albert::cuda {
namespace {

constexpr float kSqrt2OverPi = 0.7978845608028654f;  // sqrt(2 / pi)
constexpr float kCubic = 0.044715f;
constexpr int kThreads = 256;

// gelu_new(u) = 0.5 u (1 + tanh(k (u + a u^3))), k = sqrt(2/pi), a = 0.044715
__device__ __forceinline__ float gelu_new(float u) {
  const float t = tanhf(kSqrt2OverPi * (u + kCubic * u * u * u));
  return 0.5f * u * (1.f + t);
}

// d gelu_new / du = 0.5 (1 + t) + 0.5 u (1 - t^2) k (1 + 3 a u^2), t as above
__device__ __forceinline__ float gelu_new_grad(float u) {
  const float t = tanhf(kSqrt2OverPi * (u + kCubic * u * u * u));
  return 0.5f * (1.f + t) + 0.5f * u * (1.f - t * t) * kSqrt2OverPi * (1.f + 3.f * kCubic * u * u);
}

// ---- forward ------------------------------------------------------------------------------

// y, x are (N, C) seen as packs; bias is (C). packs = N * C / kSize.
template <typename T>
__global__ void bias_gelu_forward_packed(T* y, const T* x, const float* bias, std::size_t packs, int C) {
  constexpr int kSize = Pack<T>::kSize;
  for (std::size_t p = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; p < packs;
       p += std::size_t{gridDim.x} * blockDim.x) {
    const int c0 = static_cast<int>((p * kSize) % C);
    const Pack<T> in = reinterpret_cast<const Pack<T>*>(x)[p];
    Pack<T> out;
#pragma unroll
    for (int k = 0; k < kSize; ++k) out.v[k] = from_float<T>(gelu_new(to_float(in.v[k]) + bias[c0 + k]));
    reinterpret_cast<Pack<T>*>(y)[p] = out;
  }
}

// y, x are (N, C); bias is (C). count = N * C.
template <typename T>
__global__ void bias_gelu_forward_scalar(T* y, const T* x, const float* bias, std::size_t count, int C) {
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < count;
       i += std::size_t{gridDim.x} * blockDim.x) {
    y[i] = from_float<T>(gelu_new(to_float(x[i]) + bias[i % C]));
  }
}

// ---- backward -----------------------------------------------------------------------------

// dx, dy, x are (N, C) seen as packs; bias is (C). packs = N * C / kSize.
template <typename T>
__global__ void bias_gelu_backward_packed(T* dx, const T* dy, const T* x, const float* bias, std::size_t packs,
                                          int C) {
  constexpr int kSize = Pack<T>::kSize;
  for (std::size_t p = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; p < packs;
       p += std::size_t{gridDim.x} * blockDim.x) {
    const int c0 = static_cast<int>((p * kSize) % C);
    const Pack<T> g = reinterpret_cast<const Pack<T>*>(dy)[p];
    const Pack<T> in = reinterpret_cast<const Pack<T>*>(x)[p];
    Pack<T> out;
#pragma unroll
    for (int k = 0; k < kSize; ++k) {
      out.v[k] = from_float<T>(to_float(g.v[k]) * gelu_new_grad(to_float(in.v[k]) + bias[c0 + k]));
    }
    reinterpret_cast<Pack<T>*>(dx)[p] = out;
  }
}

// dx, dy, x are (N, C); bias is (C). count = N * C.
template <typename T>
__global__ void bias_gelu_backward_scalar(T* dx, const T* dy, const T* x, const float* bias, std::size_t count,
                                          int C) {
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < count;
       i += std::size_t{gridDim.x} * blockDim.x) {
    dx[i] = from_float<T>(to_float(dy[i]) * gelu_new_grad(to_float(x[i]) + bias[i % C]));
  }
}

// dbias[c] = sum over n of dx[n, c]. dx is (N, C); dbias is (C).
// Grid: ceil(C / kColumnsPerBlock) blocks of (kColumnsPerBlock, kRowsPerBlock) threads.
template <typename T>
__global__ void column_sum(float* dbias, const T* dx, int N, int C) {
  __shared__ float scratch[kRowsPerBlock][kColumnsPerBlock + 1];
  const int c = blockIdx.x * kColumnsPerBlock + threadIdx.x;
  float sum = 0.f;
  if (c < C) {
    for (int n = threadIdx.y; n < N; n += kRowsPerBlock) sum += to_float(dx[std::size_t(n) * C + c]);
  }
  sum = column_block_sum(sum, scratch);
  if (threadIdx.y == 0 && c < C) dbias[c] = sum;
}

template <typename T>
bool packable(int C, std::initializer_list<const void*> pointers) {
  if (C % Pack<T>::kSize != 0) return false;
  for (const void* p : pointers) {
    if (!aligned16(p)) return false;
  }
  return true;
}

}  // namespace

template <typename T>
cudaError_t bias_gelu_forward(T* y, const T* x, const float* bias, int N, int C, cudaStream_t stream) {
  if (N < 0 || C <= 0) return cudaErrorInvalidValue;
  if (N == 0) return cudaSuccess;
  const std::size_t count = std::size_t(N) * C;
  if (packable<T>(C, {y, x})) {
    const std::size_t packs = count / Pack<T>::kSize;
    bias_gelu_forward_packed<T><<<grid_for(packs, kThreads), kThreads, 0, stream>>>(y, x, bias, packs, C);
  } else {
    bias_gelu_forward_scalar<T><<<grid_for(count, kThreads), kThreads, 0, stream>>>(y, x, bias, count, C);
  }
  return cudaGetLastError();
}

template <typename T>
cudaError_t bias_gelu_backward(T* dx, float* dbias, const T* dy, const T* x, const float* bias, int N, int C,
                               cudaStream_t stream) {
  if (N < 0 || C <= 0) return cudaErrorInvalidValue;
  if (N > 0) {
    const std::size_t count = std::size_t(N) * C;
    if (packable<T>(C, {dx, dy, x})) {
      const std::size_t packs = count / Pack<T>::kSize;
      bias_gelu_backward_packed<T><<<grid_for(packs, kThreads), kThreads, 0, stream>>>(dx, dy, x, bias, packs, C);
    } else {
      bias_gelu_backward_scalar<T><<<grid_for(count, kThreads), kThreads, 0, stream>>>(dx, dy, x, bias, count, C);
    }
    const cudaError_t error = cudaGetLastError();
    if (error != cudaSuccess) return error;
  }
  // With N == 0 this writes zeros: the sum over no rows.
  const dim3 block(kColumnsPerBlock, kRowsPerBlock);
  const unsigned blocks = (C + kColumnsPerBlock - 1) / kColumnsPerBlock;
  column_sum<T><<<blocks, block, 0, stream>>>(dbias, dx, N, C);
  return cudaGetLastError();
}

#define ALBERT_INSTANTIATE(T)                                                                                 \
  template cudaError_t bias_gelu_forward<T>(T*, const T*, const float*, int, int, cudaStream_t);            \
  template cudaError_t bias_gelu_backward<T>(T*, float*, const T*, const T*, const float*, int, int,        \
                                             cudaStream_t);
ALBERT_INSTANTIATE(float)
ALBERT_INSTANTIATE(__half)
ALBERT_INSTANTIATE(__nv_bfloat16)
#undef ALBERT_INSTANTIATE

}  // namespace albert::cuda
