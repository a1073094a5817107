#include "kernels/cpu/attention_softmax.h"

#include "kernels/cpu/dropout.h"
#include "kernels/cpu/vector_math.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace albert::kernels {

namespace {

constexpr int64_t kGrain = 1 << 14;  // elements per parallel task at least
constexpr float kMinusInf = -std::numeric_limits<float>::infinity();


ALBERT_VECTOR_INLINE float lanes_max(const float* lanes) {
  float m = lanes[0];
  for (int64_t l = 1; l < kLanes; ++l) m = lanes[l] > m ? lanes[l] : m;
  return m;
}
ALBERT_VECTOR_INLINE float lanes_sum(const float* lanes) {
  float total = 0.0f;
  for (int64_t l = 0; l < kLanes; ++l) total += lanes[l];
  return total;
}

// The dropout of one call: element i is kept (times scale) when keep_hash(seed, i) >= threshold.
struct Drop {
  uint64_t seed;
  uint32_t threshold;
  float scale;
};
ALBERT_VECTOR_INLINE float keep_factor(const Drop& drop, uint32_t index) {
  return keep_hash(drop.seed, index) >= drop.threshold ? drop.scale : 0.0f;
}

// The masked, scaled value of one key: where(keep, x * scale, -inf). Selected by bit masks: GCC
// leaves a ?: on the uint8 keep (or a float max) as control flow, and the loop scalar.
ALBERT_VECTOR_INLINE uint32_t keep_bits(const uint8_t* keep, int64_t j) { return 0U - static_cast<uint32_t>(keep[j] != 0); }
ALBERT_VECTOR_INLINE float select_bits(uint32_t mask, float kept, float masked_value) {
  uint32_t a, b;
  std::memcpy(&a, &kept, sizeof(a));
  std::memcpy(&b, &masked_value, sizeof(b));
  const uint32_t bits = (a & mask) | (b & ~mask);
  float out;
  std::memcpy(&out, &bits, sizeof(out));
  return out;
}
template <typename T>
ALBERT_VECTOR_INLINE float masked(const T* x, const uint8_t* keep, float scale, int64_t j) {
  return select_bits(keep_bits(keep, j), widen(x[j]) * scale, kMinusInf);
}

// Max and sum of values[0, count): kLanes partial results, then the tail (GCC vectorizes the
// lane loop; a plain running max or sum is a serial dependence it leaves scalar).
ALBERT_VECTOR_INLINE float lane_max(const float* __restrict values, int64_t count) {
  float lanes[kLanes];
  for (int64_t l = 0; l < kLanes; ++l) lanes[l] = kMinusInf;
  int64_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    for (int64_t l = 0; l < kLanes; ++l) {  // a bit-mask select: a ?: max leaves this loop scalar
      lanes[l] = select_bits(0U - static_cast<uint32_t>(values[i + l] > lanes[l]), values[i + l], lanes[l]);
    }
  }
  float m = lanes_max(lanes);
  for (; i < count; ++i) m = values[i] > m ? values[i] : m;
  return m;
}

// One row of n keys: y = softmax (saved, only when Dropout) and out = y * keep factor (or y).
// Simple passes over the row (in L1), each of which GCC vectorizes: the masked scaled values
// (into e), their max, the exps (in place), their sum, the outputs.
template <typename T, bool Dropout>
ALBERT_VECTOR_INLINE void forward_row(const T* __restrict x, const uint8_t* __restrict keep, float scale, int64_t n, const Drop& drop,
                                      uint32_t first, float* __restrict e, T* __restrict y, T* __restrict out) {
  for (int64_t j = 0; j < n; ++j) e[j] = masked(x, keep, scale, j);
  const float m = lane_max(e, n);
  if (m == kMinusInf) {  // every key masked: zeros (aten's softmax gives NaN)
    for (int64_t j = 0; j < n; ++j) {
      narrow(0.0f, out + j);
      if (Dropout) narrow(0.0f, y + j);
    }
    return;
  }
  for (int64_t j = 0; j < n; ++j) e[j] = select_bits(keep_bits(keep, j), exp_approx(e[j] - m), 0.0f);
  const float inv = 1.0f / lane_sum(e, n);  // the sum is >= 1: the max's exp is 1
  for (int64_t j = 0; j < n; ++j) {
    const float p = e[j] * inv;
    if (Dropout) {
      narrow(p, y + j);
      narrow(p * keep_factor(drop, first + static_cast<uint32_t>(j)), out + j);
    } else {
      narrow(p, out + j);
    }
  }
}

// sum(g * y) over n values: kLanes partial sums, then the tail.
template <typename T>
ALBERT_VECTOR_INLINE float lane_dot(const float* __restrict g, const T* __restrict y, int64_t count) {
  float lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    for (int64_t l = 0; l < kLanes; ++l) lanes[l] += g[i + l] * widen(y[i + l]);
  }
  float total = lanes_sum(lanes);
  for (; i < count; ++i) total += g[i] * widen(y[i]);
  return total;
}

// One row's backward: g = grad_out * keep factor, grad = scale * y * (g - sum(g * y)). g: n floats.
template <typename T, bool Dropout>
ALBERT_VECTOR_INLINE void backward_row(const T* __restrict grad_out, const T* __restrict y, float scale, int64_t n, const Drop& drop,
                                       uint32_t first, float* __restrict g, T* __restrict grad) {
  if (Dropout) {
    for (int64_t j = 0; j < n; ++j) g[j] = widen(grad_out[j]) * keep_factor(drop, first + static_cast<uint32_t>(j));
  } else {
    for (int64_t j = 0; j < n; ++j) g[j] = widen(grad_out[j]);
  }
  const float dot = lane_dot(g, y, n);
  for (int64_t j = 0; j < n; ++j) narrow(scale * widen(y[j]) * (g[j] - dot), grad + j);
}

// The clones (target_clones takes no templates).
ALBERT_VECTOR_CLONES void forward_row_float(const float* x, const uint8_t* keep, float scale, int64_t n, Drop drop, uint32_t first, float* e,
                                            float* y, float* out) {
  forward_row<float, false>(x, keep, scale, n, drop, first, e, y, out);
}
ALBERT_VECTOR_CLONES void forward_row_float_dropout(const float* x, const uint8_t* keep, float scale, int64_t n, Drop drop, uint32_t first,
                                                    float* e, float* y, float* out) {
  forward_row<float, true>(x, keep, scale, n, drop, first, e, y, out);
}
ALBERT_VECTOR_CLONES void forward_row_bf16(const uint16_t* x, const uint8_t* keep, float scale, int64_t n, Drop drop, uint32_t first, float* e,
                                           uint16_t* y, uint16_t* out) {
  forward_row<uint16_t, false>(x, keep, scale, n, drop, first, e, y, out);
}
ALBERT_VECTOR_CLONES void forward_row_bf16_dropout(const uint16_t* x, const uint8_t* keep, float scale, int64_t n, Drop drop, uint32_t first,
                                                   float* e, uint16_t* y, uint16_t* out) {
  forward_row<uint16_t, true>(x, keep, scale, n, drop, first, e, y, out);
}
ALBERT_VECTOR_CLONES void backward_row_float(const float* grad_out, const float* y, float scale, int64_t n, Drop drop, uint32_t first, float* g,
                                             float* grad) {
  backward_row<float, false>(grad_out, y, scale, n, drop, first, g, grad);
}
ALBERT_VECTOR_CLONES void backward_row_float_dropout(const float* grad_out, const float* y, float scale, int64_t n, Drop drop, uint32_t first,
                                                     float* g, float* grad) {
  backward_row<float, true>(grad_out, y, scale, n, drop, first, g, grad);
}
ALBERT_VECTOR_CLONES void backward_row_bf16(const uint16_t* grad_out, const uint16_t* y, float scale, int64_t n, Drop drop, uint32_t first,
                                            float* g, uint16_t* grad) {
  backward_row<uint16_t, false>(grad_out, y, scale, n, drop, first, g, grad);
}
ALBERT_VECTOR_CLONES void backward_row_bf16_dropout(const uint16_t* grad_out, const uint16_t* y, float scale, int64_t n, Drop drop,
                                                    uint32_t first, float* g, uint16_t* grad) {
  backward_row<uint16_t, true>(grad_out, y, scale, n, drop, first, g, grad);
}

void check_scores(const at::Tensor& scores, const char* what, const char* name) {
  TORCH_CHECK(scores.defined() && scores.device().is_cpu() && (scores.scalar_type() == at::kFloat || scores.scalar_type() == at::kBFloat16),
              what, ": ", name, " must be a float32 or bf16 CPU tensor");
  TORCH_CHECK(scores.dim() == 4, what, ": ", name, " must be (B, N, Tq, T), got ", scores.dim(), " dimensions");
}

// p's keep threshold and scale; p must be in [0, 1), and the flat index must fit in 32 bits.
Drop drop_of(double p, uint64_t seed, int64_t numel, const char* what) {
  TORCH_CHECK(p >= 0.0 && p < 1.0, what, ": p must be in [0, 1), got ", p);
  TORCH_CHECK(p == 0.0 || numel <= static_cast<int64_t>(UINT32_MAX), what, ": dropout over more than 2^32 elements");
  return Drop{seed, p > 0.0 ? drop_threshold(p) : 0U, static_cast<float>(1.0 / (1.0 - p))};
}

int64_t grain_rows(int64_t T) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(T, 1)); }

}  // namespace

at::Tensor attention_probs_forward(const at::Tensor& scores_in, const std::optional<at::Tensor>& keep_in, double scale, double p, uint64_t seed,
                                   at::Tensor* softmax) {
  constexpr const char* what = "attention_probs";
  check_scores(scores_in, what, "scores");
  const at::Tensor scores = scores_in.contiguous();  // (B, N, Tq, T)
  const int64_t B = scores.size(0), N = scores.size(1), Tq = scores.size(2), T = scores.size(3);
  const Drop drop = drop_of(p, seed, scores.numel(), what);
  const bool dropout = p > 0.0;
  at::Tensor keep;  // (B, 1, KQ, T) bool, KQ = 1 or Tq
  int64_t KQ = 1;
  if (keep_in.has_value() && keep_in->defined()) {
    keep = *keep_in;
    TORCH_CHECK(keep.device().is_cpu() && keep.scalar_type() == at::kBool, what, ": keep must be a bool CPU tensor");
    TORCH_CHECK(keep.dim() == 4 && keep.size(0) == B && keep.size(1) == 1 && (keep.size(2) == 1 || keep.size(2) == Tq) && keep.size(3) == T,
                what, ": keep must be (B, 1, 1, T) or (B, 1, Tq, T) for scores ", scores.sizes(), ", got ", keep.sizes());
    keep = keep.contiguous();
    KQ = keep.size(2);
  }
  std::vector<uint8_t> all_keys(static_cast<size_t>(keep.defined() ? 0 : T), 1);  // the mask when there is none
  const uint8_t* keep_data = keep.defined() ? reinterpret_cast<const uint8_t*>(keep.const_data_ptr<bool>()) : all_keys.data();
  at::Tensor out = at::empty_like(scores);                   // (B, N, Tq, T)
  at::Tensor y = dropout ? at::empty_like(scores) : out;     // (B, N, Tq, T): the pre-dropout softmax
  const bool bf16 = scores.scalar_type() == at::kBFloat16;
  const float scale_f = static_cast<float>(scale);
  const int64_t rows = B * N * Tq;
  at::parallel_for(0, rows, grain_rows(T), [&](int64_t begin, int64_t end) {
    std::vector<float> e(static_cast<size_t>(std::max<int64_t>(T, 1)));
    for (int64_t r = begin; r < end; ++r) {
      const int64_t b = r / (N * Tq), q = r % Tq;
      const uint8_t* k = keep.defined() ? keep_data + (b * KQ + (KQ == 1 ? 0 : q)) * T : keep_data;
      const int64_t offset = r * T;
      const uint32_t first = static_cast<uint32_t>(offset);
      if (bf16) {
        (dropout ? forward_row_bf16_dropout : forward_row_bf16)(bf16_bits(scores) + offset, k, scale_f, T, drop, first, e.data(), mutable_bf16_bits(y) + offset,
                                                                mutable_bf16_bits(out) + offset);
      } else {
        (dropout ? forward_row_float_dropout : forward_row_float)(scores.const_data_ptr<float>() + offset, k, scale_f, T, drop, first, e.data(),
                                                                  y.mutable_data_ptr<float>() + offset, out.mutable_data_ptr<float>() + offset);
      }
    }
  });
  if (softmax != nullptr) *softmax = y;
  return out;
}

at::Tensor attention_probs_backward(const at::Tensor& grad_out_in, const at::Tensor& softmax_in, double scale, double p, uint64_t seed) {
  constexpr const char* what = "attention_probs_backward";
  check_scores(softmax_in, what, "softmax");
  TORCH_CHECK(grad_out_in.defined() && grad_out_in.device().is_cpu() && grad_out_in.sizes() == softmax_in.sizes(), what,
              ": grad_out must be a CPU tensor of softmax's shape ", softmax_in.sizes());
  const at::Tensor y = softmax_in.contiguous();                                   // (B, N, Tq, T)
  const at::Tensor grad_out = grad_out_in.to(y.scalar_type()).contiguous();      // (B, N, Tq, T)
  const Drop drop = drop_of(p, seed, y.numel(), what);
  const bool dropout = p > 0.0;
  at::Tensor grad = at::empty_like(y);  // (B, N, Tq, T)
  const bool bf16 = y.scalar_type() == at::kBFloat16;
  const float scale_f = static_cast<float>(scale);
  const int64_t T = y.size(3), rows = T == 0 ? 0 : y.numel() / T;
  at::parallel_for(0, rows, grain_rows(T), [&](int64_t begin, int64_t end) {
    std::vector<float> g(static_cast<size_t>(std::max<int64_t>(T, 1)));
    for (int64_t r = begin; r < end; ++r) {
      const int64_t offset = r * T;
      const uint32_t first = static_cast<uint32_t>(offset);
      if (bf16) {
        (dropout ? backward_row_bf16_dropout : backward_row_bf16)(bf16_bits(grad_out) + offset, bf16_bits(y) + offset, scale_f, T, drop, first, g.data(),
                                                                  mutable_bf16_bits(grad) + offset);
      } else {
        (dropout ? backward_row_float_dropout : backward_row_float)(grad_out.const_data_ptr<float>() + offset, y.const_data_ptr<float>() + offset,
                                                                    scale_f, T, drop, first, g.data(), grad.mutable_data_ptr<float>() + offset);
      }
    }
  });
  return grad;
}

namespace {

class AttentionProbs : public torch::autograd::Function<AttentionProbs> {
 public:
  // keep is an optional (an undefined at::Tensor argument would be taken for a variable).
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& scores, const std::optional<at::Tensor>& keep, double scale,
                            double p, int64_t seed) {
    at::Tensor softmax;
    at::Tensor out = attention_probs_forward(scores, keep, scale, p, static_cast<uint64_t>(seed), &softmax);
    ctx->save_for_backward({softmax});
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = seed;
    return out;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const at::Tensor softmax = ctx->get_saved_variables()[0];
    const double scale = ctx->saved_data["scale"].toDouble(), p = ctx->saved_data["p"].toDouble();
    const uint64_t seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    return {attention_probs_backward(grads[0], softmax, scale, p, seed), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor attention_probs(const at::Tensor& scores, const std::optional<at::Tensor>& keep, double scale, double p, uint64_t seed) {
  check_scores(scores, "attention_probs", "scores");  // before autograd sees it; p is checked in forward
  std::optional<at::Tensor> keep_or_none;
  if (keep.has_value() && keep->defined()) keep_or_none = *keep;
  return AttentionProbs::apply(scores, keep_or_none, scale, p, static_cast<int64_t>(seed));
}

}  // namespace albert::kernels
