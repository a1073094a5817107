// The model's hyperparameters, as HF transformers' AlbertConfig names them.
// The JSON side (config.json read/write, defaults, field-by-field validation) lives in
// ts/model/config.ts; the core trusts what it is given but re-checks what would otherwise
// crash it (validate()).
#pragma once

#include <cstdint>
#include <string>

namespace albert {

struct AlbertConfig {
  int64_t vocab_size = 30000;
  int64_t embedding_size = 128;  // E: factorized embedding width
  int64_t hidden_size = 4096;    // H
  int64_t num_hidden_layers = 12;
  int64_t num_hidden_groups = 1;  // distinct parameter sets, shared across layers by group index
  int64_t num_attention_heads = 64;
  int64_t intermediate_size = 16384;  // FFN width
  int64_t inner_group_num = 1;        // layers inside one group
  std::string hidden_act = "gelu_new";
  double hidden_dropout_prob = 0.0;
  double attention_probs_dropout_prob = 0.0;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double initializer_range = 0.02;
  double layer_norm_eps = 1e-12;
  double classifier_dropout_prob = 0.1;
  int64_t num_labels = 2;  // L
  int64_t pad_token_id = 0;  // the word-embedding row with no gradient; -1: none
  // "single_label_classification" | "multi_label_classification" | "regression"
  std::string problem_type = "single_label_classification";

  int64_t head_size() const { return hidden_size / num_attention_heads; }
  // HF: group_idx = int(i / (num_hidden_layers / num_hidden_groups))
  int64_t group_of_layer(int64_t layer) const;
  // Throws albert::Error(ERR_CONFIG) naming the field when the core cannot build the model.
  void validate() const;
};

}  // namespace albert
