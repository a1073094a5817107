#include "kernels/cpu/dropout.h"

#include "common/error.h"
#include "kernels/cpu/vector_math.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>

namespace albert::kernels {

uint32_t drop_threshold(double p) {
  if (!(p >= 0.0 && p < 1.0)) fail(codes::kArgument, "dropout probability must be in [0, 1), got " + std::to_string(p));
  return static_cast<uint32_t>(std::llround(p * 4294967296.0));  // p < 1: fits
}

namespace {

constexpr int64_t kChunk = 4096;  // elements per stack buffer of keep factors

// The hot loops are compiled for AVX-512, AVX2 and the baseline (ALBERT_VECTOR_CLONES): the
// hash is a handful of 32-bit multiplies and shifts per element, which vectorize, where a
// scalar loop is as slow as aten's bernoulli_.

// factor[j] = scale when element begin + j is kept, else 0.
ALBERT_VECTOR_CLONES void keep_factors(uint64_t seed, uint32_t threshold, float scale, int64_t begin, int64_t count, float* factor) {
  const uint32_t first = static_cast<uint32_t>(begin);
  for (int64_t j = 0; j < count; ++j) factor[j] = keep_hash(seed, first + static_cast<uint32_t>(j)) >= threshold ? scale : 0.0f;
}

ALBERT_VECTOR_CLONES void scale_float(const float* in, const float* factor, int64_t count, float* out) {
  for (int64_t j = 0; j < count; ++j) out[j] = in[j] * factor[j];
}

// bf16 <-> float by bit shifts (round to nearest even on the way back), so the loop vectorizes.
ALBERT_VECTOR_CLONES void scale_bf16(const uint16_t* in, const float* factor, int64_t count, uint16_t* out) {
  for (int64_t j = 0; j < count; ++j) out[j] = float_to_bf16_bits(bf16_bits_to_float(in[j]) * factor[j]);
}

}  // namespace

at::Tensor dropout_kernel(const at::Tensor& x, double p, uint64_t seed) {
  const uint32_t threshold = drop_threshold(p);
  const at::Tensor input = x.contiguous();
  if (input.numel() > static_cast<int64_t>(UINT32_MAX)) fail(codes::kInput, "fast_dropout: more than 2^32 elements");
  at::Tensor out = at::empty_like(input);
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  const at::ScalarType dtype = input.scalar_type();
  at::parallel_for(0, input.numel(), 1 << 14, [&](int64_t begin, int64_t end) {
    float factor[kChunk];
    for (int64_t start = begin; start < end; start += kChunk) {
      const int64_t count = std::min(kChunk, end - start);
      keep_factors(seed, threshold, scale, start, count, factor);
      if (dtype == at::kFloat) {
        scale_float(input.const_data_ptr<float>() + start, factor, count, out.mutable_data_ptr<float>() + start);
      } else if (dtype == at::kBFloat16) {
        scale_bf16(bf16_bits(input) + start, factor, count,
                   mutable_bf16_bits(out) + start);
      } else {
        AT_DISPATCH_FLOATING_TYPES_AND(at::kHalf, dtype, "albert_fast_dropout", [&] {
          const scalar_t* in = input.const_data_ptr<scalar_t>() + start;
          scalar_t* o = out.mutable_data_ptr<scalar_t>() + start;
          for (int64_t j = 0; j < count; ++j) o[j] = static_cast<scalar_t>(static_cast<float>(in[j]) * factor[j]);
        });
      }
    }
  });
  return out;
}

namespace {

// Backward is the same kernel on the incoming gradient: d(x * m * s)/dx = m * s.
class FastDropout : public torch::autograd::Function<FastDropout> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, double p, int64_t seed) {
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = seed;
    return dropout_kernel(x, p, static_cast<uint64_t>(seed));
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const double p = ctx->saved_data["p"].toDouble();
    const uint64_t seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    return {dropout_kernel(grads[0], p, seed), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor fast_dropout(const at::Tensor& x, double p, uint64_t seed) {
  return FastDropout::apply(x, p, static_cast<int64_t>(seed));
}

}  // namespace albert::kernels
