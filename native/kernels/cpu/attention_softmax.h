// Attention probabilities on the CPU in one pass per row, forward and backward: the scale, the
// key mask, the softmax and the (counter-based) dropout that native/albert/attention.cpp
// otherwise runs as four aten ops, each reading and writing the whole (B, N, Tq, T) tensor:
//   y   = softmax(where(keep, scores * scale, -inf)) over the last dimension   (float32 math)
//   out = y * keep_hash(seed, i) >= drop_threshold(p) / (1 - p)                 (dropout.h's mask)
// Backward: g = grad_out * the same keep factor (recomputed from (seed, i), not stored),
//   grad_scores = scale * y * (g - sum_row(g * y)), y the saved pre-dropout softmax; masked keys
//   (y = 0 exactly) get 0. So attention_probs(s, keep, scale, p, seed) equals
//   fast_dropout(softmax(s * scale masked), p, seed) up to the softmax's float rounding.
// bf16 values are widened and rounded by bit shifts inside the loops (vector_math.h); the loops
// vectorize in the AVX-512 clone. test/native/attention-softmax.test.ts checks them against the
// float64 formula and against the aten composition.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <optional>

namespace albert::kernels {

// dropout(softmax(scores * scale, masked where !keep), p, seed) over the last dimension. scores (B, N, Tq, T)
// float32 or bf16 CPU contiguous; keep undefined or bool broadcastable as (B, 1, 1, T) or (B, 1, Tq, T);
// p in [0, 1). Returns scores' dtype. A row whose keys are all masked gives zeros (aten would give NaN).
// Differentiable in scores.
at::Tensor attention_probs(const at::Tensor& scores, const std::optional<at::Tensor>& keep, double scale, double p, uint64_t seed);

// The raw kernels (no autograd). Forward returns the output and sets *softmax to the pre-dropout
// softmax (the same tensor as the output when p == 0); backward returns grad_scores in softmax's
// dtype (grad_out is converted to it).
at::Tensor attention_probs_forward(const at::Tensor& scores, const std::optional<at::Tensor>& keep, double scale, double p, uint64_t seed,
                                   at::Tensor* softmax);
at::Tensor attention_probs_backward(const at::Tensor& grad_out, const at::Tensor& softmax, double scale, double p, uint64_t seed);

}  // namespace albert::kernels
