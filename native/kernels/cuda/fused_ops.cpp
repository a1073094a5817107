#include "kernels/cuda/fused_ops.h"

#include "common/error.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <type_traits>

#if ALBERT_WITH_CUDA
#include "kernels/cuda/kernels.h"

#include <c10/cuda/CUDAStream.h>
#include <torch/csrc/autograd/custom_function.h>
#endif

namespace albert::kernels {

#if ALBERT_WITH_CUDA

bool fused_ops_available() {
  static const bool on = [] {
    const char* flag = std::getenv("ALBERT_CUDA_FUSED");
    return !(flag && std::strcmp(flag, "0") == 0);
  }();
  return on;
}

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

cudaStream_t current_stream(const at::Tensor& t) { return c10::cuda::getCurrentCUDAStream(t.device().index()).stream(); }

void check_launch(cudaError_t status, const char* what) {
  if (status != cudaSuccess) fail(codes::kNative, std::string(what) + ": " + cudaGetErrorString(status));
}

int checked_int(int64_t value, const char* what) {
  if (value > std::numeric_limits<int>::max()) fail(codes::kNative, std::string(what) + " too large for the CUDA kernels");
  return static_cast<int>(value);
}

// Calls f with a null pointer of the CUDA element type matching `dtype`.
template <typename F>
void dispatch_half_types(at::ScalarType dtype, F&& f) {
  switch (dtype) {
    case at::kFloat: return f(static_cast<float*>(nullptr));
    case at::kHalf: return f(static_cast<__half*>(nullptr));
    case at::kBFloat16: return f(static_cast<__nv_bfloat16*>(nullptr));
    default: fail(codes::kNative, "the fused CUDA kernels take fp32, fp16 or bf16");
  }
}

class BiasGeluNew : public torch::autograd::Function<BiasGeluNew> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x_in, const at::Tensor& bias_in) {
    const at::Tensor x = x_in.contiguous(), bias = bias_in.contiguous();  // (N.., C), (C) fp32
    const int C = checked_int(bias.size(0), "bias_gelu_new: C");
    const int N = checked_int(x.numel() / C, "bias_gelu_new: rows");
    at::Tensor y = at::empty_like(x);  // (N.., C)
    dispatch_half_types(x.scalar_type(), [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      check_launch(albert::cuda::bias_gelu_forward<T>(static_cast<T*>(y.data_ptr()), static_cast<const T*>(x.const_data_ptr()),
                                                      bias.const_data_ptr<float>(), N, C, current_stream(x)),
                   "bias_gelu_forward");
    });
    ctx->save_for_backward({x, bias});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &bias = saved[1];
    const at::Tensor dy = grads[0].to(x.scalar_type()).contiguous();  // (N.., C)
    const int C = static_cast<int>(bias.size(0)), N = static_cast<int>(x.numel() / C);
    at::Tensor dx = at::empty_like(x);                        // (N.., C)
    at::Tensor dbias = at::empty({C}, bias.options());        // (C) fp32
    dispatch_half_types(x.scalar_type(), [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      check_launch(albert::cuda::bias_gelu_backward<T>(static_cast<T*>(dx.data_ptr()), dbias.data_ptr<float>(),
                                                       static_cast<const T*>(dy.const_data_ptr()),
                                                       static_cast<const T*>(x.const_data_ptr()), bias.const_data_ptr<float>(),
                                                       N, C, current_stream(x)),
                   "bias_gelu_backward");
    });
    return {dx, dbias};
  }
};

class ResidualLayerNorm : public torch::autograd::Function<ResidualLayerNorm> {
 public:
  // x, residual: (N.., C) fp32; weight, bias: (C) fp32.
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x_in, const at::Tensor& residual_in,
                            const at::Tensor& weight_in, const at::Tensor& bias_in, double eps) {
    const at::Tensor x = x_in.contiguous(), residual = residual_in.contiguous();
    const at::Tensor weight = weight_in.contiguous(), bias = bias_in.contiguous();
    const int C = checked_int(weight.size(0), "residual_layer_norm: C");
    const int N = checked_int(x.numel() / C, "residual_layer_norm: rows");
    at::Tensor y = at::empty_like(x);                                  // (N.., C)
    at::Tensor mean = at::empty({N}, x.options()), rstd = at::empty({N}, x.options());  // (N) each
    check_launch(albert::cuda::residual_layernorm_forward<float>(y.data_ptr<float>(), mean.data_ptr<float>(), rstd.data_ptr<float>(),
                                                                 x.const_data_ptr<float>(), residual.const_data_ptr<float>(),
                                                                 weight.const_data_ptr<float>(), bias.const_data_ptr<float>(),
                                                                 static_cast<float>(eps), N, C, current_stream(x)),
                 "residual_layernorm_forward");
    ctx->save_for_backward({x, residual, weight, mean, rstd});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &residual = saved[1], &weight = saved[2], &mean = saved[3], &rstd = saved[4];
    const at::Tensor dy = grads[0].to(at::kFloat).contiguous();  // (N.., C)
    const int C = static_cast<int>(weight.size(0)), N = static_cast<int>(x.numel() / C);
    at::Tensor dsum = at::empty_like(x);                                          // (N.., C)
    at::Tensor dweight = at::empty({C}, weight.options()), dbias = at::empty({C}, weight.options());  // (C) each
    check_launch(albert::cuda::residual_layernorm_backward<float>(
                     dsum.data_ptr<float>(), dweight.data_ptr<float>(), dbias.data_ptr<float>(), dy.const_data_ptr<float>(),
                     x.const_data_ptr<float>(), residual.const_data_ptr<float>(), mean.const_data_ptr<float>(),
                     rstd.const_data_ptr<float>(), weight.const_data_ptr<float>(), N, C, current_stream(x)),
                 "residual_layernorm_backward");
    // x and residual receive the same gradient tensor: autograd adds into a buffered gradient
    // in place only when it holds the last reference to it, so the two never clobber each other.
    return {dsum, dsum, dweight, dbias, at::Tensor()};
  }
};

}  // namespace

at::Tensor bias_gelu_new(const at::Tensor& x, const at::Tensor& bias) { return BiasGeluNew::apply(x, bias); }

at::Tensor residual_layer_norm(const at::Tensor& x, const at::Tensor& residual, const at::Tensor& weight,
                               const at::Tensor& bias, double eps) {
  if (weight.size(0) > albert::cuda::kLayerNormMaxC) fail(codes::kNative, "residual_layer_norm: C above kLayerNormMaxC");
  return ResidualLayerNorm::apply(x.to(at::kFloat), residual.to(at::kFloat), weight, bias, eps);
}

#else  // a libtorch without CUDA: the model never asks (its tensors are on the CPU)

bool fused_ops_available() { return false; }

at::Tensor bias_gelu_new(const at::Tensor&, const at::Tensor&) {
  fail(codes::kDevice, "the fused CUDA kernels need an addon built against a CUDA libtorch");
}

at::Tensor residual_layer_norm(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&, double) {
  fail(codes::kDevice, "the fused CUDA kernels need an addon built against a CUDA libtorch");
}

#endif

}  // namespace albert::kernels
