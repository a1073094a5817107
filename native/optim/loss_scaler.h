// Dynamic loss scaling for fp16, with torch.amp.GradScaler's rules and defaults: the loss is
// multiplied by `scale` before backward; gradients are unscaled and checked for inf/nan; a
// step with non-finite gradients is skipped and the scale multiplied by backoff_factor; after
// growth_interval good steps in a row the scale is multiplied by growth_factor.
// The scale, the streak and the overflow flag live in device tensors (aten's _amp_* kernels).
#pragma once

#include "albert/parameters.h"

namespace albert {

struct LossScalerOptions {
  bool enabled = false;
  double init_scale = 65536.0;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
};

class LossScaler {
 public:
  LossScaler(LossScalerOptions options, at::Device device);

  bool enabled() const { return options_.enabled; }
  at::Tensor scale(const at::Tensor& loss) const;  // loss * scale (or loss when disabled)
  // Divides the gradients by the scale in place. Returns the overflow flag, a () fp32 device
  // tensor: 1 when any gradient was inf or nan, else 0 (always 0 when disabled). No host sync,
  // so that a CUDA graph can capture it.
  at::Tensor unscale_(const std::vector<at::Tensor>& grads);
  // Backs off after an overflow, grows after growth_interval good steps (GradScaler.update),
  // reading the flag the last unscale_ set; on the device.
  void update();
  // The scale as a (1) fp32 device tensor (ones when disabled): what a step reports.
  at::Tensor scale_tensor() const;
  double current_scale() const;  // 1 when disabled; a host sync

  NamedTensors state() const;  // "scaler.scale", "scaler.growth_tracker"
  static bool owns_key(const std::string& key) { return key == "scaler.scale" || key == "scaler.growth_tracker"; }
  // Throws ERR_CHECKPOINT naming `source` when the entries are missing, malformed or of another
  // dtype (scale float32, growth tracker int32); changes nothing.
  static void check_state(const NamedTensors& state, const std::string& source);
  void load_state(const NamedTensors& state, const std::string& source);

 private:
  LossScalerOptions options_;
  at::Tensor scale_;           // (1) fp32
  at::Tensor growth_tracker_;  // (1) int32: good steps in a row
  at::Tensor found_inf_;       // () fp32: 1 when the last unscale saw inf/nan
};

}  // namespace albert
