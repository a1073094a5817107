// The sequence-classification loss as HF computes it, by problem type:
// single-label: cross-entropy over L classes (labels (B) int64, -100 ignored);
// regression: MSE (L == 1: on squeezed logits and labels); multi-label: BCE with logits.
#pragma once

#include "albert/config.h"
#include "common/torch.h"

namespace albert {

// logits (B, L) fp32; labels (B) int64 for single-label, (B) or (B, L) fp32 otherwise -> scalar
at::Tensor sequence_classification_loss(const AlbertConfig& config, const at::Tensor& logits, const at::Tensor& labels);

}  // namespace albert
