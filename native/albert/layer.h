// AlbertLayer (attention, then FFN with residual and post-LayerNorm) and AlbertLayerGroup
// (inner_group_num layers run in sequence), HF: modeling_albert.AlbertLayer / AlbertLayerGroup.
#pragma once

#include "albert/activation.h"
#include "albert/attention.h"

#include <vector>

namespace albert {

struct AlbertLayer {
  LayerNorm full_layer_layer_norm;  // (H)
  AlbertAttention attention;
  Linear ffn;         // (F, H)
  Linear ffn_output;  // (H, F)
  Activation activation;

  explicit AlbertLayer(const AlbertConfig& config);
  // x (B, T, H) or packed (R, H) -> x's shape, or (B, 1, H) with first_token_only (see AlbertAttention)
  at::Tensor forward(const at::Tensor& x, const std::optional<at::Tensor>& keep, bool train,
                     bool first_token_only = false, const TokenPacking* packing = nullptr) const;
  void collect(const std::string& prefix, NamedTensors& out) const;

 private:
  // activation(ffn(attended)); on CUDA with a tanh gelu, the matmul then the fused bias + gelu kernel.
  at::Tensor ffn_activation(const at::Tensor& attended) const;
};

struct AlbertLayerGroup {
  std::vector<AlbertLayer> albert_layers;

  explicit AlbertLayerGroup(const AlbertConfig& config);
  // x (B, T, H) or packed (R, H) -> x's shape; with first_token_only its last layer gives only (B, 1, H)
  at::Tensor forward(const at::Tensor& x, const std::optional<at::Tensor>& keep, bool train,
                     bool first_token_only = false, const TokenPacking* packing = nullptr) const;
  void collect(const std::string& prefix, NamedTensors& out) const;
};

}  // namespace albert
