#include "albert/token_packing.h"

#include "kernels/cpu/rows.h"

#include <algorithm>

namespace albert {

namespace {

// Packed rows come in multiples of this many: the GEMMs then see a few dozen distinct shapes
// instead of a new one nearly every batch, and oneDNN builds its bf16 kernels per shape (what
// it saves: benchmarks/results/native-design-measurements-2026-11.md).
constexpr int64_t kRowMultiple = 64;

}  // namespace

std::optional<TokenPacking> TokenPacking::from_keep(const at::Tensor& keep) {
  const int64_t B = keep.size(0), T = keep.size(3);
  at::Tensor tokens = keep.view({B, T}).clone();  // (B, T) bool
  tokens.select(1, 0).fill_(true);                // the pooler's token, padding or not
  // Round the count up with the first padding positions: computed as the padded model computes
  // them, masked as keys, read by nobody.
  at::Tensor flat = tokens.view({B * T});         // (B T) bool, a view of tokens
  const int64_t kept = flat.sum().item<int64_t>();
  const int64_t extra = std::min(B * T, (kept + kRowMultiple - 1) / kRowMultiple * kRowMultiple) - kept;
  if (extra > 0) {
    const at::Tensor padding = flat.logical_not().nonzero().view({-1});  // (B T - kept), ascending
    flat.index_fill_(0, padding.narrow(0, 0, extra), true);
  }
  at::Tensor counts = tokens.sum(1);              // (B) int64
  at::Tensor rows = flat.nonzero().view({-1});    // (R)
  if (rows.size(0) == B * T) return std::nullopt;
  TokenPacking packing;
  packing.batch = B;
  packing.seq_len = T;
  packing.rows = rows;
  packing.first_rows = counts.cumsum(0) - counts;  // (B): tokens before sequence b
  return packing;
}

at::Tensor TokenPacking::pack(const at::Tensor& grid) const {
  return kernels::gather_rows(grid.reshape({batch * seq_len, grid.size(-1)}), rows);  // (R, C)
}

at::Tensor TokenPacking::unpack(const at::Tensor& packed) const {
  return kernels::scatter_rows(packed, rows, batch * seq_len).view({batch, seq_len, packed.size(-1)});
}

at::Tensor TokenPacking::first_tokens(const at::Tensor& packed) const {
  return kernels::gather_rows(packed, first_rows).unsqueeze(1);  // (B, 1, C)
}

}  // namespace albert
