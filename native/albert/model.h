// AlbertForSequenceClassification: embeddings -> shared transformer -> tanh pooler on the
// first token -> dropout -> linear head (HF: modeling_albert.AlbertModel and
// AlbertForSequenceClassification). Parameters carry HF's state-dict names.
#pragma once

#include "albert/embeddings.h"
#include "albert/transformer.h"

#include <cstdint>

namespace albert {

struct AlbertForSequenceClassification {
  AlbertConfig config;
  AlbertEmbeddings embeddings;   // albert.embeddings
  AlbertTransformer encoder;     // albert.encoder
  Linear pooler;                 // albert.pooler (H, H)
  Linear classifier;             // classifier (L, H)
  at::Device device = at::kCPU;

  // Builds the model on `device`, initialized as HF's _init_weights does, from `seed`.
  AlbertForSequenceClassification(const AlbertConfig& config, uint64_t seed, at::Device device);

  // input_ids, token_type_ids: (B, T) int64 on the model's device; keep: (B, 1, 1, T) bool, true
  // where a key is a real token, or nullopt for no padding -> logits (B, L)
  at::Tensor forward(const at::Tensor& input_ids, const std::optional<at::Tensor>& keep,
                     const at::Tensor& token_type_ids, bool train) const;

  // Every parameter, by HF state-dict name, in HF's registration order.
  const NamedTensors& named_parameters() const { return parameters_; }
  const at::Tensor& parameter(const std::string& name) const;  // throws ERR_INPUT for an unknown name

 private:
  NamedTensors parameters_;
};

}  // namespace albert
