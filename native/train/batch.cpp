#include "train/batch.h"

#include "common/error.h"

namespace albert {

Batch Batch::to(at::Device device) const {
  if (device.is_cpu()) return *this;
  auto move = [&](const at::Tensor& t) { return t.defined() ? t.to(device, /*non_blocking=*/t.is_pinned()) : t; };
  return Batch{move(input_ids), move(attention_mask), move(token_type_ids), move(labels)};
}

Batch pad_to_length_bucket(const Batch& batch, int64_t max_positions) {
  const int64_t T = batch.input_ids.size(1);
  const int64_t rounded = (T + kCudaLengthMultiple - 1) / kCudaLengthMultiple * kCudaLengthMultiple;
  const int64_t extra = std::min(rounded, max_positions) - T;
  if (extra <= 0) return batch;
  auto pad = [&](const at::Tensor& t) { return at::constant_pad_nd(t, {0, extra}, 0); };  // (B, T) -> (B, T + extra)
  return Batch{pad(batch.input_ids), pad(batch.attention_mask), pad(batch.token_type_ids), batch.labels};
}

std::optional<at::Tensor> attention_keep_mask(const Batch& host_batch, const Batch& device_batch) {
  if (host_batch.attention_mask.all().item<bool>()) return std::nullopt;  // a CPU tensor: no device sync
  return full_keep_mask(device_batch);
}

at::Tensor full_keep_mask(const Batch& device_batch) {
  const at::Tensor& mask = device_batch.attention_mask;               // (B, T) int64
  return mask.to(at::kBool).view({mask.size(0), 1, 1, mask.size(1)});  // (B, 1, 1, T)
}

namespace {

// The first (row, column) where `bad` is true, as "row r, column c".
std::string first_position(const at::Tensor& bad) {
  at::Tensor index = bad.nonzero()[0];
  if (index.numel() == 1) return "row " + std::to_string(index[0].item<int64_t>());
  return "row " + std::to_string(index[0].item<int64_t>()) + ", column " + std::to_string(index[1].item<int64_t>());
}

void check_range(const at::Tensor& values, int64_t limit, const char* field, const char* limit_name) {
  at::Tensor bad = (values < 0) | (values >= limit);
  if (bad.any().item<bool>()) {
    const std::string where = first_position(bad);
    const int64_t value = values.masked_select(bad)[0].item<int64_t>();
    fail(codes::kInput, std::string(field) + " holds " + std::to_string(value) + " at " + where + "; it must be in [0, " +
                            std::to_string(limit) + ") (" + limit_name + ")");
  }
}

}  // namespace

void check_batch(const Batch& batch, const AlbertConfig& config) {
  const int64_t B = batch.input_ids.size(0), T = batch.input_ids.size(1);
  if (B < 1 || T < 1) fail(codes::kInput, "a batch needs at least one row and one column");
  if (T > config.max_position_embeddings) {
    fail(codes::kInput, "seqLen " + std::to_string(T) + " exceeds the model's max_position_embeddings (" +
                            std::to_string(config.max_position_embeddings) + ")");
  }
  check_range(batch.input_ids, config.vocab_size, "inputIds", "vocab_size");
  check_range(batch.token_type_ids, config.type_vocab_size, "tokenTypeIds", "type_vocab_size");
  at::Tensor bad_mask = (batch.attention_mask != 0) & (batch.attention_mask != 1);
  if (bad_mask.any().item<bool>()) fail(codes::kInput, "attentionMask must hold only 0 and 1; see " + first_position(bad_mask));
  at::Tensor empty_rows = batch.attention_mask.sum(1) == 0;
  if (empty_rows.any().item<bool>()) {
    fail(codes::kInput, "attentionMask " + first_position(empty_rows) + " has no token (all zeros)");
  }
  if (!batch.labels.defined()) return;
  if (config.problem_type == "single_label_classification") {
    if (batch.labels.scalar_type() != at::kLong || batch.labels.dim() != 1 || batch.labels.size(0) != B) {
      fail(codes::kInput, "labels must be B = " + std::to_string(B) + " integer class ids for single-label classification");
    }
    at::Tensor bad = ((batch.labels < 0) | (batch.labels >= config.num_labels)) & (batch.labels != -100);
    if (bad.any().item<bool>()) {
      fail(codes::kInput, "labels " + first_position(bad) + " holds " +
                              std::to_string(batch.labels.masked_select(bad)[0].item<int64_t>()) + "; it must be in [0, " +
                              std::to_string(config.num_labels) + ") or -100 (ignored)");
    }
  } else {
    const int64_t expected = config.problem_type == "regression" && config.num_labels == 1 ? B : B * config.num_labels;
    if (!at::isFloatingType(batch.labels.scalar_type()) || batch.labels.numel() != expected) {
      fail(codes::kInput, "labels must be " + std::to_string(expected) + " float values for " + config.problem_type);
    }
  }
}

}  // namespace albert
