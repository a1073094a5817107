// AlbertEmbeddings: word + token type + absolute position embeddings -> LayerNorm -> dropout,
// in the factorized width E (HF: modeling_albert.AlbertEmbeddings).
#pragma once

#include "albert/config.h"
#include "albert/dims.h"
#include "albert/parameters.h"

namespace albert {

struct AlbertEmbeddings {
  at::Tensor word_embeddings;        // (V, E)
  at::Tensor position_embeddings;    // (P, E)
  at::Tensor token_type_embeddings;  // (token types, E)
  LayerNorm layer_norm;              // HF name: LayerNorm
  int64_t padding_idx = -1;          // the word row that gets no gradient (HF: padding_idx=pad_token_id)
  double dropout = 0.0;

  explicit AlbertEmbeddings(const AlbertConfig& config);
  // input_ids, token_type_ids are (B, T) int64 -> (B, T, E)
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& token_type_ids, bool train) const;
  void collect(const std::string& prefix, NamedTensors& out) const;
};

}  // namespace albert
