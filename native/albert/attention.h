// AlbertAttention: multi-head self-attention with a padding mask, then the output projection,
// dropout, residual and a post-LayerNorm (HF: modeling_albert.AlbertAttention).
// Scores go through aten's scaled_dot_product_attention (flash / memory-efficient kernels
// where they apply, the math path otherwise).
#pragma once

#include "albert/config.h"
#include "albert/dims.h"
#include "albert/parameters.h"
#include "albert/token_packing.h"

#include <optional>

namespace albert {

struct AlbertAttention {
  Linear query, key, value;  // (H, H) each
  Linear dense;              // (H, H)
  LayerNorm layer_norm;      // HF name: LayerNorm
  int64_t num_heads;         // N
  double attention_dropout;  // on the attention probabilities
  double output_dropout;     // on the projected output

  explicit AlbertAttention(const AlbertConfig& config);
  // x (B, T, H), or (R, H) packed tokens with `packing`; keep (B, 1, 1, T) bool, true where a
  // key may be attended, or nullopt for no padding -> x's shape, or (B, 1, H) with
  // first_token_only: only the first token's queries (every token is still a key and a value).
  at::Tensor forward(const at::Tensor& x, const std::optional<at::Tensor>& keep, bool train,
                     bool first_token_only = false, const TokenPacking* packing = nullptr) const;
  void collect(const std::string& prefix, NamedTensors& out) const;
};

}  // namespace albert
