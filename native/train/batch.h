// One batch of examples as the core takes it: (B, T) int64 tensors on the CPU, copied from
// whatever the caller holds, checked against the model before they go near a kernel.
#pragma once

#include "albert/config.h"
#include "albert/dims.h"
#include "common/torch.h"

#include <optional>

namespace albert {

struct Batch {
  at::Tensor input_ids;       // (B, T) int64
  at::Tensor attention_mask;  // (B, T) int64, 1 token / 0 padding
  at::Tensor token_type_ids;  // (B, T) int64
  at::Tensor labels;          // undefined, (B) int64, (B) fp32 (regression) or (B, L) fp32 (multi-label)

  int64_t batch_size() const { return input_ids.size(0); }
  Batch to(at::Device device) const;  // non_blocking copies where the source is pinned
};

// The attention padding mask for the model: (B, 1, 1, T) bool on the device batch's device, true
// where a key is a real token; nullopt when no row is padded (so the fastest attention kernel
// applies). Whether there is padding is read from the host batch: no device-to-host sync per step.
std::optional<at::Tensor> attention_keep_mask(const Batch& host_batch, const Batch& device_batch);

// Throws albert::Error(ERR_INPUT) naming the offending field, row and column: token ids
// outside [0, vocab_size), token types outside [0, type_vocab_size), a mask value other than
// 0/1, a row with no token, T above max_position_embeddings, labels of the wrong kind or range.
void check_batch(const Batch& batch, const AlbertConfig& config);

}  // namespace albert
