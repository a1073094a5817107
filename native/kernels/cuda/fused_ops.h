// The hand-written CUDA kernels (kernels.h) as differentiable ATen ops, for the model's CUDA
// path. Built into the core always; the kernels run only in an addon built against a CUDA
// libtorch (ALBERT_WITH_CUDA), and fused_ops_available() says whether this one was.
//
// Each op equals the libtorch composition it replaces, to rounding (test/gpu/cuda_ops_check.cpp
// checks forward and backward against it on a GPU, per dtype).
#pragma once

#include <ATen/ATen.h>

namespace albert::kernels {

// True when built with CUDA and not turned off with ALBERT_CUDA_FUSED=0 (read once; for A/B
// measurements against aten's ops).
bool fused_ops_available();

// gelu_new(x + bias) on CUDA: x (..., C) fp32, fp16 or bf16; bias (C) fp32 (the master
// weight, read as it is under autocast). Returns x's dtype; the gradient reaches x (its dtype)
// and bias (fp32). The composition: at::gelu(x + bias, "tanh").
at::Tensor bias_gelu_new(const at::Tensor& x, const at::Tensor& bias);

// LayerNorm(x + residual) * weight + bias on CUDA, in fp32: x and residual (..., C) of any
// float dtype are read as fp32 (the sum is never rounded to a half type), weight and bias (C)
// fp32, C <= 4096. Returns fp32, as autocast's layer_norm does. The composition:
// at::layer_norm(x.float() + residual.float(), {C}, weight, bias, eps).
at::Tensor residual_layer_norm(const at::Tensor& x, const at::Tensor& residual, const at::Tensor& weight,
                               const at::Tensor& bias, double eps);

}  // namespace albert::kernels
