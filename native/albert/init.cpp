#include "albert/init.h"

#include "albert/model.h"

#include <ATen/CPUGeneratorImpl.h>

namespace albert {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool is_layer_norm(const std::string& name) {
  return name.find("LayerNorm.") != std::string::npos || name.find("layer_norm.") != std::string::npos;
}
}  // namespace

void init_weights(AlbertForSequenceClassification& model, uint64_t seed) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const double std = model.config.initializer_range;
  at::NoGradGuard no_grad;
  for (auto& [name, tensor] : model.named_parameters()) {
    at::Tensor t = tensor;  // a handle on the same storage
    if (is_layer_norm(name)) {
      ends_with(name, ".weight") ? t.fill_(1.0) : t.zero_();
    } else if (ends_with(name, ".bias")) {
      t.zero_();
    } else {
      t.normal_(0.0, std, generator);
    }
  }
  if (model.embeddings.padding_idx >= 0) model.embeddings.word_embeddings[model.embeddings.padding_idx].zero_();
}

}  // namespace albert
