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
      scaler_(scaler_options(options), model.device),
      lr_(AdamW::lr_tensor(model.device)) {
  if (options.cuda_graphs) graphs_ = std::make_unique<StepGraphs>(model.device);
}

namespace {
void check_training_batch(const Batch& batch, const AlbertConfig& config) {
  check_batch(batch, config);
  if (!batch.labels.defined()) fail(codes::kInput, "a training batch needs labels");
}
}  // namespace

at::Tensor TrainSession::forward_backward(const Batch& batch, const std::optional<at::Tensor>& keep) {
  at::AutoGradMode grad_mode(true);
  at::Tensor loss;  // () fp32
  {
    RECORD_USER_SCOPE("albert::forward");
    AutocastScope autocast(options_.amp, model_.device.type());
    at::Tensor logits = model_.forward(batch.input_ids, keep, batch.token_type_ids, /*train=*/true);
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
  if (graphs_) fail(codes::kDevice, "data-parallel training does not run with CUDA graphs");
  if (model_.device.type() != at::kCPU) fail(codes::kDevice, "data-parallel training runs on CPU (Gloo) in this build");
  sync->broadcast_parameters();
  sync_ = std::move(sync);
}

at::Tensor TrainSession::step_on_device(const Batch& batch, const std::optional<at::Tensor>& keep) {
  // The RECORD_USER_SCOPEs name the step's phases for libtorch's profiler
  // (benchmarks/profile/profile_step.cpp); they cost nothing when no profiler is on.
  zero_grad();
  at::Tensor loss = forward_backward(batch, keep);
  std::vector<at::Tensor> gradients = grads();
  at::Tensor overflow, grad_norm;  // () fp32 each
  {
    RECORD_USER_SCOPE("albert::unscale_clip");
    overflow = scaler_.unscale_(gradients);
    grad_norm = clip_grad_norm_(gradients, options_.max_grad_norm).to(overflow.device());
  }
  {
    RECORD_USER_SCOPE("albert::adamw");
    optimizer_.step(lr_, scaler_.enabled() ? std::optional<at::Tensor>(overflow) : std::nullopt);
    scaler_.update();
  }
  zero_grad();
  return at::cat({loss.to(at::kFloat).reshape({1}), grad_norm.to(at::kFloat).reshape({1}), overflow.reshape({1}),
                  scaler_.scale_tensor().reshape({1})});  // (4)
}

StepResult TrainSession::step(const Batch& checked_batch, double lr, bool stop_requested) {
  check_training_batch(checked_batch, model_.config);
  const Batch batch =
      model_.device.is_cuda() ? pad_to_length_bucket(checked_batch, model_.config.max_position_embeddings) : checked_batch;
  lr_.fill_(lr);
  at::Tensor results;  // (4) fp32 on the device: loss, gradient norm, overflow flag, loss scale
  if (graphs_) {
    results = graphs_->run(GraphedStep::kTrain, batch,
                           [this](const Batch& device_batch) { return step_on_device(device_batch, full_keep_mask(device_batch)); });
  } else {
    const Batch device_batch = batch.to(model_.device);
    results = step_on_device(device_batch, attention_keep_mask(batch, device_batch));
  }
  RECORD_USER_SCOPE("albert::read_results");
  const at::Tensor host = results.to(at::kCPU);  // the step's one host sync
  const float* r = host.const_data_ptr<float>();
  const bool overflow = r[2] != 0.0f;
  if (!overflow) optimizer_.count_step();
  double loss_value = r[0];
  bool stop = stop_requested;
  if (sync_) std::tie(loss_value, stop) = sync_->average_loss(loss_value, stop_requested);
  return StepResult{loss_value, r[1], overflow, r[3], stop};
}

EvalResult TrainSession::eval(const Batch& checked_batch) {
  if (!graphs_ || !checked_batch.labels.defined()) return eval_step(model_, checked_batch, options_.amp);
  check_batch(checked_batch, model_.config);
  const Batch batch = pad_to_length_bucket(checked_batch, model_.config.max_position_embeddings);
  const int64_t B = batch.batch_size();
  at::Tensor results = graphs_->run(GraphedStep::kEval, batch, [this](const Batch& device_batch) {
    const DeviceEvalResult out = eval_on_device(model_, device_batch, full_keep_mask(device_batch), options_.amp);
    return at::cat({out.loss.reshape({1}), out.logits.flatten()});  // (1 + B * L) fp32
  });
  results = results.to(at::kCPU);  // the step's one host sync
  return EvalResult{results.slice(0, 1).view({B, -1}).clone(), results[0].item<double>()};
}

std::pair<double, NamedTensors> TrainSession::gradients(const Batch& batch) {
  zero_grad();
  std::shared_ptr<GradientSync> sync = std::exchange(sync_, nullptr);  // this rank's own gradients
  at::Tensor loss;
  try {
    check_training_batch(batch, model_.config);
    const Batch device_batch = batch.to(model_.device);
    loss = forward_backward(device_batch, attention_keep_mask(batch, device_batch));
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
