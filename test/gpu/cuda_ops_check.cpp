// On a GPU machine: the fused CUDA ops (native/kernels/cuda/fused_ops.h) against the libtorch
// composition they replace, forward and backward, in fp32, fp16 and bf16, at ALBERT-large's
// sizes; then each one's time against the composition's. Exits 1 when a check fails.
//
// The reference is the composition in float64 on the same inputs (x rounded to its dtype
// first), and the error is ||out - ref|| / ||ref|| over the whole tensor (METHOD.md). Limits:
// fp32 1e-5 (float32 rounding); fp16 2e-3 and bf16 1.5e-2 for outputs rounded to those types
// (half an ulp is 4.9e-4 and 3.9e-3; the composition as autocast runs it is printed beside,
// for scale). Outputs are written into fresh tensors and checked for NaN, so an unwritten
// element shows. Inputs are fresh random normals for every check.
//
//   build-gpu/cuda_ops_check            (built with -DALBERT_BUILD_GPU_CHECKS=ON)
#include "kernels/cuda/fused_ops.h"

#include <ATen/ATen.h>
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace {

using albert::kernels::bias_gelu_new;
using albert::kernels::residual_layer_norm;

struct Row {
  std::string name;
  double error, limit, composition_error;
};
std::vector<Row> rows;

double relative_error(const at::Tensor& out, const at::Tensor& ref) {
  if (at::isnan(out).any().item<bool>()) return INFINITY;
  const at::Tensor o = out.to(at::kDouble), r = ref.to(at::kDouble);
  return ((o - r).norm() / r.norm()).item<double>();
}

const char* dtype_name(at::ScalarType t) { return t == at::kFloat ? "fp32" : t == at::kHalf ? "fp16" : "bf16"; }
double limit_for(at::ScalarType t) { return t == at::kFloat ? 1e-5 : t == at::kHalf ? 2e-3 : 1.5e-2; }

at::Tensor leaf(at::Tensor t) { return t.detach().requires_grad_(true); }

// Gradients of sum(out * upstream) with respect to `inputs`.
std::vector<at::Tensor> grads(const at::Tensor& out, const at::Tensor& upstream, const std::vector<at::Tensor>& inputs) {
  return torch::autograd::grad({out}, inputs, {upstream.to(out.scalar_type())});
}

void check_bias_gelu(at::ScalarType dtype, int64_t N, int64_t C) {
  const auto cuda = at::TensorOptions().device(at::kCUDA);
  const at::Tensor x0 = at::randn({N, C}, cuda).mul(2).to(dtype);  // (N, C)
  const at::Tensor b0 = at::randn({C}, cuda);                       // (C) fp32
  const at::Tensor up = at::randn({N, C}, cuda);                    // (N, C) upstream gradient
  // Ours.
  at::Tensor x = leaf(x0), b = leaf(b0);
  at::Tensor y = bias_gelu_new(x, b);
  auto g = grads(y, up, {x, b});
  // float64 reference on the same (rounded) inputs.
  at::Tensor xr = leaf(x0.to(at::kDouble)), br = leaf(b0.to(at::kDouble));
  at::Tensor yr = at::gelu(xr + br, "tanh");
  auto gr = grads(yr, up.to(at::kDouble), {xr, br});
  // The composition in x's dtype (as autocast would run it), for scale.
  at::Tensor xc = leaf(x0), bc = leaf(b0);
  at::Tensor yc = at::gelu(xc + bc.to(dtype), "tanh");
  auto gc = grads(yc, up, {xc, bc});
  const std::string tag = std::string("bias_gelu_new ") + dtype_name(dtype) + " " + std::to_string(N) + "x" + std::to_string(C);
  const double lim = limit_for(dtype);
  rows.push_back({tag + " forward", relative_error(y, yr), lim, relative_error(yc, yr)});
  rows.push_back({tag + " dx", relative_error(g[0], gr[0]), lim, relative_error(gc[0], gr[0])});
  // dbias sums N rounded dx values: the reference sums the exact ones, so allow the rounding of each.
  rows.push_back({tag + " dbias", relative_error(g[1], gr[1]), lim, relative_error(gc[1], gr[1])});
}

void check_residual_layer_norm(at::ScalarType dtype, int64_t N, int64_t C) {
  const auto cuda = at::TensorOptions().device(at::kCUDA);
  const at::Tensor x0 = at::randn({N, C}, cuda).to(dtype);  // (N, C), the sublayer output (autocast's dtype)
  const at::Tensor r0 = at::randn({N, C}, cuda);            // (N, C) fp32, the residual stream
  const at::Tensor w0 = at::randn({C}, cuda).mul(0.2).add(1), b0 = at::randn({C}, cuda).mul(0.1);
  const at::Tensor up = at::randn({N, C}, cuda);
  const double eps = 1e-12;
  at::Tensor x = leaf(x0), r = leaf(r0), w = leaf(w0), b = leaf(b0);
  at::Tensor y = residual_layer_norm(x, r, w, b, eps);
  auto g = grads(y, up, {x, r, w, b});
  at::Tensor xr = leaf(x0.to(at::kDouble)), rr = leaf(r0.to(at::kDouble)), wr = leaf(w0.to(at::kDouble)), br = leaf(b0.to(at::kDouble));
  at::Tensor yr = at::layer_norm(xr + rr, {C}, wr, br, eps);
  auto gr = grads(yr, up.to(at::kDouble), {xr, rr, wr, br});
  at::Tensor xc = leaf(x0), rc = leaf(r0), wc = leaf(w0), bc = leaf(b0);
  at::Tensor yc = at::layer_norm(xc + rc, {C}, wc, bc, eps);  // fp32: the sum promotes, as in the model
  auto gc = grads(yc, up, {xc, rc, wc, bc});
  const std::string tag = std::string("residual_layer_norm x ") + dtype_name(dtype) + " " + std::to_string(N) + "x" + std::to_string(C);
  // The output and every gradient but dx are fp32; dx is rounded to x's dtype.
  rows.push_back({tag + " forward", relative_error(y, yr), 1e-5, relative_error(yc, yr)});
  rows.push_back({tag + " dx", relative_error(g[0], gr[0]), limit_for(dtype), relative_error(gc[0], gr[0])});
  rows.push_back({tag + " dresidual", relative_error(g[1], gr[1]), 1e-5, relative_error(gc[1], gr[1])});
  rows.push_back({tag + " dweight", relative_error(g[2], gr[2]), 1e-5, relative_error(gc[2], gr[2])});
  rows.push_back({tag + " dbias", relative_error(g[3], gr[3]), 1e-5, relative_error(gc[3], gr[3])});
}

// Median microseconds of fn (forward + backward), after a warm-up; synchronized around each run.
double median_us(const std::function<void()>& fn) {
  for (int i = 0; i < 5; ++i) fn();
  c10::cuda::device_synchronize();
  std::vector<double> times;
  for (int i = 0; i < 50; ++i) {
    const auto t = std::chrono::steady_clock::now();
    fn();
    c10::cuda::device_synchronize();
    times.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t).count());
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

void time_ops(at::ScalarType dtype, int64_t N, int64_t H, int64_t I) {
  const auto cuda = at::TensorOptions().device(at::kCUDA);
  at::Tensor x = leaf(at::randn({N, I}, cuda).to(dtype)), b = leaf(at::randn({I}, cuda));
  at::Tensor up = at::randn({N, I}, cuda).to(dtype);
  const double fused_gelu = median_us([&] { grads(bias_gelu_new(x, b), up, {x, b}); });
  const double aten_gelu = median_us([&] { grads(at::gelu(x + b.to(dtype), "tanh"), up, {x, b}); });
  at::Tensor h = leaf(at::randn({N, H}, cuda).to(dtype)), r = leaf(at::randn({N, H}, cuda));
  at::Tensor w = leaf(at::ones({H}, cuda)), c = leaf(at::zeros({H}, cuda)), up2 = at::randn({N, H}, cuda);
  const double fused_ln = median_us([&] { grads(residual_layer_norm(h, r, w, c, 1e-12), up2, {h, r, w, c}); });
  const double aten_ln = median_us([&] { grads(at::layer_norm(h + r, {H}, w, c, 1e-12), up2, {h, r, w, c}); });
  std::printf("time %s N=%lld: bias_gelu_new fwd+bwd %.1f us (aten %.1f), residual_layer_norm fwd+bwd %.1f us (aten %.1f)\n",
              dtype_name(dtype), static_cast<long long>(N), fused_gelu, aten_gelu, fused_ln, aten_ln);
}

}  // namespace

int main() {
  if (!at::hasCUDA()) {
    std::fprintf(stderr, "no CUDA device\n");
    return 1;
  }
  if (!albert::kernels::fused_ops_available()) {
    std::fprintf(stderr, "the fused ops are off (ALBERT_CUDA_FUSED=0, or a CPU build)\n");
    return 1;
  }
  at::manual_seed(1);
  // ALBERT-large: H 1024, I 4096; 16 sentences x 48 tokens, and an odd row count with a
  // C that is not a multiple of the 16-byte pack (the scalar paths).
  for (at::ScalarType dtype : {at::kFloat, at::kHalf, at::kBFloat16}) {
    check_bias_gelu(dtype, 16 * 48, 4096);
    check_bias_gelu(dtype, 37, 1001);
    check_residual_layer_norm(dtype, 16 * 48, 1024);
    check_residual_layer_norm(dtype, 37, 1001);
  }
  size_t width = 0;
  for (const Row& r : rows) width = std::max(width, r.name.size());
  bool ok = true;
  std::printf("%-*s  %-9s  %-8s  %-12s  %s\n", static_cast<int>(width), "check (rel. L2 error vs float64)", "ours", "limit",
              "composition", "result");
  for (const Row& r : rows) {
    const bool pass = r.error <= r.limit;
    ok = ok && pass;
    std::printf("%-*s  %-9.2e  %-8.1e  %-12.2e  %s\n", static_cast<int>(width), r.name.c_str(), r.error, r.limit,
                r.composition_error, pass ? "ok" : "FAIL");
  }
  for (at::ScalarType dtype : {at::kFloat, at::kHalf}) time_ops(dtype, 16 * 48, 1024, 4096);
  return ok ? 0 : 1;
}
