#include "albert/layer.h"

#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/gelu_new.h"
#include "kernels/cuda/fused_ops.h"

namespace albert {

AlbertLayer::AlbertLayer(const AlbertConfig& config)
    : full_layer_layer_norm(make_layer_norm(config.hidden_size, config.layer_norm_eps)),
      attention(config),
      ffn(make_linear(config.hidden_size, config.intermediate_size)),
      ffn_output(make_linear(config.intermediate_size, config.hidden_size)),
      activation(parse_activation(config.hidden_act)) {}

at::Tensor AlbertLayer::forward(const at::Tensor& x, const std::optional<at::Tensor>& keep, bool train,
                                bool first_token_only, const TokenPacking* packing) const {
  at::Tensor attended = attention.forward(x, keep, train, first_token_only, packing);  // (B, Tq, H) or (R, H)
  at::Tensor hidden = ffn_output.forward(ffn_activation(attended));                    // as attended
  // HF's AlbertLayer defines a dropout but never applies it to the FFN output; nor do we.
  return full_layer_layer_norm.forward_residual(hidden, attended);
}

at::Tensor AlbertLayer::ffn_activation(const at::Tensor& attended) const {
  const bool tanh_gelu = activation == Activation::kGeluNew || activation == Activation::kGeluTanh;
  if (tanh_gelu && attended.is_cuda() && kernels::fused_ops_available()) {
    return kernels::bias_gelu_new(at::linear(attended, ffn.weight), ffn.bias);  // the matmul without its bias: (.., I)
  }
  if (tanh_gelu && attended.device().is_cpu() && kernels::cpu_fused_ops_enabled()) {
    // The bias joins the activation's pass instead of the GEMM's output (addmm first copies the
    // broadcast bias into its whole (.., I) output), and its gradient is summed there too.
    const at::Tensor product = at::linear(attended, ffn.weight);  // (.., I), bf16 under autocast
    if (product.scalar_type() == at::kFloat || product.scalar_type() == at::kBFloat16) return kernels::bias_gelu_new_cpu(product, ffn.bias);
    return activation_forward(activation, product + ffn.bias.to(product.scalar_type()));
  }
  return activation_forward(activation, ffn.forward(attended));  // (.., I)
}

void AlbertLayer::collect(const std::string& prefix, NamedTensors& out) const {
  full_layer_layer_norm.collect(prefix + ".full_layer_layer_norm", out);
  attention.collect(prefix + ".attention", out);
  ffn.collect(prefix + ".ffn", out);
  ffn_output.collect(prefix + ".ffn_output", out);
}

AlbertLayerGroup::AlbertLayerGroup(const AlbertConfig& config) {
  albert_layers.reserve(config.inner_group_num);
  for (int64_t i = 0; i < config.inner_group_num; ++i) albert_layers.emplace_back(config);
}

at::Tensor AlbertLayerGroup::forward(const at::Tensor& x, const std::optional<at::Tensor>& keep, bool train,
                                     bool first_token_only, const TokenPacking* packing) const {
  at::Tensor hidden = x;
  for (size_t i = 0; i < albert_layers.size(); ++i) {
    hidden = albert_layers[i].forward(hidden, keep, train, first_token_only && i + 1 == albert_layers.size(), packing);
  }
  return hidden;
}

void AlbertLayerGroup::collect(const std::string& prefix, NamedTensors& out) const {
  for (size_t i = 0; i < albert_layers.size(); ++i) {
    albert_layers[i].collect(prefix + ".albert_layers." + std::to_string(i), out);
  }
}

}  // namespace albert
