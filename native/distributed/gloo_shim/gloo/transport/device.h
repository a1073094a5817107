// Part of the gloo declaration shim (native/distributed/gloo_shim/README.md): the libtorch pip wheel
// ships torch/csrc/distributed/c10d/ProcessGroupGloo.hpp but not the gloo headers it includes.
// Devices and buffers are held through std::shared_ptr / std::unique_ptr only.
#pragma once

namespace gloo::transport {
class Device;
class UnboundBuffer;
}  // namespace gloo::transport
