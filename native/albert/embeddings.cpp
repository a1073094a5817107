#include "albert/embeddings.h"

#include "albert/dropout.h"

namespace albert {

AlbertEmbeddings::AlbertEmbeddings(const AlbertConfig& config)
    : word_embeddings(at::empty({config.vocab_size, config.embedding_size})),
      position_embeddings(at::empty({config.max_position_embeddings, config.embedding_size})),
      token_type_embeddings(at::empty({config.type_vocab_size, config.embedding_size})),
      layer_norm(make_layer_norm(config.embedding_size, config.layer_norm_eps)),
      padding_idx(config.pad_token_id),
      dropout(config.hidden_dropout_prob) {}

at::Tensor AlbertEmbeddings::forward(const at::Tensor& input_ids, const at::Tensor& token_type_ids, bool train) const {
  const int64_t T = input_ids.size(1);
  at::Tensor position_ids = at::arange(T, input_ids.options());                   // (T)
  at::Tensor x = at::embedding(word_embeddings, input_ids, padding_idx);          // (B, T, E)
  x = x + at::embedding(token_type_embeddings, token_type_ids);                   // (B, T, E)
  x = x + at::embedding(position_embeddings, position_ids);                       // (T, E) broadcast
  x = layer_norm.forward(x);
  return albert::dropout(x, dropout, train);
}

void AlbertEmbeddings::collect(const std::string& prefix, NamedTensors& out) const {
  out.emplace_back(prefix + ".word_embeddings.weight", word_embeddings);
  out.emplace_back(prefix + ".position_embeddings.weight", position_embeddings);
  out.emplace_back(prefix + ".token_type_embeddings.weight", token_type_embeddings);
  layer_norm.collect(prefix + ".LayerNorm", out);
}

}  // namespace albert
