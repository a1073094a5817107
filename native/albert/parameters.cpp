#include "albert/parameters.h"

#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/residual_layer_norm.h"
#include "kernels/cuda/fused_ops.h"

namespace albert {

at::Tensor LayerNorm::forward_residual(const at::Tensor& x, const at::Tensor& residual) const {
  if (x.is_cuda() && kernels::fused_ops_available()) return kernels::residual_layer_norm(x, residual, weight, bias, eps);
  // bf16 only: in float32 aten's add + layer_norm measured faster (benchmarks/profile/kernel_bench.cpp).
  const bool cpu_fusable = x.device().is_cpu() && residual.device().is_cpu() && x.scalar_type() == at::kBFloat16 &&
                           residual.scalar_type() == at::kBFloat16 && x.sizes() == residual.sizes();
  if (cpu_fusable && kernels::cpu_fused_ops_enabled()) return kernels::residual_layer_norm_cpu(x, residual, weight, bias, eps);
  return forward(residual + x);
}

Linear make_linear(int64_t in_features, int64_t out_features) {
  return Linear{at::empty({out_features, in_features}), at::empty({out_features})};
}

LayerNorm make_layer_norm(int64_t channels, double eps) {
  return LayerNorm{at::empty({channels}), at::empty({channels}), eps};
}

}  // namespace albert
