// Dropout as the model layers call it, on any device: on the CPU the counter-based kernel
// (native/kernels/cpu/dropout.h), with its seed drawn from libtorch's default CPU generator, so
// that manualSeed and the checkpointed RNG state govern it as they govern aten's dropout; on
// CUDA aten's own (Philox) dropout, which CUDA graphs replay.
#pragma once

#include <ATen/ATen.h>

namespace albert {

// x with elements zeroed with probability p and the rest scaled by 1 / (1 - p); x unchanged
// when !train or p == 0. Differentiable.
at::Tensor dropout(const at::Tensor& x, double p, bool train);

// A seed for the CPU kernels' counter-based dropout, drawn from the default CPU generator (one
// draw, as dropout() makes): for kernels that drop inside a fused pass.
uint64_t dropout_seed();

}  // namespace albert
