// The hand-written CPU kernels against the aten ops they replace, one op at a time, at the
// shapes of a training step (rows = batch x tokens): median of `reps` calls after 3 warm-up
// calls, each on fresh outputs as in a step. Built with ALBERT_BUILD_PROFILER, like profile_step.
//
//   build-dev/kernel_bench [rows=1024] [hidden=768] [intermediate=3072] [reps=50] [threads=2] [heads=12] [p=0.1]
// The attention rows use (rows / 64, heads, 64, 64) scores, dropout p, every key kept.
#include "kernels/cpu/attention_softmax.h"
#include "kernels/cpu/dropout.h"
#include "kernels/cpu/gelu_new.h"
#include "kernels/cpu/residual_layer_norm.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace {

template <typename F>
double median_ms(int reps, const F& f) {
  for (int i = 0; i < 3; ++i) f();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

void row(const char* name, at::ScalarType dtype, double ours, double aten) {
  std::printf("| %s | %s | %.3f | %.3f | %.2f |\n", name, dtype == at::kBFloat16 ? "bf16" : "fp32", ours, aten, aten / ours);
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t rows = argc > 1 ? std::stoll(argv[1]) : 1024, hidden = argc > 2 ? std::stoll(argv[2]) : 768;
  const int64_t inter = argc > 3 ? std::stoll(argv[3]) : 3072;
  const int reps = argc > 4 ? std::stoi(argv[4]) : 50;
  at::set_num_threads(argc > 5 ? std::stoi(argv[5]) : 2);
  at::manual_seed(0);
  std::printf("rows %lld, hidden %lld, intermediate %lld, %d threads; ms per call (median of %d)\n\n", static_cast<long long>(rows),
              static_cast<long long>(hidden), static_cast<long long>(inter), at::get_num_threads(), reps);
  std::printf("| op | dtype | ours | aten | aten / ours |\n|---|---|---|---|---|\n");
  for (const at::ScalarType dtype : {at::kBFloat16, at::kFloat}) {
    const at::Tensor x = at::randn({rows, inter}).to(dtype), dy = at::randn({rows, inter}).to(dtype);  // (rows, I) each
    const at::Tensor bias = at::randn({inter});                                                          // (I) fp32
    const at::Tensor bias_cast = bias.to(dtype);
    row("bias + gelu_new forward", dtype, median_ms(reps, [&] { return albert::kernels::gelu_new_forward(x, bias); }),
        median_ms(reps, [&] { return at::gelu(x + bias_cast, "tanh"); }));
    row("gelu_new forward (no bias)", dtype, median_ms(reps, [&] { return albert::kernels::gelu_new_forward(x); }),
        median_ms(reps, [&] { return at::gelu(x, "tanh"); }));
    at::Tensor grad_bias;
    row("bias + gelu_new backward", dtype, median_ms(reps, [&] { return albert::kernels::gelu_new_backward(dy, x, bias, &grad_bias); }),
        median_ms(reps, [&] { return at::gelu_backward(dy, x, "tanh").sum(0); }));

    const at::Tensor h = at::randn({rows, hidden}).to(dtype), r = at::randn({rows, hidden}).to(dtype), dh = at::randn({rows, hidden}).to(dtype);
    const at::Tensor w = at::randn({hidden}), b = at::randn({hidden});
    at::Tensor mean, rstd, gw, gb;
    row("residual + LayerNorm forward", dtype, median_ms(reps, [&] { return albert::kernels::residual_layer_norm_forward(h, r, w, b, 1e-12, mean, rstd); }),
        median_ms(reps, [&] { return at::native_layer_norm(r + h, {hidden}, w, b, 1e-12); }));
    const auto [y, m, s] = at::native_layer_norm(r + h, {hidden}, w, b, 1e-12);
    const at::Tensor sum = r + h;
    row("residual + LayerNorm backward", dtype,
        median_ms(reps, [&] { return albert::kernels::residual_layer_norm_backward(dh, h, r, w, mean, rstd, gw, gb); }),
        median_ms(reps, [&] { return at::native_layer_norm_backward(dh, sum, {hidden}, m, s, w, b, {true, true, true}); }));

    const int64_t heads = argc > 6 ? std::stoll(argv[6]) : 12, B = std::max<int64_t>(1, rows / 64);
    const at::Tensor scores = at::randn({B, heads, 64, 64}).to(dtype), dprobs = at::randn({B, heads, 64, 64}).to(dtype);  // (B, N, T, T)
    const at::Tensor keep = at::ones({B, 1, 1, 64}, at::kBool);
    const double p = argc > 7 ? std::stod(argv[7]) : 0.1, scale = 0.125;
    row("scale + mask + softmax + dropout forward", dtype,
        median_ms(reps, [&] { at::Tensor y; return albert::kernels::attention_probs_forward(scores, keep, scale, p, 7, &y); }),
        median_ms(reps, [&] {
          const at::Tensor probs = at::softmax((scores * scale).masked_fill_(keep.logical_not(), -INFINITY), -1);
          return p > 0 ? albert::kernels::dropout_kernel(probs, p, 7) : probs;
        }));
    at::Tensor softmax;
    albert::kernels::attention_probs_forward(scores, keep, scale, p, 7, &softmax);
    row("scale + mask + softmax + dropout backward", dtype,
        median_ms(reps, [&] { return albert::kernels::attention_probs_backward(dprobs, softmax, scale, p, 7); }),
        median_ms(reps, [&] {
          const at::Tensor g = p > 0 ? albert::kernels::dropout_kernel(dprobs, p, 7) : dprobs;
          return at::_softmax_backward_data(g, softmax, -1, dtype).masked_fill_(keep.logical_not(), 0).mul_(scale);
        }));
  }
  return 0;
}
