// Parameter storage. Each module is a plain struct of at::Tensor handles; the model keeps one
// ordered list of (HF state-dict name, tensor) pairs pointing at the same tensors, so the
// optimizer, the checkpoint code and the modules all see one set of weights.
#pragma once

#include "common/torch.h"

#include <string>
#include <utility>
#include <vector>

namespace albert {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

struct Linear {
  at::Tensor weight;  // (out, in)
  at::Tensor bias;    // (out)

  at::Tensor forward(const at::Tensor& x) const { return at::linear(x, weight, bias); }
  void collect(const std::string& prefix, NamedTensors& out) const {
    out.emplace_back(prefix + ".weight", weight);
    out.emplace_back(prefix + ".bias", bias);
  }
};

struct LayerNorm {
  at::Tensor weight;  // (C)
  at::Tensor bias;    // (C)
  double eps = 1e-12;

  at::Tensor forward(const at::Tensor& x) const { return at::layer_norm(x, {weight.size(0)}, weight, bias, eps); }
  // LayerNorm(x + residual): on CUDA the fused kernel (kernels/cuda/fused_ops.h), which adds in
  // fp32 and returns fp32 as CUDA autocast's layer_norm does; on the CPU the fused kernel
  // (kernels/cpu/residual_layer_norm.h), which adds in fp32 and returns x's dtype as the CPU's
  // uncast layer_norm does, in bf16; aten's add and layer_norm otherwise (fp32, fp16, ALBERT_CPU_FUSED=0).
  at::Tensor forward_residual(const at::Tensor& x, const at::Tensor& residual) const;
  void collect(const std::string& prefix, NamedTensors& out) const {
    out.emplace_back(prefix + ".weight", weight);
    out.emplace_back(prefix + ".bias", bias);
  }
};

// Uninitialized fp32 parameters of the given shapes (init.cpp fills them).
Linear make_linear(int64_t in_features, int64_t out_features);
LayerNorm make_layer_norm(int64_t channels, double eps);

}  // namespace albert
