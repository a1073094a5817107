// AdamW with bias correction over the model's named parameters, with HF Trainer's two
// parameter groups: weight decay for every weight except biases and LayerNorm parameters.
// The update is libtorch's fused multi-tensor kernel (at::_fused_adamw_), one call per group,
// which matches torch.optim.AdamW to float32 rounding.
#pragma once

#include "albert/parameters.h"

namespace albert {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

// HF Trainer's rule (get_decay_parameter_names): no decay for biases and LayerNorm modules.
bool uses_weight_decay(const std::string& parameter_name);

class AdamW {
 public:
  AdamW(const NamedTensors& parameters, AdamWOptions options);

  // One update from each parameter's .grad(); parameters without a gradient are left alone, as
  // torch does. `lr` is a () tensor on the parameters' device (float64 on the CPU, where it is
  // read as a double, exactly as a number would be; fp32 on CUDA, read by the kernel from device
  // memory, so that a captured CUDA graph picks up each replay's value). With `found_inf` (a ()
  // fp32 device tensor), a step whose flag is 1 changes nothing, the step counts included, and
  // needs no host sync to decide so. The host-side count is the caller's: count_step().
  void step(const at::Tensor& lr, const std::optional<at::Tensor>& found_inf = std::nullopt);
  // A learning-rate tensor of the dtype step() expects on `device` (zero: fill_ it before each step).
  static at::Tensor lr_tensor(at::Device device);
  void count_step() { ++steps_taken_; }
  int64_t steps_taken() const { return steps_taken_; }

  // State as named tensors: "exp_avg.<param>", "exp_avg_sq.<param>", "step.<param>".
  NamedTensors state() const;
  // The state keys this optimizer owns (those state() writes).
  bool owns_key(const std::string& key) const;
  // Strict: every state tensor present with its slot's shape and dtype; throws ERR_CHECKPOINT naming
  // the key and `source` otherwise. Changes nothing.
  void check_state(const NamedTensors& state, const std::string& source) const;
  // check_state, then copy. Nothing changes unless everything fits.
  void load_state(const NamedTensors& state, const std::string& source);

 private:
  struct Slot {
    std::string name;
    at::Tensor parameter;
    at::Tensor exp_avg;     // same shape as the parameter, fp32
    at::Tensor exp_avg_sq;  // same shape as the parameter, fp32
    at::Tensor step;        // () fp32, as torch keeps it for the fused kernel
    bool decay;
  };
  std::vector<Slot> slots_;
  AdamWOptions options_;
  int64_t steps_taken_ = 0;
};

}  // namespace albert
