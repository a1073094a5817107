// gelu_new (HF's NewGELUActivation, aten's gelu(approximate="tanh")) on the CPU, with or without
// the bias of the Linear before it, forward and backward in one vectorized pass each:
//   gelu_new(x) = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
//               = x * sigmoid(2u)                        (1 + tanh(u) = 2 sigmoid(2u))
//   d/dx        = s + 2 x s (1 - s) sqrt(2/pi) (1 + 3 * 0.044715 x^2),  s = sigmoid(2u)
// The sigmoid form needs one exp, which is computed by range reduction and a polynomial that
// GCC vectorizes (aten's kernel calls Sleef's tanh per vector). bf16 values are widened and
// rounded by bit shifts inside the same loop, so the math is fp32 and nothing is rounded
// between the bias add and the activation. On this machine, 1024 x 3072 float32 values:
// forward 1.3-1.8 ms against aten's 2.4-3.0, backward 2.0 against 2.7-3.1.
// Accurate to a few float32 ulps; test/native/kernels.test.ts and fused-kernels.test.ts check
// them against the float64 formula and against aten's kernel.
#pragma once

#include <ATen/ATen.h>

namespace albert::kernels {

// Differentiable; float32 CPU tensors, and bf16 where cpu_fused_ops_enabled() (dispatch.h). Other
// dtypes and devices go to aten's gelu(x, "tanh").
at::Tensor gelu_new(const at::Tensor& x);

// gelu_new(x + bias), differentiable: x (..., C) float32 or bf16 on the CPU, bias (C) float32
// (the master weight, read as it is under autocast). Returns x's dtype; the gradient reaches x
// (its dtype) and bias (float32, summed over rows in float32). The composition it replaces:
// at::gelu(at::linear(.., weight, bias), "tanh"), i.e. at::gelu(x + bias, "tanh").
at::Tensor bias_gelu_new_cpu(const at::Tensor& x, const at::Tensor& bias);

// The raw kernels (no autograd). bias may be undefined (no bias). x float32 or bf16.
at::Tensor gelu_new_forward(const at::Tensor& x, const at::Tensor& bias = {});
// grad_x = grad_y * gelu_new'(x + bias), in x's dtype; when grad_bias is defined ((C) float32)
// it receives the column sums of grad_x (before rounding to x's dtype).
at::Tensor gelu_new_backward(const at::Tensor& grad_y, const at::Tensor& x, const at::Tensor& bias = {},
                             at::Tensor* grad_bias = nullptr);

}  // namespace albert::kernels
