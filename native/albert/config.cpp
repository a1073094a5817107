#include "albert/config.h"

#include "albert/activation.h"
#include "common/error.h"

namespace albert {

int64_t AlbertConfig::group_of_layer(int64_t layer) const {
  // The same floating-point expression HF evaluates, so that uneven splits agree.
  return static_cast<int64_t>(static_cast<double>(layer) /
                              (static_cast<double>(num_hidden_layers) / static_cast<double>(num_hidden_groups)));
}

namespace {
void require_positive(const char* field, int64_t value) {
  if (value <= 0) fail(codes::kConfig, std::string("config field \"") + field + "\" must be a positive integer, got " + std::to_string(value));
}
void require_probability(const char* field, double value) {
  if (!(value >= 0.0 && value < 1.0)) fail(codes::kConfig, std::string("config field \"") + field + "\" must be in [0, 1), got " + std::to_string(value));
}
}  // namespace

void AlbertConfig::validate() const {
  require_positive("vocab_size", vocab_size);
  require_positive("embedding_size", embedding_size);
  require_positive("hidden_size", hidden_size);
  require_positive("num_hidden_layers", num_hidden_layers);
  require_positive("num_hidden_groups", num_hidden_groups);
  require_positive("num_attention_heads", num_attention_heads);
  require_positive("intermediate_size", intermediate_size);
  require_positive("inner_group_num", inner_group_num);
  require_positive("max_position_embeddings", max_position_embeddings);
  require_positive("type_vocab_size", type_vocab_size);
  require_positive("num_labels", num_labels);
  require_probability("hidden_dropout_prob", hidden_dropout_prob);
  require_probability("attention_probs_dropout_prob", attention_probs_dropout_prob);
  require_probability("classifier_dropout_prob", classifier_dropout_prob);
  if (!(layer_norm_eps > 0.0)) fail(codes::kConfig, "config field \"layer_norm_eps\" must be > 0");
  if (!(initializer_range >= 0.0)) fail(codes::kConfig, "config field \"initializer_range\" must be >= 0");
  if (hidden_size % num_attention_heads != 0) {
    fail(codes::kConfig, "config field \"hidden_size\" (" + std::to_string(hidden_size) +
                             ") must be divisible by \"num_attention_heads\" (" + std::to_string(num_attention_heads) + ")");
  }
  if (num_hidden_groups > num_hidden_layers) {
    fail(codes::kConfig, "config field \"num_hidden_groups\" (" + std::to_string(num_hidden_groups) +
                             ") must not exceed \"num_hidden_layers\" (" + std::to_string(num_hidden_layers) + ")");
  }
  if (pad_token_id < -1 || pad_token_id >= vocab_size) {
    fail(codes::kConfig, "config field \"pad_token_id\" (" + std::to_string(pad_token_id) + ") must be below vocab_size");
  }
  if (problem_type != "single_label_classification" && problem_type != "multi_label_classification" &&
      problem_type != "regression") {
    fail(codes::kConfig, "config field \"problem_type\" has unknown value \"" + problem_type + "\"");
  }
  parse_activation(hidden_act);  // throws on an unknown name
}

}  // namespace albert
