// Padding-free layers: the per-token work of a layer (the Q/K/V, output and FFN projections,
// residuals, LayerNorms, dropouts) runs on the R tokens that matter, packed as (R, C) rows,
// instead of on all B x T positions. Only attention needs the (B, T) grid; it scatters its keys,
// values and queries there and gathers the context back.
// The tokens that matter are the real ones (attention mask 1) and each sequence's first token,
// which the pooler reads even when it is padding; a few padding positions round their count up
// to a multiple of 64, so that the GEMMs see few distinct shapes. A padding token is masked out
// as a key, so no real token's output depends on it: the result is the padded model's, for a
// fraction R / (B T) of its per-token FLOPs (about half on SUBJ-length batches padded to their
// longest).
#pragma once

#include <ATen/ATen.h>

#include <optional>

namespace albert {

struct TokenPacking {
  int64_t batch = 0;       // B
  int64_t seq_len = 0;     // T
  at::Tensor rows;         // (R) int64: b * T + t of each packed token, ascending
  at::Tensor first_rows;   // (B) int64: where in `rows` each sequence's first token (t = 0) is

  // keep (B, 1, 1, T) bool, true for real tokens -> the packing, or nullopt when every position
  // is kept (then packing would only add copies).
  static std::optional<TokenPacking> from_keep(const at::Tensor& keep);

  at::Tensor pack(const at::Tensor& grid) const;     // (B, T, C) -> (R, C)
  at::Tensor unpack(const at::Tensor& packed) const; // (R, C) -> (B, T, C), zeros where no token
  at::Tensor first_tokens(const at::Tensor& packed) const;  // (R, C) -> (B, 1, C)
};

}  // namespace albert
