// gelu_new (HF's NewGELUActivation, aten's gelu(approximate="tanh")) on the CPU, forward and
// backward in one vectorized pass each:
//   gelu_new(x) = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
//               = x * sigmoid(2u)                        (1 + tanh(u) = 2 sigmoid(2u))
//   d/dx        = s + 2 x s (1 - s) sqrt(2/pi) (1 + 3 * 0.044715 x^2),  s = sigmoid(2u)
// The sigmoid form needs one exp, which is computed by range reduction and a polynomial that
// GCC vectorizes (aten's kernel calls Sleef's tanh per vector). On this machine, 1024 x 3072
// float32 values: forward 1.3-1.8 ms against aten's 2.4-3.0, backward 2.0 against 2.7-3.1.
// Accurate to a few float32 ulps; test/native/kernels.test.ts checks it against the float64
// formula and against aten's kernel.
#pragma once

#include <ATen/ATen.h>

namespace albert::kernels {

// Differentiable; float32 CPU tensors. Other dtypes and devices go to aten's gelu(x, "tanh")
// (in bf16, a loop that converts in place did not vectorize and one through a float buffer
// was no faster than aten's).
at::Tensor gelu_new(const at::Tensor& x);

// The raw kernels (no autograd), float32: y = gelu_new(x) and grad_x = grad_y * gelu_new'(x).
at::Tensor gelu_new_forward(const at::Tensor& x);
at::Tensor gelu_new_backward(const at::Tensor& grad_y, const at::Tensor& x);

}  // namespace albert::kernels
