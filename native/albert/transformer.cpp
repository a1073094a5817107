#include "albert/transformer.h"

namespace albert {

AlbertTransformer::AlbertTransformer(const AlbertConfig& config)
    : embedding_hidden_mapping_in(make_linear(config.embedding_size, config.hidden_size)) {
  albert_layer_groups.reserve(config.num_hidden_groups);
  for (int64_t g = 0; g < config.num_hidden_groups; ++g) albert_layer_groups.emplace_back(config);
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) group_of_layer.push_back(config.group_of_layer(i));
}

at::Tensor AlbertTransformer::forward(const at::Tensor& x, const std::optional<at::Tensor>& keep, bool train,
                                     bool first_token_only, const TokenPacking* packing) const {
  at::Tensor hidden = embedding_hidden_mapping_in.forward(x);  // (B, T, H) or (R, H)
  for (size_t i = 0; i < group_of_layer.size(); ++i) {
    const bool last = i + 1 == group_of_layer.size();
    hidden = albert_layer_groups[group_of_layer[i]].forward(hidden, keep, train, first_token_only && last, packing);
  }
  return hidden;
}

void AlbertTransformer::collect(const std::string& prefix, NamedTensors& out) const {
  embedding_hidden_mapping_in.collect(prefix + ".embedding_hidden_mapping_in", out);
  for (size_t g = 0; g < albert_layer_groups.size(); ++g) {
    albert_layer_groups[g].collect(prefix + ".albert_layer_groups." + std::to_string(g), out);
  }
}

}  // namespace albert
