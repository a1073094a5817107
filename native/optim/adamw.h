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

  // One update with learning rate `lr` from each parameter's .grad(); parameters without a
  // gradient are left alone, as torch does.
  void step(double lr);
  int64_t steps_taken() const { return steps_taken_; }

  // State as named tensors: "exp_avg.<param>", "exp_avg_sq.<param>", "step.<param>".
  NamedTensors state() const;
  // The state keys this optimizer owns (those state() writes).
  bool owns_key(const std::string& key) const;
  // Strict: every state tensor present with the parameter's shape; throws ERR_CHECKPOINT naming
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
