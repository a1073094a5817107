// One evaluation step: forward in eval mode (no dropout), no autograd, under the given
// autocast; logits come back fp32 on the CPU, with the loss when the batch has labels.
#pragma once

#include "albert/model.h"
#include "train/autocast.h"
#include "train/batch.h"

#include <optional>

namespace albert {

struct EvalResult {
  at::Tensor logits;  // (B, L) fp32, CPU
  std::optional<double> loss;
};

EvalResult eval_step(const AlbertForSequenceClassification& model, const Batch& batch, Amp amp);

}  // namespace albert
