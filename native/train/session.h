// A training session: the model, its AdamW state and its loss scaler, and the one native call
// per step that the design asks for: autocast forward, loss, (scaled) backward, unscale and
// overflow check, clip, AdamW with the learning rate passed in, zero grads.
#pragma once

#include "albert/model.h"
#include "distributed/gradient_sync.h"
#include "optim/adamw.h"
#include "optim/loss_scaler.h"
#include "train/eval_step.h"
#include "train/step_graphs.h"

#include <memory>

namespace albert {

struct TrainOptions {
  AdamWOptions adamw;
  double max_grad_norm = 1.0;  // 0: no clipping
  Amp amp = Amp::kOff;
  LossScalerOptions loss_scaler;  // used when amp is fp16
  // CUDA only: replay each (batch size, length) bucket's training and evaluation step as a CUDA
  // graph (train/step_graphs.h); lengths are padded on CUDA either way (pad_to_length_bucket).
  bool cuda_graphs = false;
};

struct StepResult {
  double loss;        // unscaled loss of the batch
  double grad_norm;   // global gradient norm before clipping
  bool skipped;       // fp16 overflow: no update this step
  double loss_scale;  // after this step's update
  bool stop;          // some rank asked to stop after this step (data-parallel; else the caller's own request)
};

class TrainSession {
 public:
  // The model must outlive the session.
  TrainSession(AlbertForSequenceClassification& model, TrainOptions options);

  // With a GradientSync attached, gradients are averaged over the ranks during backward and
  // `loss` is the mean over the ranks' batches; every rank then takes the same update.
  StepResult step(const Batch& batch, double lr, bool stop_requested = false);
  // Data-parallel training from the next step on: broadcasts rank 0's weights first.
  void attach(std::shared_ptr<GradientSync> sync);
  bool distributed() const { return sync_ != nullptr; }
  // eval_step; with CUDA graphs on, a labelled batch's forward and loss replay as a graph per
  // (batch size, padded length) bucket, as the training steps do.
  EvalResult eval(const Batch& batch);
  // Forward + backward in train mode; gradients (fp32, CPU) by parameter name. No update.
  std::pair<double, NamedTensors> gradients(const Batch& batch);

  NamedTensors state() const;  // optimizer + scaler, for a checkpoint
  void load_state(const NamedTensors& state, const std::string& source);
  int64_t steps_taken() const { return optimizer_.steps_taken(); }
  double loss_scale() const { return scaler_.current_scale(); }
  int64_t graphs_captured() const { return graphs_ ? graphs_->graphs_captured() : 0; }

 private:
  // Forward and backward of the scaled loss on a device batch; returns the unscaled loss.
  at::Tensor forward_backward(const Batch& batch, const std::optional<at::Tensor>& keep);
  // The whole update on a device batch, with no host sync (a CUDA graph captures it):
  // returns (4) fp32 results on the device: loss, gradient norm, overflow flag, loss scale.
  at::Tensor step_on_device(const Batch& batch, const std::optional<at::Tensor>& keep);
  std::vector<at::Tensor> grads() const;
  void zero_grad();

  AlbertForSequenceClassification& model_;
  TrainOptions options_;
  AdamW optimizer_;
  LossScaler scaler_;
  at::Tensor lr_;  // () on the device (AdamW::lr_tensor): set before each step, read by the update
  std::unique_ptr<StepGraphs> graphs_;
  std::shared_ptr<GradientSync> sync_;
};

}  // namespace albert
