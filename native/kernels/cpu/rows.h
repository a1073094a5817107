// Row gather and scatter for packing tokens (albert/token_packing.h), differentiable, as plain
// row copies: aten's index_select backward (index_add_) and index_copy_ on the CPU loop over
// the indices with one small tensor op each, which cost more than the padding they save
// (base config, bf16, 16 x 64 tokens with 5% padding: 1085 ms a step against 975 unpacked).
// On other devices these are index_select and index_copy.
#pragma once

#include <ATen/ATen.h>

namespace albert::kernels {

// src (N, C), index (R) int64 in [0, N) -> (R, C): row r is src[index[r]].
at::Tensor gather_rows(const at::Tensor& src, const at::Tensor& index);
// src (R, C), index (R) int64 of distinct rows in [0, n) -> (n, C): row index[r] is src[r],
// the other rows 0.
at::Tensor scatter_rows(const at::Tensor& src, const at::Tensor& index, int64_t n);

}  // namespace albert::kernels
