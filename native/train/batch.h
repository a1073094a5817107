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

// The same mask, (B, 1, 1, T) bool, whether or not any row is padded: what a CUDA graph reads,
// since the padding of the batches it replays on changes from one to the next.
at::Tensor full_keep_mask(const Batch& device_batch);

// On CUDA, sequence lengths are padded up to a multiple of this (train and eval, CUDA graphs
// or not): a few shapes then serve a whole epoch, one CUDA graph each, and eager CUDA steps
// meet few new lengths. On an H100 an eager step at a length not seen before took several times
// one at a seen length, HF's too (benchmarks/results/native-design-measurements-2026-11.md),
// and SUBJ's batches have some 100 different lengths.
constexpr int64_t kCudaLengthMultiple = 16;

// The batch with padding columns appended (id 0, mask 0, type 0) up to its length rounded up
// to kCudaLengthMultiple, but not beyond max_positions. Padding keys are masked, so no row's
// outputs change (its first token's included). Labels are untouched.
Batch pad_to_length_bucket(const Batch& batch, int64_t max_positions);

// Throws albert::Error(ERR_INPUT) naming the offending field, row and column: token ids
// outside [0, vocab_size), token types outside [0, type_vocab_size), a mask value other than
// 0/1, a row with no token, T above max_position_embeddings, labels of the wrong kind or range.
void check_batch(const Batch& batch, const AlbertConfig& config);

}  // namespace albert
