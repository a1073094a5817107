// The process-wide generators that dropout draws from (the CPU one, and each CUDA device's
// when present): their states as bytes, for a checkpoint to restore so that a resumed run
// draws the same dropout masks as an uninterrupted one (HF's rng_state.pth, torch side).
#pragma once

#include <cstdint>
#include <vector>

namespace albert::runtime {

struct RngState {
  std::vector<uint8_t> cpu;                // at::CPUGeneratorImpl::get_state()
  std::vector<std::vector<uint8_t>> cuda;  // one per CUDA device, in device order
};

RngState get_rng_state();

// Sets the CPU state and those of the CUDA devices present in both the state and this
// machine (a checkpoint may move between machines, as HF's Trainer allows); returns how many
// CUDA states were set. Throws ERR_CHECKPOINT when a state has the wrong size, and sets
// nothing in that case.
int64_t set_rng_state(const RngState& state);

}  // namespace albert::runtime
