#include "runtime/rng_state.h"

#include "common/error.h"
#include "common/torch.h"

#include <ATen/Context.h>
#include <algorithm>
#include <mutex>

namespace albert::runtime {
namespace {

at::Generator default_generator(const at::Device& device) {
  return device.is_cpu() ? at::detail::getDefaultCPUGenerator() : at::globalContext().defaultGenerator(device);
}

std::vector<uint8_t> state_of(const at::Device& device) {
  at::Generator generator = default_generator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  at::Tensor state = generator.get_state().contiguous();  // (bytes,) uint8 on the CPU
  const uint8_t* data = state.data_ptr<uint8_t>();
  return {data, data + state.numel()};
}

at::Tensor as_tensor(const std::vector<uint8_t>& bytes) {
  at::Tensor out = at::empty({static_cast<int64_t>(bytes.size())}, at::kByte);
  std::copy(bytes.begin(), bytes.end(), out.data_ptr<uint8_t>());
  return out;
}

int64_t cuda_devices() { return at::hasCUDA() ? at::detail::getCUDAHooks().deviceCount() : 0; }

}  // namespace

RngState get_rng_state() {
  RngState out;
  out.cpu = state_of(at::Device(at::kCPU));
  for (int64_t i = 0; i < cuda_devices(); ++i) out.cuda.push_back(state_of(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(i))));
  return out;
}

int64_t set_rng_state(const RngState& state) {
  const int64_t devices = std::min<int64_t>(cuda_devices(), static_cast<int64_t>(state.cuda.size()));
  // 1. Check every size first against the current states, so a bad state sets nothing.
  if (state.cpu.size() != state_of(at::Device(at::kCPU)).size()) {
    fail(codes::kCheckpoint, "the CPU RNG state has " + std::to_string(state.cpu.size()) + " bytes, not the " +
                                 std::to_string(state_of(at::Device(at::kCPU)).size()) + " this libtorch uses");
  }
  for (int64_t i = 0; i < devices; ++i) {
    const auto expected = state_of(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(i))).size();
    if (state.cuda[i].size() != expected) {
      fail(codes::kCheckpoint, "the RNG state of CUDA device " + std::to_string(i) + " has " + std::to_string(state.cuda[i].size()) +
                                   " bytes, not " + std::to_string(expected));
    }
  }
  // 2. Then set them.
  auto set = [](const at::Device& device, const std::vector<uint8_t>& bytes) {
    at::Generator generator = default_generator(device);
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(as_tensor(bytes));
  };
  set(at::Device(at::kCPU), state.cpu);
  for (int64_t i = 0; i < devices; ++i) set(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(i)), state.cuda[i]);
  return devices;
}

}  // namespace albert::runtime
