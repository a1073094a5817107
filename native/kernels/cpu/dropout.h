// The CPU dropout kernel, with a counter-based mask (as Philox-style dropout on GPUs, and
// llm.c): element i of a call is kept when keep_hash(seed, i) >= p * 2^32. The mask is a pure
// function of (seed, i), so backward recomputes it instead of storing it, every thread count
// gives the same mask, and it vectorizes (a few 32-bit multiplies per element) where aten's
// bernoulli_ draws each element from a Mersenne Twister. The model calls it through
// native/albert/dropout.h, which picks it on the CPU and draws its seed.
#pragma once

#include "kernels/cpu/vector_math.h"

#include <ATen/ATen.h>

#include <cstdint>

namespace albert::kernels {

// The keep test for one element: the reference the vectorized loops are checked against.
ALBERT_VECTOR_INLINE uint32_t mix32(uint32_t x) {  // "lowbias32" (Chris Wellons' hash prospector)
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}
ALBERT_VECTOR_INLINE uint32_t keep_hash(uint64_t seed, uint32_t index) {
  return mix32(mix32(index ^ static_cast<uint32_t>(seed)) + static_cast<uint32_t>(seed >> 32));
}
// p in [0, 1): elements whose hash is below this are dropped.
uint32_t drop_threshold(double p);

// out = x * keep / (1 - p), in x's dtype (float, bf16, fp16), contiguous. Differentiable.
at::Tensor fast_dropout(const at::Tensor& x, double p, uint64_t seed);

// The raw kernel (no autograd): out = x * keep(seed, i) * scale.
at::Tensor dropout_kernel(const at::Tensor& x, double p, uint64_t seed);

}  // namespace albert::kernels
