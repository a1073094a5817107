// The FFN activations HF's ACT2FN offers for ALBERT, by config name.
#pragma once

#include "common/torch.h"

#include <string>

namespace albert {

enum class Activation {
  kGeluNew,   // "gelu_new": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), ALBERT's default
  kGelu,      // "gelu", "gelu_python": the exact erf form
  kGeluTanh,  // "gelu_pytorch_tanh": torch's tanh approximation (same formula as gelu_new)
  kRelu,      // "relu"
  kSilu,      // "silu", "swish"
  kTanh,      // "tanh"
};

// Throws albert::Error(ERR_CONFIG) listing the supported names for an unknown one.
Activation parse_activation(const std::string& name);

at::Tensor activation_forward(Activation activation, const at::Tensor& x);

}  // namespace albert
