// Global-norm gradient clipping, as torch.nn.utils.clip_grad_norm_ computes it:
// total = ||(||g_1||, ..., ||g_n||)||_2; every gradient *= min(1, max_norm / (total + 1e-6)).
#pragma once

#include "common/torch.h"

#include <vector>

namespace albert {

// Returns the total norm before clipping, a () fp32 tensor on the gradients' device.
// max_norm <= 0 measures the norm without clipping.
at::Tensor clip_grad_norm_(const std::vector<at::Tensor>& grads, double max_norm);

}  // namespace albert
