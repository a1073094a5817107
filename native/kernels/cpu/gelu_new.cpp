#include "kernels/cpu/gelu_new.h"

#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/thread_sums.h"
#include "kernels/cpu/vector_math.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>


namespace albert::kernels {

namespace {

constexpr float kTwoBeta = 2.0f * 0.7978845608028654f;  // 2 sqrt(2/pi)
constexpr float kKappa = 0.044715f;

// e^(-2u): sigmoid(2u) = 1 / (1 + e^(-2u)) and its derivative sigmoid(1 - sigmoid) = e^(-2u) sigmoid^2,
// which keeps its precision where sigmoid rounds to 1 (1 - sigmoid would not).
ALBERT_VECTOR_INLINE float exp_minus_2u(float x) { return exp_approx(-kTwoBeta * (x + kKappa * x * x * x)); }
ALBERT_VECTOR_INLINE float gelu_value(float v) { return v / (1.0f + exp_minus_2u(v)); }
ALBERT_VECTOR_INLINE float gelu_slope(float v) {
  const float e = exp_minus_2u(v), s = 1.0f / (1.0f + e);
  return s + v * (e * s * s) * kTwoBeta * (1.0f + 3.0f * kKappa * v * v);
}

// One row of C values (or a flat run when bias is a row of zeros). The float and bf16 versions
// are written out (target_clones does not take templates); the bias add is in the same loop.
ALBERT_VECTOR_CLONES void forward_row_float(const float* x, const float* bias, int64_t count, float* y) {
  for (int64_t i = 0; i < count; ++i) y[i] = gelu_value(x[i] + bias[i]);
}
ALBERT_VECTOR_CLONES void forward_row_bf16(const uint16_t* x, const float* bias, int64_t count, uint16_t* y) {
  for (int64_t i = 0; i < count; ++i) y[i] = float_to_bf16_bits(gelu_value(bf16_bits_to_float(x[i]) + bias[i]));
}
// grad_x = grad_y * slope; column sums added into sums.
ALBERT_VECTOR_CLONES void backward_row_float(const float* grad_y, const float* x, const float* bias, int64_t count, float* grad_x,
                                             float* sums) {
  for (int64_t i = 0; i < count; ++i) {
    const float g = grad_y[i] * gelu_slope(x[i] + bias[i]);
    grad_x[i] = g;
    sums[i] += g;
  }
}
ALBERT_VECTOR_CLONES void backward_row_bf16(const uint16_t* grad_y, const uint16_t* x, const float* bias, int64_t count,
                                            uint16_t* grad_x, float* sums) {
  for (int64_t i = 0; i < count; ++i) {
    const float g = bf16_bits_to_float(grad_y[i]) * gelu_slope(bf16_bits_to_float(x[i]) + bias[i]);
    grad_x[i] = float_to_bf16_bits(g);
    sums[i] += g;
  }
}

bool supported_dtype(const at::Tensor& x) { return x.scalar_type() == at::kFloat || x.scalar_type() == at::kBFloat16; }
bool supported(const at::Tensor& x) { return x.device().is_cpu() && supported_dtype(x); }

constexpr int64_t kGrain = 1 << 14;  // elements per parallel task at least
constexpr int64_t kFlatRow = 4096;   // without a bias, values are processed in runs of this many

// The (rows, C) view every kernel walks: C = bias's length, or kFlatRow-sized runs of a flat
// tensor with a bias of zeros.
struct Rows {
  int64_t count, width, last_width;  // the last row may be shorter (flat case only)
  at::Tensor bias;                   // (width) float32
};

Rows rows_of(const at::Tensor& x, const at::Tensor& bias) {
  if (bias.defined()) return Rows{x.numel() / bias.numel(), bias.numel(), bias.numel(), bias};
  const int64_t n = x.numel(), count = (n + kFlatRow - 1) / kFlatRow;
  return Rows{count, kFlatRow, n - (count == 0 ? 0 : (count - 1) * kFlatRow), at::zeros({kFlatRow}, at::kFloat)};
}

void check_inputs(const at::Tensor& x, const at::Tensor& bias, const char* what) {
  TORCH_CHECK(supported(x), what, ": x must be a float32 or bf16 CPU tensor");
  if (bias.defined()) {
    TORCH_CHECK(bias.device().is_cpu() && bias.scalar_type() == at::kFloat && bias.dim() == 1 && x.dim() >= 1 &&
                    x.size(-1) == bias.size(0) && bias.is_contiguous(),
                what, ": bias must be a contiguous (C) float32 CPU tensor, C = x's last dimension");
  }
}

}  // namespace

at::Tensor gelu_new_forward(const at::Tensor& x_in, const at::Tensor& bias) {
  check_inputs(x_in, bias, "gelu_new_forward");
  const at::Tensor x = x_in.contiguous();  // (N.., C)
  at::Tensor y = at::empty_like(x);        // (N.., C)
  const Rows rows = rows_of(x, bias);
  const bool bf16 = x.scalar_type() == at::kBFloat16;
  const float* bias_values = rows.bias.const_data_ptr<float>();
  at::parallel_for(0, rows.count, std::max<int64_t>(1, kGrain / std::max<int64_t>(rows.width, 1)), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t offset = r * rows.width, count = r + 1 == rows.count ? rows.last_width : rows.width;
      if (bf16) {
        forward_row_bf16(bf16_bits(x) + offset, bias_values, count, mutable_bf16_bits(y) + offset);
      } else {
        forward_row_float(x.const_data_ptr<float>() + offset, bias_values, count, y.mutable_data_ptr<float>() + offset);
      }
    }
  });
  return y;
}

at::Tensor gelu_new_backward(const at::Tensor& grad_y_in, const at::Tensor& x_in, const at::Tensor& bias, at::Tensor* grad_bias) {
  check_inputs(x_in, bias, "gelu_new_backward");
  TORCH_CHECK(grad_y_in.scalar_type() == x_in.scalar_type() && grad_y_in.sizes() == x_in.sizes(),
              "gelu_new_backward: grad_y and x of one shape and dtype");
  const at::Tensor x = x_in.contiguous(), grad_y = grad_y_in.contiguous();  // (N.., C) each
  at::Tensor grad_x = at::empty_like(x);                                     // (N.., C)
  const Rows rows = rows_of(x, bias);
  const bool bf16 = x.scalar_type() == at::kBFloat16;
  const float* bias_values = rows.bias.const_data_ptr<float>();
  ThreadColumnSums sums(rows.width);  // the bias gradient (without a bias: summed and dropped)
  at::parallel_for(0, rows.count, std::max<int64_t>(1, kGrain / std::max<int64_t>(rows.width, 1)), [&](int64_t begin, int64_t end) {
    float* thread_sums = sums.mine();
    for (int64_t r = begin; r < end; ++r) {
      const int64_t offset = r * rows.width, count = r + 1 == rows.count ? rows.last_width : rows.width;
      if (bf16) {
        backward_row_bf16(bf16_bits(grad_y) + offset, bf16_bits(x) + offset, bias_values, count, mutable_bf16_bits(grad_x) + offset, thread_sums);
      } else {
        backward_row_float(grad_y.const_data_ptr<float>() + offset, x.const_data_ptr<float>() + offset, bias_values, count,
                           grad_x.mutable_data_ptr<float>() + offset, thread_sums);
      }
    }
  });
  if (grad_bias != nullptr && bias.defined()) *grad_bias = sums.total();  // (C)
  return grad_x;
}

namespace {

class GeluNew : public torch::autograd::Function<GeluNew> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x) {
    ctx->save_for_backward({x});
    return gelu_new_forward(x);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const at::Tensor x = ctx->get_saved_variables()[0];
    return {gelu_new_backward(grads[0].to(x.scalar_type()), x)};
  }
};

class BiasGeluNew : public torch::autograd::Function<BiasGeluNew> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& bias) {
    ctx->save_for_backward({x, bias});
    return gelu_new_forward(x, bias);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &bias = saved[1];
    at::Tensor grad_bias;
    at::Tensor grad_x = gelu_new_backward(grads[0].to(x.scalar_type()), x, bias, &grad_bias);
    return {grad_x, grad_bias};
  }
};

}  // namespace

at::Tensor gelu_new(const at::Tensor& x) {
  // bf16 only where its loop vectorizes (dispatch.h); float32 everywhere, as before.
  const bool ours = supported(x) && (x.scalar_type() == at::kFloat || cpu_fused_ops_enabled());
  if (!ours) return at::gelu(x, "tanh");
  return GeluNew::apply(x);
}

at::Tensor bias_gelu_new_cpu(const at::Tensor& x, const at::Tensor& bias) {
  check_inputs(x, bias, "bias_gelu_new_cpu");
  return BiasGeluNew::apply(x, bias.contiguous());
}

}  // namespace albert::kernels
