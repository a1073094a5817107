// Mixed precision: which autocast a step runs under, and a scope that turns it on for the
// current thread (autocast state is thread-local, and each step runs on a worker thread).
// Master weights, gradients and optimizer state stay fp32; the cast weights are cached for
// the scope (ALBERT reuses its shared layers, so each weight is cast once per step) and the
// cache is dropped when the scope ends, as torch.autocast does.
#pragma once

#include "common/torch.h"

#include <string>

namespace albert {

enum class Amp { kOff, kBf16, kFp16 };

Amp parse_amp(const std::string& name);  // "off" | "bf16" | "fp16"; ERR_INPUT otherwise

class AutocastScope {
 public:
  AutocastScope(Amp amp, at::DeviceType device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_;
  at::DeviceType device_;
  bool previous_enabled_;
  at::ScalarType previous_dtype_;
};

}  // namespace albert
