#include "albert/token_packing.h"

#include "kernels/cpu/rows.h"

namespace albert {

std::optional<TokenPacking> TokenPacking::from_keep(const at::Tensor& keep) {
  const int64_t B = keep.size(0), T = keep.size(3);
  at::Tensor tokens = keep.view({B, T}).clone();  // (B, T) bool
  tokens.select(1, 0).fill_(true);                // the pooler's token, padding or not
  at::Tensor counts = tokens.sum(1);              // (B) int64
  at::Tensor rows = tokens.view({B * T}).nonzero().view({-1});  // (R)
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
