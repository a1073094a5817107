#include "albert/model.h"

#include "albert/dropout.h"
#include "albert/init.h"
#include "common/error.h"

namespace albert {

AlbertForSequenceClassification::AlbertForSequenceClassification(const AlbertConfig& config_, uint64_t seed,
                                                                 at::Device device_)
    : config((config_.validate(), config_)),
      embeddings(config),
      encoder(config),
      pooler(make_linear(config.hidden_size, config.hidden_size)),
      classifier(make_linear(config.hidden_size, config.num_labels)),
      device(device_) {
  embeddings.collect("albert.embeddings", parameters_);
  encoder.collect("albert.encoder", parameters_);
  pooler.collect("albert.pooler", parameters_);
  classifier.collect("classifier", parameters_);
  init_weights(*this, seed);
  for (auto& [name, tensor] : parameters_) {
    if (device.type() != at::kCPU) tensor.set_data(tensor.to(device));
    tensor.requires_grad_(true);
  }
}

at::Tensor AlbertForSequenceClassification::forward(const at::Tensor& input_ids, const std::optional<at::Tensor>& keep,
                                                    const at::Tensor& token_type_ids, bool train) const {
  at::Tensor embedded = embeddings.forward(input_ids, token_type_ids, train);  // (B, T, E)
  // Padding positions leave the per-token work (see token_packing.h), and the heads read only
  // the first token ([CLS]), so the last layer computes only its output. Packing is CPU-only:
  // it reads the mask on the host, which on a GPU is a sync per step (and no CUDA graph could
  // hold it), and a GPU step is bound by launches more than by padded FLOPs.
  const std::optional<TokenPacking> packing =
      keep && keep->device().is_cpu() ? std::optional<TokenPacking>(TokenPacking::from_keep(*keep)) : std::nullopt;
  if (packing) embedded = packing->pack(embedded);  // (R, E)
  at::Tensor first = encoder.forward(embedded, keep, train, /*first_token_only=*/true, packing ? &*packing : nullptr)
                         .select(1, 0);  // (B, H)
  at::Tensor pooled = at::tanh(pooler.forward(first));                                                      // (B, H)
  return classifier.forward(albert::dropout(pooled, config.classifier_dropout_prob, train));                    // (B, L)
}

const at::Tensor& AlbertForSequenceClassification::parameter(const std::string& name) const {
  for (const auto& [key, tensor] : parameters_) {
    if (key == name) return tensor;
  }
  fail(codes::kInput, "the model has no parameter named \"" + name + "\"");
}

}  // namespace albert
