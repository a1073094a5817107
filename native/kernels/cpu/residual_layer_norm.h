// LayerNorm(x + residual) * weight + bias on the CPU in one pass over each row, forward and
// backward: the sum is formed in float32 and never stored or rounded (aten adds in x's dtype,
// writes the sum, and reads it back in layer_norm), mean and 1/std are kept per row for the
// backward, which recomputes the sum from x and residual. The reductions run over 16 float32
// lanes so that GCC vectorizes them (a plain float sum is never reordered without -ffast-math).
#pragma once

#include <ATen/ATen.h>

namespace albert::kernels {

// x, residual (..., C) of one dtype, float32 or bf16, CPU; weight, bias (C) float32. Returns
// x's dtype, as aten's layer_norm does on the CPU under autocast (which leaves it uncast).
// Differentiable: x and residual receive the same gradient (x's dtype), weight and bias float32.
// The composition it replaces: at::layer_norm(residual + x, {C}, weight, bias, eps).
at::Tensor residual_layer_norm_cpu(const at::Tensor& x, const at::Tensor& residual, const at::Tensor& weight,
                                   const at::Tensor& bias, double eps);

// The raw kernels (no autograd). forward fills mean and rstd ((rows) float32 each).
at::Tensor residual_layer_norm_forward(const at::Tensor& x, const at::Tensor& residual, const at::Tensor& weight,
                                       const at::Tensor& bias, double eps, at::Tensor& mean, at::Tensor& rstd);
// Returns the gradient of the sum (x's dtype); grad_weight and grad_bias are set ((C) float32).
at::Tensor residual_layer_norm_backward(const at::Tensor& grad_y, const at::Tensor& x, const at::Tensor& residual,
                                        const at::Tensor& weight, const at::Tensor& mean, const at::Tensor& rstd,
                                        at::Tensor& grad_weight, at::Tensor& grad_bias);

}  // namespace albert::kernels
