#include "optim/adamw.h"

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

void AdamW::step(double lr) {
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
    at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps, lr, options_.beta1,
                      options_.beta2, decay ? options_.weight_decay : 0.0, options_.eps, /*amsgrad=*/false,
                      /*maximize=*/false);
  }
  ++steps_taken_;
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

void AdamW::load_state(const NamedTensors& state, const std::string& source) {
  std::map<std::string, at::Tensor> stored(state.begin(), state.end());
  auto find = [&](const std::string& key, at::IntArrayRef shape) -> const at::Tensor& {
    auto it = stored.find(key);
    if (it == stored.end()) fail(codes::kCheckpoint, source + ": optimizer state \"" + key + "\" is missing");
    if (it->second.sizes() != shape) {
      fail(codes::kCheckpoint, source + ": optimizer state \"" + key + "\" does not fit the model's parameter shape");
    }
    return it->second;
  };
  for (const Slot& slot : slots_) {  // check everything first
    find("exp_avg." + slot.name, slot.parameter.sizes());
    find("exp_avg_sq." + slot.name, slot.parameter.sizes());
    find("step." + slot.name, {});
  }
  at::NoGradGuard no_grad;
  int64_t steps = 0;
  for (Slot& slot : slots_) {
    slot.exp_avg.copy_(find("exp_avg." + slot.name, slot.parameter.sizes()));
    slot.exp_avg_sq.copy_(find("exp_avg_sq." + slot.name, slot.parameter.sizes()));
    slot.step.copy_(find("step." + slot.name, {}));
    steps = std::max<int64_t>(steps, static_cast<int64_t>(slot.step.item<float>()));
  }
  steps_taken_ = steps;
}

}  // namespace albert
