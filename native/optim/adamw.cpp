#include "optim/adamw.h"

#include "common/dtype_name.h"
#include "common/error.h"

#include <map>

namespace albert {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

bool uses_weight_decay(const std::string& name) {
  if (ends_with(name, ".bias")) return false;
  const std::string module = name.substr(0, name.rfind('.'));
  return !(ends_with(module, "LayerNorm") || ends_with(module, "layer_norm"));
}

AdamW::AdamW(const NamedTensors& parameters, AdamWOptions options) : options_(options) {
  for (const auto& [name, parameter] : parameters) {
    slots_.push_back(Slot{name, parameter, at::zeros_like(parameter, at::MemoryFormat::Contiguous),
                          at::zeros_like(parameter, at::MemoryFormat::Contiguous),
                          at::zeros({}, parameter.options().dtype(at::kFloat)), uses_weight_decay(name)});
  }
}

at::Tensor AdamW::lr_tensor(at::Device device) {
  return at::zeros({}, at::TensorOptions().device(device).dtype(device.is_cpu() ? at::kDouble : at::kFloat));
}

void AdamW::step(const at::Tensor& lr, const std::optional<at::Tensor>& found_inf) {
  at::NoGradGuard no_grad;
  for (bool decay : {true, false}) {
    std::vector<at::Tensor> params, grads, exp_avgs, exp_avg_sqs, steps;
    for (Slot& slot : slots_) {
      if (slot.decay != decay || !slot.parameter.grad().defined()) continue;
      params.push_back(slot.parameter);
      grads.push_back(slot.parameter.grad());
      exp_avgs.push_back(slot.exp_avg);
      exp_avg_sqs.push_back(slot.exp_avg_sq);
      steps.push_back(slot.step);
    }
    if (params.empty()) continue;
    at::_foreach_add_(steps, 1.0);  // the fused kernel reads the already-incremented step
    // With found_inf set, the kernel returns before touching anything (torch.optim.AdamW's
    // fused path with a GradScaler does the same, then takes the step count back).
    at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps, lr, options_.beta1,
                      options_.beta2, decay ? options_.weight_decay : 0.0, options_.eps, /*amsgrad=*/false,
                      /*maximize=*/false, /*grad_scale=*/std::nullopt, found_inf);
    if (found_inf) at::_foreach_sub_(steps, std::vector<at::Tensor>(steps.size(), *found_inf));
  }
}

NamedTensors AdamW::state() const {
  NamedTensors out;
  for (const Slot& slot : slots_) {
    out.emplace_back("exp_avg." + slot.name, slot.exp_avg);
    out.emplace_back("exp_avg_sq." + slot.name, slot.exp_avg_sq);
    out.emplace_back("step." + slot.name, slot.step);
  }
  return out;
}

namespace {
std::string shape_of(at::IntArrayRef shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

// The stored tensor `key`, checked to have this optimizer's shape and dtype for it (a copy_
// would convert another dtype silently: a float64 or bf16 moment is a different file).
const at::Tensor& find_state(const std::map<std::string, at::Tensor>& stored, const std::string& key, const at::Tensor& ours,
                             const std::string& source) {
  auto it = stored.find(key);
  if (it == stored.end()) fail(codes::kCheckpoint, source + ": optimizer state \"" + key + "\" is missing");
  if (it->second.sizes() != ours.sizes()) {
    fail(codes::kCheckpoint, source + ": optimizer state \"" + key + "\" has shape " + shape_of(it->second.sizes()) +
                                 " but the model's parameter has " + shape_of(ours.sizes()));
  }
  if (it->second.scalar_type() != ours.scalar_type()) {
    fail(codes::kCheckpoint, source + ": optimizer state \"" + key + "\" has dtype " + dtype_name(it->second.scalar_type()) +
                                 "; this trainer keeps it in " + dtype_name(ours.scalar_type()));
  }
  return it->second;
}
}  // namespace

bool AdamW::owns_key(const std::string& key) const {
  for (const Slot& slot : slots_) {
    if (key == "exp_avg." + slot.name || key == "exp_avg_sq." + slot.name || key == "step." + slot.name) return true;
  }
  return false;
}

void AdamW::check_state(const NamedTensors& state, const std::string& source) const {
  std::map<std::string, at::Tensor> stored(state.begin(), state.end());
  for (const Slot& slot : slots_) {
    find_state(stored, "exp_avg." + slot.name, slot.exp_avg, source);
    find_state(stored, "exp_avg_sq." + slot.name, slot.exp_avg_sq, source);
    find_state(stored, "step." + slot.name, slot.step, source);
  }
}

void AdamW::load_state(const NamedTensors& state, const std::string& source) {
  check_state(state, source);
  std::map<std::string, at::Tensor> stored(state.begin(), state.end());
  at::NoGradGuard no_grad;
  int64_t steps = 0;
  for (Slot& slot : slots_) {
    slot.exp_avg.copy_(stored.at("exp_avg." + slot.name));
    slot.exp_avg_sq.copy_(stored.at("exp_avg_sq." + slot.name));
    slot.step.copy_(stored.at("step." + slot.name));
    steps = std::max<int64_t>(steps, static_cast<int64_t>(slot.step.item<float>()));
  }
  steps_taken_ = steps;
}

}  // namespace albert
