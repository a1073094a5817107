// Part of the gloo declaration shim (native/distributed/gloo_shim/README.md): the libtorch pip wheel
// ships torch/csrc/distributed/c10d/ProcessGroupGloo.hpp but not the gloo headers it includes.
// ProcessGroupGloo holds contexts through std::shared_ptr only; its one inline use is
// setTimeout (declared here, defined inside libtorch_cpu, never called by albert-trainer).
#pragma once

#include <chrono>

namespace gloo {
class Context {
 public:
  void setTimeout(std::chrono::milliseconds timeout);
};
}  // namespace gloo
