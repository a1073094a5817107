#include "optim/loss_scaler.h"

#include "common/dtype_name.h"
#include "common/error.h"

namespace albert {

LossScaler::LossScaler(LossScalerOptions options, at::Device device)
    : options_(options),
      scale_(at::full({1}, options.init_scale, at::TensorOptions().dtype(at::kFloat).device(device))),
      growth_tracker_(at::zeros({1}, at::TensorOptions().dtype(at::kInt).device(device))),
      found_inf_(at::zeros({}, at::TensorOptions().dtype(at::kFloat).device(device))) {}

at::Tensor LossScaler::scale(const at::Tensor& loss) const {
  return options_.enabled ? loss * scale_.to(loss.scalar_type()).squeeze() : loss;
}

at::Tensor LossScaler::unscale_(const std::vector<at::Tensor>& grads) {
  at::NoGradGuard no_grad;
  found_inf_.zero_();
  if (!options_.enabled || grads.empty()) return found_inf_;
  at::Tensor inv_scale = scale_.to(at::kDouble).reciprocal().to(at::kFloat);  // (1), as GradScaler computes it
  at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf_, inv_scale);
  return found_inf_;
}

void LossScaler::update() {
  if (!options_.enabled) return;
  at::_amp_update_scale_(scale_, growth_tracker_, found_inf_, options_.growth_factor, options_.backoff_factor,
                         options_.growth_interval);
}

at::Tensor LossScaler::scale_tensor() const { return options_.enabled ? scale_ : at::ones_like(scale_); }

double LossScaler::current_scale() const { return options_.enabled ? scale_.item<double>() : 1.0; }

NamedTensors LossScaler::state() const {
  return {{"scaler.scale", scale_}, {"scaler.growth_tracker", growth_tracker_}};
}

namespace {
// (scale, growth_tracker) from a state, or undefined tensors where absent.
std::pair<at::Tensor, at::Tensor> find_scaler_state(const NamedTensors& state) {
  at::Tensor scale, tracker;
  for (const auto& [name, tensor] : state) {
    if (name == "scaler.scale") scale = tensor;
    if (name == "scaler.growth_tracker") tracker = tensor;
  }
  return {scale, tracker};
}
}  // namespace

void LossScaler::check_state(const NamedTensors& state, const std::string& source) {
  auto [scale, tracker] = find_scaler_state(state);
  if (!scale.defined() || scale.numel() != 1 || !tracker.defined() || tracker.numel() != 1) {
    fail(codes::kCheckpoint, source + ": loss-scaler state (scaler.scale, scaler.growth_tracker) is missing or malformed");
  }
  // The dtypes the constructor gives them (a copy_ would convert another one silently).
  for (const auto& [key, tensor, dtype] : {std::tuple{"scaler.scale", scale, at::kFloat}, std::tuple{"scaler.growth_tracker", tracker, at::kInt}}) {
    if (tensor.scalar_type() != dtype) {
      fail(codes::kCheckpoint, source + ": loss-scaler state \"" + key + "\" has dtype " + dtype_name(tensor.scalar_type()) +
                                   "; this trainer keeps it in " + dtype_name(dtype));
    }
  }
}

void LossScaler::load_state(const NamedTensors& state, const std::string& source) {
  check_state(state, source);
  auto [scale, tracker] = find_scaler_state(state);
  scale_.copy_(scale.reshape({1}));
  growth_tracker_.copy_(tracker.reshape({1}));
}

}  // namespace albert
