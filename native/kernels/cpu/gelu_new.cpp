#include "kernels/cpu/gelu_new.h"

#include "kernels/cpu/vector_math.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

namespace albert::kernels {

namespace {

constexpr float kTwoBeta = 2.0f * 0.7978845608028654f;  // 2 sqrt(2/pi)
constexpr float kKappa = 0.044715f;

// e^(-2u): sigmoid(2u) = 1 / (1 + e^(-2u)) and its derivative sigmoid(1 - sigmoid) = e^(-2u) sigmoid^2,
// which keeps its precision where sigmoid rounds to 1 (1 - sigmoid would not).
inline float exp_minus_2u(float x) { return exp_approx(-kTwoBeta * (x + kKappa * x * x * x)); }

ALBERT_VECTOR_CLONES void forward_float(const float* x, int64_t count, float* y) {
  for (int64_t i = 0; i < count; ++i) y[i] = x[i] / (1.0f + exp_minus_2u(x[i]));
}

ALBERT_VECTOR_CLONES void backward_float(const float* grad_y, const float* x, int64_t count, float* grad_x) {
  for (int64_t i = 0; i < count; ++i) {
    const float v = x[i], e = exp_minus_2u(v), s = 1.0f / (1.0f + e);
    grad_x[i] = grad_y[i] * (s + v * (e * s * s) * kTwoBeta * (1.0f + 3.0f * kKappa * v * v));
  }
}

bool supported(const at::Tensor& x) { return x.device().is_cpu() && x.scalar_type() == at::kFloat; }

constexpr int64_t kGrain = 1 << 14;  // elements per parallel task at least

}  // namespace

at::Tensor gelu_new_forward(const at::Tensor& x_in) {
  TORCH_CHECK(supported(x_in), "gelu_new_forward: a float32 CPU tensor");
  const at::Tensor x = x_in.contiguous();
  at::Tensor y = at::empty_like(x);
  at::parallel_for(0, x.numel(), kGrain, [&](int64_t begin, int64_t end) {
    forward_float(x.const_data_ptr<float>() + begin, end - begin, y.mutable_data_ptr<float>() + begin);
  });
  return y;
}

at::Tensor gelu_new_backward(const at::Tensor& grad_y_in, const at::Tensor& x_in) {
  TORCH_CHECK(supported(x_in) && grad_y_in.scalar_type() == x_in.scalar_type() && grad_y_in.sizes() == x_in.sizes(),
              "gelu_new_backward: grad_y and x of one shape, float32, CPU");
  const at::Tensor x = x_in.contiguous(), grad_y = grad_y_in.contiguous();
  at::Tensor grad_x = at::empty_like(x);
  at::parallel_for(0, x.numel(), kGrain, [&](int64_t begin, int64_t end) {
    backward_float(grad_y.const_data_ptr<float>() + begin, x.const_data_ptr<float>() + begin, end - begin,
                   grad_x.mutable_data_ptr<float>() + begin);
  });
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

}  // namespace

at::Tensor gelu_new(const at::Tensor& x) {
  if (!supported(x)) return at::gelu(x, "tanh");
  return GeluNew::apply(x);
}

}  // namespace albert::kernels
