// Part of the gloo declaration shim (native/distributed/gloo_shim/README.md): the libtorch pip wheel
// ships torch/csrc/distributed/c10d/ProcessGroupGloo.hpp but not the gloo headers it includes.
// ProcessGroupGloo::GlooStore (an inline class) overrides these; albert-trainer never
// constructs a GlooStore (ProcessGroupGloo's constructor, inside libtorch_cpu, does), so only
// the declarations matter here, not gloo's vtable layout.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace gloo::rendezvous {
class Store {
 public:
  virtual ~Store() = default;
  virtual void set(const std::string& key, const std::vector<char>& data) = 0;
  virtual std::vector<char> get(const std::string& key) = 0;
  virtual void wait(const std::vector<std::string>& keys) = 0;
  virtual void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) = 0;
};
}  // namespace gloo::rendezvous
