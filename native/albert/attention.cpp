#include "albert/attention.h"

#include "albert/dropout.h"

#include <cmath>
#include <limits>

namespace albert {

AlbertAttention::AlbertAttention(const AlbertConfig& config)
    : query(make_linear(config.hidden_size, config.hidden_size)),
      key(make_linear(config.hidden_size, config.hidden_size)),
      value(make_linear(config.hidden_size, config.hidden_size)),
      dense(make_linear(config.hidden_size, config.hidden_size)),
      layer_norm(make_layer_norm(config.hidden_size, config.layer_norm_eps)),
      num_heads(config.num_attention_heads),
      attention_dropout(config.attention_probs_dropout_prob),
      output_dropout(config.hidden_dropout_prob) {}

at::Tensor AlbertAttention::forward(const at::Tensor& x, const std::optional<at::Tensor>& keep, bool train,
                                   bool first_token_only, const TokenPacking* packing) const {
  const int64_t B = packing ? packing->batch : x.size(0), H = x.size(-1), N = num_heads, D = H / N;
  // The queries' rows: all of x, or each sequence's first token (B, 1, H).
  const at::Tensor queries_in = !first_token_only ? x : packing ? packing->first_tokens(x) : x.narrow(1, 0, 1);
  auto heads = [&](const Linear& projection, const at::Tensor& in) {
    at::Tensor grid = projection.forward(in);  // as `in`: (B, T, H), (B, 1, H) or packed (R, H)
    // Packed rows go onto the (B, T) grid, zeros at padding: masked as keys, and their query
    // rows are dropped below.
    if (grid.dim() == 2) grid = packing->unpack(grid);  // (B, T, H)
    return grid.view({B, grid.size(1), N, D}).transpose(1, 2);  // (B, N, T or 1, D)
  };
  at::Tensor q = heads(query, queries_in), k = heads(key, x), v = heads(value, x);
  const int64_t Tq = q.size(2);
  at::Tensor context;  // (B, N, Tq, D)
  const double dropout = train ? attention_dropout : 0.0;
  if (dropout > 0.0 && x.device().is_cpu()) {
    // With dropout, SDPA on the CPU takes its math path (the flash kernel has no dropout) and
    // drops with aten's bernoulli_. This is that path with the counter-based dropout.
    at::Tensor scores = at::matmul(q, k.transpose(-2, -1)).mul_(1.0 / std::sqrt(static_cast<double>(D)));  // (B, N, Tq, T)
    if (keep) scores.masked_fill_(keep->logical_not(), -std::numeric_limits<double>::infinity());
    context = at::matmul(albert::dropout(at::softmax(scores, -1), dropout, true), v);
  } else {
    context = at::scaled_dot_product_attention(q, k, v, keep, dropout, /*is_causal=*/false);
  }
  context = context.transpose(1, 2).reshape({B, Tq, H});  // (B, Tq, H)
  if (packing && !first_token_only) context = packing->pack(context);  // (R, H)
  at::Tensor projected = albert::dropout(dense.forward(context), output_dropout, train);
  return layer_norm.forward_residual(projected, queries_in);  // post-LN
}

void AlbertAttention::collect(const std::string& prefix, NamedTensors& out) const {
  query.collect(prefix + ".query", out);
  key.collect(prefix + ".key", out);
  value.collect(prefix + ".value", out);
  dense.collect(prefix + ".dense", out);
  layer_norm.collect(prefix + ".LayerNorm", out);
}

}  // namespace albert
