#include "kernels/cpu/residual_layer_norm.h"

#include "kernels/cpu/thread_sums.h"
#include "kernels/cpu/vector_math.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <vector>

namespace albert::kernels {

namespace {

// Rows of x + residual -> y, mean, rstd; three passes over each row (which stays in L1): the sum
// (stored in float32) and its total, the centered squares' total, the output. scratch: C floats.
template <typename T>
ALBERT_VECTOR_INLINE void forward_rows(const T* x, const T* r, const float* __restrict weight, const float* __restrict bias, float eps,
                                       int64_t C, int64_t rows, T* y, float* mean, float* rstd, float* scratch) {
  float* __restrict sum = scratch;  // (C)
  const int64_t blocked = C / kLanes * kLanes;
  for (int64_t n = 0; n < rows; ++n) {
    const T *__restrict xn = x + n * C, *__restrict rn = r + n * C;
    T* __restrict yn = y + n * C;
    float lanes[kLanes] = {}, tail = 0.0f;
    for (int64_t i = 0; i < blocked; i += kLanes) {
      for (int64_t l = 0; l < kLanes; ++l) {
        sum[i + l] = widen(xn[i + l]) + widen(rn[i + l]);
        lanes[l] += sum[i + l];
      }
    }
    for (int64_t c = blocked; c < C; ++c) tail += sum[c] = widen(xn[c]) + widen(rn[c]);
    const float m = (lane_sum(lanes, kLanes) + tail) / static_cast<float>(C);
    float squares[kLanes] = {}, squares_tail = 0.0f;
    for (int64_t i = 0; i < blocked; i += kLanes) {
      for (int64_t l = 0; l < kLanes; ++l) squares[l] += (sum[i + l] - m) * (sum[i + l] - m);
    }
    for (int64_t c = blocked; c < C; ++c) squares_tail += (sum[c] - m) * (sum[c] - m);
    const float s = 1.0f / std::sqrt((lane_sum(squares, kLanes) + squares_tail) / static_cast<float>(C) + eps);
    for (int64_t c = 0; c < C; ++c) narrow((sum[c] - m) * s * weight[c] + bias[c], yn + c);
    mean[n] = m;
    rstd[n] = s;
  }
}

// Rows' backward: xhat = (x + r - mean) rstd, g = dy w,
// d(sum) = rstd (g - mean(g) - xhat mean(g xhat)); dweight += dy xhat, dbias += dy.
// Two passes over each row: everything but d(sum), then d(sum). scratch: 2C floats.
template <typename T>
ALBERT_VECTOR_INLINE void backward_rows(const T* dy, const T* x, const T* r, const float* __restrict weight, const float* mean,
                                        const float* rstd, int64_t C, int64_t rows, T* dsum, float* __restrict dweight,
                                        float* __restrict dbias, float* scratch) {
  float* __restrict xhat = scratch;  // (C)
  float* __restrict g = scratch + C;  // (C)
  const int64_t blocked = C / kLanes * kLanes;
  for (int64_t n = 0; n < rows; ++n) {
    const T *__restrict dyn = dy + n * C, *__restrict xn = x + n * C, *__restrict rn = r + n * C;
    T* __restrict dn = dsum + n * C;
    const float m = mean[n], s = rstd[n];
    float g_lanes[kLanes] = {}, gx_lanes[kLanes] = {}, g_tail = 0.0f, gx_tail = 0.0f;
    for (int64_t i = 0; i < blocked; i += kLanes) {
      for (int64_t l = 0; l < kLanes; ++l) {
        const int64_t c = i + l;
        const float d = widen(dyn[c]), h = (widen(xn[c]) + widen(rn[c]) - m) * s;
        xhat[c] = h;
        g[c] = d * weight[c];
        g_lanes[l] += g[c];
        gx_lanes[l] += g[c] * h;
        dweight[c] += d * h;
        dbias[c] += d;
      }
    }
    for (int64_t c = blocked; c < C; ++c) {
      const float d = widen(dyn[c]), h = (widen(xn[c]) + widen(rn[c]) - m) * s;
      xhat[c] = h;
      g[c] = d * weight[c];
      g_tail += g[c];
      gx_tail += g[c] * h;
      dweight[c] += d * h;
      dbias[c] += d;
    }
    const float mean_g = (lane_sum(g_lanes, kLanes) + g_tail) / static_cast<float>(C);
    const float mean_gx = (lane_sum(gx_lanes, kLanes) + gx_tail) / static_cast<float>(C);
    for (int64_t c = 0; c < C; ++c) narrow(s * (g[c] - mean_g - xhat[c] * mean_gx), dn + c);
  }
}

// The clones (target_clones takes no templates).
ALBERT_VECTOR_CLONES void forward_rows_float(const float* x, const float* r, const float* weight, const float* bias, float eps, int64_t C,
                                             int64_t rows, float* y, float* mean, float* rstd, float* scratch) {
  forward_rows(x, r, weight, bias, eps, C, rows, y, mean, rstd, scratch);
}
ALBERT_VECTOR_CLONES void forward_rows_bf16(const uint16_t* x, const uint16_t* r, const float* weight, const float* bias, float eps,
                                            int64_t C, int64_t rows, uint16_t* y, float* mean, float* rstd, float* scratch) {
  forward_rows(x, r, weight, bias, eps, C, rows, y, mean, rstd, scratch);
}
ALBERT_VECTOR_CLONES void backward_rows_float(const float* dy, const float* x, const float* r, const float* weight, const float* mean,
                                              const float* rstd, int64_t C, int64_t rows, float* dsum, float* dweight, float* dbias,
                                              float* scratch) {
  backward_rows(dy, x, r, weight, mean, rstd, C, rows, dsum, dweight, dbias, scratch);
}
ALBERT_VECTOR_CLONES void backward_rows_bf16(const uint16_t* dy, const uint16_t* x, const uint16_t* r, const float* weight, const float* mean,
                                             const float* rstd, int64_t C, int64_t rows, uint16_t* dsum, float* dweight, float* dbias,
                                             float* scratch) {
  backward_rows(dy, x, r, weight, mean, rstd, C, rows, dsum, dweight, dbias, scratch);
}

void check_inputs(const at::Tensor& x, const at::Tensor& residual, const at::Tensor& weight, const at::Tensor& bias, const char* what) {
  TORCH_CHECK(x.device().is_cpu() && (x.scalar_type() == at::kFloat || x.scalar_type() == at::kBFloat16), what,
              ": x must be a float32 or bf16 CPU tensor");
  TORCH_CHECK(residual.device().is_cpu() && residual.scalar_type() == x.scalar_type() && residual.sizes() == x.sizes(), what,
              ": residual must have x's shape and dtype");
  TORCH_CHECK(x.dim() >= 1 && weight.dim() == 1 && bias.sizes() == weight.sizes() && weight.size(0) == x.size(-1) &&
                  weight.scalar_type() == at::kFloat && bias.scalar_type() == at::kFloat && weight.device().is_cpu() && bias.device().is_cpu(),
              what, ": weight and bias must be (C) float32 CPU tensors, C = x's last dimension");
}

int64_t grain_rows(int64_t C) { return std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(C, 1)); }

}  // namespace

at::Tensor residual_layer_norm_forward(const at::Tensor& x_in, const at::Tensor& residual_in, const at::Tensor& weight_in,
                                       const at::Tensor& bias_in, double eps, at::Tensor& mean, at::Tensor& rstd) {
  check_inputs(x_in, residual_in, weight_in, bias_in, "residual_layer_norm_forward");
  const at::Tensor x = x_in.contiguous(), residual = residual_in.contiguous();        // (N.., C) each
  const at::Tensor weight = weight_in.contiguous(), bias = bias_in.contiguous();      // (C) each
  const int64_t C = weight.size(0), N = C == 0 ? 0 : x.numel() / C;
  at::Tensor y = at::empty_like(x);                                                   // (N.., C)
  mean = at::empty({N}, at::kFloat);                                                  // (N)
  rstd = at::empty({N}, at::kFloat);                                                  // (N)
  const bool bf16 = x.scalar_type() == at::kBFloat16;
  at::parallel_for(0, N, grain_rows(C), [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(static_cast<size_t>(C));
    const int64_t offset = begin * C;
    if (bf16) {
      forward_rows_bf16(bf16_bits(x) + offset, bf16_bits(residual) + offset, weight.const_data_ptr<float>(), bias.const_data_ptr<float>(),
                        static_cast<float>(eps), C, end - begin, mutable_bf16_bits(y) + offset, mean.mutable_data_ptr<float>() + begin,
                        rstd.mutable_data_ptr<float>() + begin, scratch.data());
    } else {
      forward_rows_float(x.const_data_ptr<float>() + offset, residual.const_data_ptr<float>() + offset, weight.const_data_ptr<float>(),
                         bias.const_data_ptr<float>(), static_cast<float>(eps), C, end - begin, y.mutable_data_ptr<float>() + offset,
                         mean.mutable_data_ptr<float>() + begin, rstd.mutable_data_ptr<float>() + begin, scratch.data());
    }
  });
  return y;
}

at::Tensor residual_layer_norm_backward(const at::Tensor& grad_y_in, const at::Tensor& x_in, const at::Tensor& residual_in,
                                        const at::Tensor& weight_in, const at::Tensor& mean, const at::Tensor& rstd,
                                        at::Tensor& grad_weight, at::Tensor& grad_bias) {
  check_inputs(x_in, residual_in, weight_in, weight_in, "residual_layer_norm_backward");
  TORCH_CHECK(grad_y_in.sizes() == x_in.sizes() && grad_y_in.scalar_type() == x_in.scalar_type(),
              "residual_layer_norm_backward: grad_y must have x's shape and dtype");
  const at::Tensor x = x_in.contiguous(), residual = residual_in.contiguous(), grad_y = grad_y_in.contiguous();  // (N.., C) each
  const at::Tensor weight = weight_in.contiguous();                                                             // (C)
  const int64_t C = weight.size(0), N = C == 0 ? 0 : x.numel() / C;
  TORCH_CHECK(mean.numel() == N && rstd.numel() == N, "residual_layer_norm_backward: mean and rstd need one value per row");
  at::Tensor grad_sum = at::empty_like(x);  // (N.., C)
  ThreadColumnSums weight_sums(C), bias_sums(C);
  const bool bf16 = x.scalar_type() == at::kBFloat16;
  at::parallel_for(0, N, grain_rows(C), [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(static_cast<size_t>(2 * C));
    float *dweight = weight_sums.mine(), *dbias = bias_sums.mine();
    const int64_t offset = begin * C;
    if (bf16) {
      backward_rows_bf16(bf16_bits(grad_y) + offset, bf16_bits(x) + offset, bf16_bits(residual) + offset, weight.const_data_ptr<float>(),
                         mean.const_data_ptr<float>() + begin, rstd.const_data_ptr<float>() + begin, C, end - begin,
                         mutable_bf16_bits(grad_sum) + offset, dweight, dbias, scratch.data());
    } else {
      backward_rows_float(grad_y.const_data_ptr<float>() + offset, x.const_data_ptr<float>() + offset, residual.const_data_ptr<float>() + offset,
                          weight.const_data_ptr<float>(), mean.const_data_ptr<float>() + begin, rstd.const_data_ptr<float>() + begin, C,
                          end - begin, grad_sum.mutable_data_ptr<float>() + offset, dweight, dbias, scratch.data());
    }
  });
  grad_weight = weight_sums.total();  // (C)
  grad_bias = bias_sums.total();      // (C)
  return grad_sum;
}

namespace {

class ResidualLayerNorm : public torch::autograd::Function<ResidualLayerNorm> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& residual, const at::Tensor& weight,
                            const at::Tensor& bias, double eps) {
    at::Tensor mean, rstd;  // (N) each
    at::Tensor y = residual_layer_norm_forward(x, residual, weight, bias, eps, mean, rstd);
    ctx->save_for_backward({x, residual, weight, mean, rstd});
    return y;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &residual = saved[1], &weight = saved[2], &mean = saved[3], &rstd = saved[4];
    at::Tensor grad_weight, grad_bias;
    at::Tensor grad_sum = residual_layer_norm_backward(grads[0].to(x.scalar_type()), x, residual, weight, mean, rstd, grad_weight, grad_bias);
    // x and residual receive the same gradient tensor: autograd adds into a buffered gradient
    // in place only when it holds the last reference to it, so the two never clobber each other.
    return {grad_sum, grad_sum, grad_weight, grad_bias, at::Tensor()};
  }
};

}  // namespace

at::Tensor residual_layer_norm_cpu(const at::Tensor& x, const at::Tensor& residual, const at::Tensor& weight, const at::Tensor& bias,
                                   double eps) {
  check_inputs(x, residual, weight, bias, "residual_layer_norm_cpu");
  return ResidualLayerNorm::apply(x, residual, weight, bias, eps);
}

}  // namespace albert::kernels
