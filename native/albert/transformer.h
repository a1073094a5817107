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
  // x (B, T, E) -> (B, T, H)
  at::Tensor forward(const at::Tensor& x, const std::optional<at::Tensor>& keep, bool train) const;
  void collect(const std::string& prefix, NamedTensors& out) const;
};

}  // namespace albert
