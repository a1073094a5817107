#include "albert/attention.h"

#include "albert/dropout.h"
#include "kernels/cpu/attention_softmax.h"
#include "kernels/cpu/dispatch.h"

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
  if (x.device().is_cpu() && (dropout > 0.0 || at::GradMode::is_enabled())) {
    // Training on the CPU: attention written out. SDPA's CPU flash kernel has no dropout (with
    // dropout it takes this math path with aten's bernoulli_), and with gradients it is slower
    // than two matmuls and a softmax at ALBERT's lengths: base config, bf16, 2 AVX-512 cores,
    // 16 x 64 tokens 1140 -> 940 ms a step, 16 x 128 2408 -> 1887, 4 x 512 2800 -> 2233; fp32
    // 16 x 64 3590 -> 3249 (benchmarks/profile/profile_step.cpp). Without gradients (eval,
    // predict) SDPA stays.
    const double scale = 1.0 / std::sqrt(static_cast<double>(D));
    at::Tensor scores = at::matmul(q, k.transpose(-2, -1));  // (B, N, Tq, T)
    at::Tensor probs;                                         // (B, N, Tq, T)
    if (scores.scalar_type() == at::kFloat && dropout > 0.0 && kernels::cpu_fused_ops_enabled()) {
      // Scale, mask, softmax and dropout in one pass: fp32 with dropout only, where it measured
      // faster (base, 16 x 12 x 64 x 64: forward + backward 2.1 ms against aten's 2.9); in bf16, or
      // without dropout, aten's softmax is faster (benchmarks/profile/kernel_bench.cpp). One seed
      // is drawn, as albert::dropout draws one.
      probs = kernels::attention_probs(scores, keep, scale, dropout, dropout_seed());
    } else {
      scores.mul_(scale);
      if (keep) scores.masked_fill_(keep->logical_not(), -std::numeric_limits<double>::infinity());
      probs = albert::dropout(at::softmax(scores, -1), dropout, true);
    }
    context = at::matmul(probs, v);
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
