#include "albert/loss.h"

#include "common/error.h"

namespace albert {

at::Tensor sequence_classification_loss(const AlbertConfig& config, const at::Tensor& logits, const at::Tensor& labels) {
  if (config.problem_type == "regression") {
    if (config.num_labels == 1) return at::mse_loss(logits.squeeze(), labels.squeeze());
    return at::mse_loss(logits, labels);
  }
  if (config.problem_type == "multi_label_classification") {
    return at::binary_cross_entropy_with_logits(logits, labels);
  }
  return at::cross_entropy_loss(logits.view({-1, config.num_labels}), labels.view({-1}));
}

}  // namespace albert
