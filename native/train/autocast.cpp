#include "train/autocast.h"

#include "common/error.h"

namespace albert {

Amp parse_amp(const std::string& name) {
  if (name == "off") return Amp::kOff;
  if (name == "bf16") return Amp::kBf16;
  if (name == "fp16") return Amp::kFp16;
  fail(codes::kArgument, "amp must be \"off\", \"bf16\" or \"fp16\", got \"" + name + "\"");
}

AutocastScope::AutocastScope(Amp amp, at::DeviceType device)
    : active_(amp != Amp::kOff),
      device_(device),
      previous_enabled_(at::autocast::is_autocast_enabled(device)),
      previous_dtype_(at::autocast::get_autocast_dtype(device)) {
  if (!active_) return;
  at::autocast::set_autocast_dtype(device, amp == Amp::kBf16 ? at::kBFloat16 : at::kHalf);
  at::autocast::set_autocast_enabled(device, true);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(device_, previous_enabled_);
  at::autocast::set_autocast_dtype(device_, previous_dtype_);
}

}  // namespace albert
