// AlbertTransformer: the E -> H mapping, then num_hidden_layers applications of the
// num_hidden_groups shared layer groups (HF: modeling_albert.AlbertTransformer).
#pragma once

#include "albert/layer.h"

namespace albert {

struct AlbertTransformer {
  Linear embedding_hidden_mapping_in;  // (H, E)
  std::vector<AlbertLayerGroup> albert_layer_groups;
  std::vector<int64_t> group_of_layer;  // layer i runs albert_layer_groups[group_of_layer[i]]

  explicit AlbertTransformer(const AlbertConfig& config);
  // x (B, T, E) -> (B, T, H), or packed (R, E) -> (R, H) with `packing`. With first_token_only
  // -> (B, 1, H): the last layer computes only the first token's output (its attention still
  // reads every token), all a classification head reads; the result is the same, for ~10/12 of
  // one layer's FLOPs less.
  at::Tensor forward(const at::Tensor& x, const std::optional<at::Tensor>& keep, bool train,
                     bool first_token_only = false, const TokenPacking* packing = nullptr) const;
  void collect(const std::string& prefix, NamedTensors& out) const;
};

}  // namespace albert
