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

// The device half of it, with no host sync (so a CUDA graph can capture it): on a batch already
// on the model's device, with the attention keep mask to use (nullopt: no padding).
struct DeviceEvalResult {
  at::Tensor logits;  // (B, L) fp32, on the device
  at::Tensor loss;    // () fp32 on the device; undefined when the batch has no labels
};

DeviceEvalResult eval_on_device(const AlbertForSequenceClassification& model, const Batch& device_batch,
                                const std::optional<at::Tensor>& keep, Amp amp);

}  // namespace albert
