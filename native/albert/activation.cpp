#include "albert/activation.h"

#include "common/error.h"
#include "kernels/cpu/gelu_new.h"

#include <cmath>

namespace albert {

Activation parse_activation(const std::string& name) {
  if (name == "gelu_new") return Activation::kGeluNew;
  if (name == "gelu" || name == "gelu_python") return Activation::kGelu;
  if (name == "gelu_pytorch_tanh") return Activation::kGeluTanh;
  if (name == "relu") return Activation::kRelu;
  if (name == "silu" || name == "swish") return Activation::kSilu;
  if (name == "tanh") return Activation::kTanh;
  fail(codes::kConfig, "config field \"hidden_act\" has unsupported value \"" + name +
                           "\" (supported: gelu_new, gelu, gelu_python, gelu_pytorch_tanh, relu, silu, swish, tanh)");
}

at::Tensor activation_forward(Activation activation, const at::Tensor& x) {
  switch (activation) {
    case Activation::kGeluNew:
    case Activation::kGeluTanh:
      // gelu_new's formula in one vectorized pass (aten's gelu(x, "tanh") off the CPU).
      return kernels::gelu_new(x);
    case Activation::kGelu:
      return at::gelu(x);
    case Activation::kRelu:
      return at::relu(x);
    case Activation::kSilu:
      return at::silu(x);
    case Activation::kTanh:
      return at::tanh(x);
  }
  fail(codes::kNative, "unknown activation");
}

}  // namespace albert
