#include "train/session.h"

#include "albert/loss.h"
#include "common/error.h"
#include "optim/clip.h"

#include <ATen/record_function.h>

namespace albert {

namespace {
LossScalerOptions scaler_options(const TrainOptions& options) {
  LossScalerOptions scaler = options.loss_scaler;
  scaler.enabled = options.amp == Amp::kFp16;
  return scaler;
}
}  // namespace

TrainSession::TrainSession(AlbertForSequenceClassification& model, TrainOptions options)
    : model_(model),
      options_(options),
      optimizer_(model.named_parameters(), options.adamw),
      scaler_(scaler_options(options), model.device) {}

at::Tensor TrainSession::forward_backward(const Batch& host_batch) {
  check_batch(host_batch, model_.config);
  if (!host_batch.labels.defined()) fail(codes::kInput, "a training batch needs labels");
  const Batch batch = host_batch.to(model_.device);
  at::AutoGradMode grad_mode(true);
  at::Tensor loss;  // () fp32
  {
    RECORD_USER_SCOPE("albert::forward");
    AutocastScope autocast(options_.amp, model_.device.type());
    at::Tensor logits = model_.forward(batch.input_ids, attention_keep_mask(host_batch, batch),
                                       batch.token_type_ids, /*train=*/true);
    loss = sequence_classification_loss(model_.config, logits.to(at::kFloat), batch.labels);
  }
  {
    RECORD_USER_SCOPE("albert::backward");
    if (sync_) {
      sync_->prepare_for_backward();
      sync_->backward([&] { scaler_.scale(loss).backward(); });
    } else {
      scaler_.scale(loss).backward();
    }
  }
  return loss.detach();
}

std::vector<at::Tensor> TrainSession::grads() const {
  std::vector<at::Tensor> out;
  for (const auto& [name, parameter] : model_.named_parameters()) {
    if (parameter.grad().defined()) out.push_back(parameter.grad());
  }
  return out;
}

void TrainSession::zero_grad() {
  for (const auto& [name, parameter] : model_.named_parameters()) {
    at::Tensor p = parameter;
    p.mutable_grad() = at::Tensor();  // set_to_none, as torch's zero_grad() does by default
  }
}

void TrainSession::attach(std::shared_ptr<GradientSync> sync) {
  if (model_.device.type() != at::kCPU) fail(codes::kDevice, "data-parallel training runs on CPU (Gloo) in this build");
  sync->broadcast_parameters();
  sync_ = std::move(sync);
}

StepResult TrainSession::step(const Batch& batch, double lr, bool stop_requested) {
  // The RECORD_USER_SCOPEs name the step's phases for libtorch's profiler
  // (benchmarks/profile/profile_step.cpp); they cost nothing when no profiler is on.
  zero_grad();
  at::Tensor loss = forward_backward(batch);
  std::vector<at::Tensor> gradients = grads();
  bool overflow;
  at::Tensor grad_norm;
  {
    RECORD_USER_SCOPE("albert::unscale_clip");
    overflow = scaler_.unscale_(gradients);
    grad_norm = clip_grad_norm_(gradients, options_.max_grad_norm);
  }
  {
    RECORD_USER_SCOPE("albert::adamw");
    if (!overflow) optimizer_.step(lr);
    scaler_.update();
  }
  zero_grad();
  RECORD_USER_SCOPE("albert::read_results");
  double loss_value = loss.item<double>();
  bool stop = stop_requested;
  if (sync_) std::tie(loss_value, stop) = sync_->average_loss(loss_value, stop_requested);
  return StepResult{loss_value, grad_norm.item<double>(), overflow, scaler_.current_scale(), stop};
}

std::pair<double, NamedTensors> TrainSession::gradients(const Batch& batch) {
  zero_grad();
  std::shared_ptr<GradientSync> sync = std::exchange(sync_, nullptr);  // this rank's own gradients
  at::Tensor loss;
  try {
    loss = forward_backward(batch);
  } catch (...) {
    sync_ = sync;
    throw;
  }
  sync_ = sync;
  std::vector<at::Tensor> gradients = grads();
  scaler_.unscale_(gradients);
  NamedTensors out;
  for (const auto& [name, parameter] : model_.named_parameters()) {
    at::Tensor grad = parameter.grad();
    out.emplace_back(name, grad.defined() ? grad.to(at::kCPU, at::kFloat) : at::zeros(parameter.sizes(), at::kFloat));
  }
  zero_grad();
  return {loss.item<double>(), out};
}

NamedTensors TrainSession::state() const {
  NamedTensors out = optimizer_.state();
  for (auto& entry : scaler_.state()) out.push_back(entry);
  return out;
}

void TrainSession::load_state(const NamedTensors& state, const std::string& source) {
  // Check everything before changing anything: a rejected file leaves the session as it was.
  for (const auto& [key, tensor] : state) {
    if (!optimizer_.owns_key(key) && !LossScaler::owns_key(key)) {
      fail(codes::kCheckpoint, source + ": unexpected state \"" + key + "\": the file was saved for a different model");
    }
  }
  optimizer_.check_state(state, source);
  LossScaler::check_state(state, source);
  optimizer_.load_state(state, source);
  scaler_.load_state(state, source);
}

}  // namespace albert
