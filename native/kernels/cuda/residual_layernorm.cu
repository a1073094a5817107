// residual add + LayerNorm, forward and backward: the end of ALBERT's post-LN blocks,
// y = LN(x + residual) * gamma + beta (full_layer_layer_norm after the FFN; the attention
// output's LayerNorm has the same form).
//
// Design. Forward: one block per row, ~4 columns to a thread (32 to 1024 threads). The
// block adds the row into shared memory in fp32 (C floats), sums it for the mean, walks
// the cached row again for the variance (two passes: no E[s^2] - E[s]^2 cancellation, and
// no second read of global memory), then writes y and the row's mean and rstd.
// Backward, with xhat = (s - mean) rstd, g = dy * gamma, and means over the row's C:
//   dsum = rstd (g - mean(g) - xhat mean(g xhat))
// is one block per row again (xhat and g cached in shared memory, 2 C floats; both means
// in one walk), and dgamma = sum_n dy xhat, dbeta = sum_n dy are a deterministic column
// sum (common.cuh) that recomputes xhat from x, residual, mean and rstd. The column sum
// runs first, so dsum may overwrite dy.
// After llm.c's layernorm kernels, https://github.com/karpathy/llm.c (llmc/layernorm.cuh),
// with the residual add folded in and a shared-memory row cache in place of registers.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/kernels.h"

namespace albert::cuda {
namespace {

// Threads for one row: a multiple of 32 near C / 4, at least 32, at most 1024.
int row_threads(int C) {
  const int wanted = ((C + 3) / 4 + 31) / 32 * 32;
  return wanted < 32 ? 32 : (wanted > 1024 ? 1024 : wanted);
}

// One block per row. y, x, residual are (N, C); gamma, beta are (C); mean, rstd are (N).
// Dynamic shared memory: (C) floats.
template <typename T>
__global__ void residual_layernorm_forward_kernel(T* y, float* mean, float* rstd, const T* x, const T* residual,
                                                  const float* gamma, const float* beta, float eps, int C) {
  extern __shared__ float row[];  // (C): x + residual, this block's row
  __shared__ float scratch[32];
  const std::size_t offset = std::size_t(blockIdx.x) * C;
  x += offset;
  residual += offset;
  y += offset;

  float sum = 0.f;
  for (int c = threadIdx.x; c < C; c += blockDim.x) {
    const float s = to_float(x[c]) + to_float(residual[c]);
    row[c] = s;
    sum += s;
  }
  const float m = block_sum(sum, scratch) / C;

  // Each thread reads back only the entries it wrote: no barrier needed for row[].
  float squares = 0.f;
  for (int c = threadIdx.x; c < C; c += blockDim.x) {
    const float d = row[c] - m;
    squares += d * d;
  }
  const float var = block_sum(squares, scratch) / C;  // biased, as torch
  const float rs = rsqrtf(var + eps);

  // Every read of x and residual is behind the barriers above, so y may alias either.
  for (int c = threadIdx.x; c < C; c += blockDim.x) {
    y[c] = from_float<T>((row[c] - m) * rs * gamma[c] + beta[c]);
  }
  if (threadIdx.x == 0) {
    mean[blockIdx.x] = m;
    rstd[blockIdx.x] = rs;
  }
}

// One block per row. dsum, dy, x, residual are (N, C); gamma is (C); mean, rstd are (N).
// Dynamic shared memory: (2, C) floats.
template <typename T>
__global__ void residual_layernorm_backward_kernel(T* dsum, const T* dy, const T* x, const T* residual,
                                                   const float* mean, const float* rstd, const float* gamma, int C) {
  extern __shared__ float cache[];  // (2, C): xhat, then g = dy * gamma
  float* xhat = cache;
  float* g = cache + C;
  __shared__ float scratch[32];
  const std::size_t offset = std::size_t(blockIdx.x) * C;
  dy += offset;
  x += offset;
  residual += offset;
  dsum += offset;
  const float m = mean[blockIdx.x];
  const float rs = rstd[blockIdx.x];

  float sum_g = 0.f;
  float sum_g_xhat = 0.f;
  for (int c = threadIdx.x; c < C; c += blockDim.x) {
    const float xh = (to_float(x[c]) + to_float(residual[c]) - m) * rs;
    const float gc = to_float(dy[c]) * gamma[c];
    xhat[c] = xh;
    g[c] = gc;
    sum_g += gc;
    sum_g_xhat += gc * xh;
  }
  const float mean_g = block_sum(sum_g, scratch) / C;
  const float mean_g_xhat = block_sum(sum_g_xhat, scratch) / C;

  // Every read of dy is behind the barriers above, so dsum may alias it.
  for (int c = threadIdx.x; c < C; c += blockDim.x) {
    dsum[c] = from_float<T>(rs * (g[c] - mean_g - xhat[c] * mean_g_xhat));
  }
}

// dgamma[c] = sum over n of dy[n, c] xhat[n, c]; dbeta[c] = sum over n of dy[n, c].
// dy, x, residual are (N, C); mean, rstd are (N); dgamma, dbeta are (C).
// Grid: ceil(C / kColumnsPerBlock) blocks of (kColumnsPerBlock, kRowsPerBlock) threads.
template <typename T>
__global__ void residual_layernorm_param_grads(float* dgamma, float* dbeta, const T* dy, const T* x,
                                               const T* residual, const float* mean, const float* rstd, int N,
                                               int C) {
  __shared__ float scratch[kRowsPerBlock][kColumnsPerBlock + 1];
  const int c = blockIdx.x * kColumnsPerBlock + threadIdx.x;
  float sum_dy_xhat = 0.f;
  float sum_dy = 0.f;
  if (c < C) {
    for (int n = threadIdx.y; n < N; n += kRowsPerBlock) {
      const std::size_t i = std::size_t(n) * C + c;
      const float d = to_float(dy[i]);
      sum_dy_xhat += d * ((to_float(x[i]) + to_float(residual[i]) - mean[n]) * rstd[n]);
      sum_dy += d;
    }
  }
  sum_dy_xhat = column_block_sum(sum_dy_xhat, scratch);
  if (threadIdx.y == 0 && c < C) dgamma[c] = sum_dy_xhat;
  sum_dy = column_block_sum(sum_dy, scratch);
  if (threadIdx.y == 0 && c < C) dbeta[c] = sum_dy;
}

}  // namespace

template <typename T>
cudaError_t residual_layernorm_forward(T* y, float* mean, float* rstd, const T* x, const T* residual,
                                       const float* gamma, const float* beta, float eps, int N, int C,
                                       cudaStream_t stream) {
  if (N < 0 || C <= 0 || C > kLayerNormMaxC) return cudaErrorInvalidValue;
  if (N == 0) return cudaSuccess;
  const std::size_t shared = std::size_t(C) * sizeof(float);
  residual_layernorm_forward_kernel<T><<<N, row_threads(C), shared, stream>>>(y, mean, rstd, x, residual, gamma,
                                                                              beta, eps, C);
  return cudaGetLastError();
}

template <typename T>
cudaError_t residual_layernorm_backward(T* dsum, float* dgamma, float* dbeta, const T* dy, const T* x,
                                        const T* residual, const float* mean, const float* rstd,
                                        const float* gamma, int N, int C, cudaStream_t stream) {
  if (N < 0 || C <= 0 || C > kLayerNormMaxC) return cudaErrorInvalidValue;
  // First, while dy is intact; with N == 0 it writes zeros, the sums over no rows.
  const dim3 block(kColumnsPerBlock, kRowsPerBlock);
  const unsigned blocks = (C + kColumnsPerBlock - 1) / kColumnsPerBlock;
  residual_layernorm_param_grads<T><<<blocks, block, 0, stream>>>(dgamma, dbeta, dy, x, residual, mean, rstd, N, C);
  const cudaError_t error = cudaGetLastError();
  if (error != cudaSuccess || N == 0) return error;
  const std::size_t shared = 2 * std::size_t(C) * sizeof(float);
  residual_layernorm_backward_kernel<T><<<N, row_threads(C), shared, stream>>>(dsum, dy, x, residual, mean, rstd,
                                                                               gamma, C);
  return cudaGetLastError();
}

#define ALBERT_INSTANTIATE(T)                                                                                   \
  template cudaError_t residual_layernorm_forward<T>(T*, float*, float*, const T*, const T*, const float*,    \
                                                     const float*, float, int, int, cudaStream_t);            \
  template cudaError_t residual_layernorm_backward<T>(T*, float*, float*, const T*, const T*, const T*,       \
                                                      const float*, const float*, const float*, int, int,     \
                                                      cudaStream_t);
ALBERT_INSTANTIATE(float)
ALBERT_INSTANTIATE(__half)
ALBERT_INSTANTIATE(__nv_bfloat16)
#undef ALBERT_INSTANTIATE

}  // namespace albert::cuda
