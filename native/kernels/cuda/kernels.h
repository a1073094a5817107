// Hand-written CUDA kernels for ALBERT's layer, forward and backward, behind plain launch
// functions: raw device pointers, sizes and a stream in, the launch error out. No ATen or
// torch here or in the .cu files: they compile with nvcc alone (npm run check:cuda) and
// are checked against a double-precision host reference by test/gpu/kernel_check.cu
// on a GPU machine (test/gpu/run.sh). They are NOT yet used by the model: the
// libtorch path (native/albert) still runs aten's ops; wiring them in needs a CUDA
// libtorch build and is a separate step.
//
// Dimensions: N rows (B * T tokens), C channels (H for the LayerNorm, the intermediate
// size I for the FFN activation). Every matrix is row-major and contiguous.
//
// Types: T is float, __half or __nv_bfloat16 (the only instantiations); activations and
// their gradients are T, arithmetic and every accumulation are fp32. Parameters (bias,
// gamma, beta), their gradients and the saved statistics are fp32: the master weights
// stay fp32 under AMP (DESIGN.md), so a kernel reads them as they are, with no cast.
//
// Each function returns cudaGetLastError() after its launches (cudaSuccess when N == 0),
// or cudaErrorInvalidValue for sizes it does not take; it does not synchronize, so a fault
// inside a kernel shows up at the caller's next synchronizing call.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

namespace albert::cuda {

// ---- bias + gelu_new (bias_gelu.cu) ----------------------------------------------------
// HF's gelu_new, the tanh form: gelu(u) = 0.5 u (1 + tanh(sqrt(2/pi) (u + 0.044715 u^3))).

// y = gelu(x + bias), row by row.
// y, x are (N, C); bias is (C). y may alias x.
template <typename T>
cudaError_t bias_gelu_forward(T* y, const T* x, const float* bias, int N, int C, cudaStream_t stream);

// dx = dy * gelu'(x + bias); dbias = sum over rows of dx (the T-rounded dx, as autograd
// would sum it), overwritten, not accumulated. Two launches: elementwise, then a column sum.
// dx, dy, x are (N, C); bias, dbias are (C). dx may alias dy or x.
template <typename T>
cudaError_t bias_gelu_backward(T* dx, float* dbias, const T* dy, const T* x, const float* bias, int N, int C,
                               cudaStream_t stream);

// ---- residual add + LayerNorm (residual_layernorm.cu) ----------------------------------
// ALBERT's post-LN block end: y = LayerNorm(x + residual) * gamma + beta, with the biased
// variance, as torch. The sum x + residual is formed in fp32 and never rounded to T (eager
// torch rounds it to T first under autocast; this is the more exact of the two).

// Largest C the LayerNorm kernels take: a row is cached in shared memory (C fp32 values
// forward, 2 C backward, 32 KiB at C = 4096, under the 48 KiB a block gets by default).
// 4096 is ALBERT's largest hidden size (xxlarge).
constexpr int kLayerNormMaxC = 4096;

// y = LN(x + residual) * gamma + beta; saves mean and rstd = 1 / sqrt(var + eps) per row.
// y, x, residual are (N, C); gamma, beta are (C); mean, rstd are (N). y may alias x or residual.
template <typename T>
cudaError_t residual_layernorm_forward(T* y, float* mean, float* rstd, const T* x, const T* residual,
                                       const float* gamma, const float* beta, float eps, int N, int C,
                                       cudaStream_t stream);

// The gradient of the forward above. dsum is d(x + residual): the one gradient that both x
// and residual receive. dgamma, dbeta are overwritten, not accumulated. Two launches: a
// column sum for dgamma and dbeta, then one block per row for dsum (in that order, so that
// dsum may overwrite dy).
// dsum, dy, x, residual are (N, C); gamma, dgamma, dbeta are (C); mean, rstd are (N) from
// the forward. dsum may alias dy.
template <typename T>
cudaError_t residual_layernorm_backward(T* dsum, float* dgamma, float* dbeta, const T* dy, const T* x,
                                        const T* residual, const float* mean, const float* rstd,
                                        const float* gamma, int N, int C, cudaStream_t stream);

}  // namespace albert::cuda
