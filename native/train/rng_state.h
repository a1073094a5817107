// The process-wide generators that dropout draws from (the CPU one, and each CUDA device's
// when present): their states as bytes, for a checkpoint to restore so that a resumed run
// draws the same dropout masks as an uninterrupted one (HF's rng_state.pth, torch side).
#pragma once

#include <cstdint>
#include <vector>

namespace albert::train {

struct RngState {
  std::vector<uint8_t> cpu;                // at::CPUGeneratorImpl::get_state()
  std::vector<std::vector<uint8_t>> cuda;  // one per CUDA device, in device order
};

RngState get_rng_state();

// Throws ERR_CHECKPOINT when a state has the wrong size or the number of CUDA states differs
// from the devices present; sets nothing in that case.
void set_rng_state(const RngState& state);

}  // namespace albert::train
