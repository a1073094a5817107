#include "binding/kernels_binding.h"

#include "binding/convert.h"
#include "binding/errors.h"
#include "common/error.h"
#include "kernels/cpu/attention_softmax.h"
#include "kernels/cpu/dropout.h"
#include "kernels/cpu/gelu_new.h"
#include "kernels/cpu/residual_layer_norm.h"
#include "kernels/cpu/rows.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace albert::binding {

namespace {

// A Float32Array argument `name` -> a (n) tensor of `dtype_value` ("fp32" when absent, or "bf16").
at::Tensor tensor_from(const Napi::Value& value, const Napi::Value& dtype_value, const char* name = "values") {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    wrong_argument("a Float32Array", name, value);
  }
  Napi::Float32Array values = value.As<Napi::Float32Array>();
  at::Tensor out = at::empty({static_cast<int64_t>(values.ElementLength())}, at::kFloat);  // (n)
  std::copy(values.Data(), values.Data() + values.ElementLength(), out.data_ptr<float>());
  const std::string dtype = optional_string_arg(dtype_value, "dtype").value_or("fp32");
  if (dtype != "fp32" && dtype != "bf16") fail(codes::kArgument, "dtype must be fp32 or bf16, got " + dtype);
  return dtype == "bf16" ? out.to(at::kBFloat16) : out;
}

Napi::Float32Array to_js(Napi::Env env, const at::Tensor& tensor) {
  const at::Tensor values = tensor.to(at::kFloat).contiguous();
  Napi::Float32Array out = Napi::Float32Array::New(env, static_cast<size_t>(values.numel()));
  std::copy(values.data_ptr<float>(), values.data_ptr<float>() + values.numel(), out.Data());
  return out;
}

uint64_t seed_from(const Napi::Value& value) {
  if (!value.IsBigInt()) wrong_argument("a BigInt", "seed", value);
  bool lossless = false;
  const uint64_t seed = value.As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) fail(codes::kArgument, "the seed must fit in 64 unsigned bits");
  return seed;
}

double probability_from(const Napi::Value& value) {
  return number_arg(value, "p");
}

// d(sum(upstream * f(x)))/dx through autograd, for x a float32 tensor (any shape) and
// upstream with as many values as f(x).
template <typename F>
at::Tensor gradient_through(at::Tensor x, const at::Tensor& upstream, const F& f) {
  x.requires_grad_(true);
  at::AutoGradMode grad_mode(true);
  const at::Tensor out = f(x);
  if (upstream.numel() != out.numel()) fail(codes::kInput, "upstream must have as many values as the output");
  out.backward(upstream.view(out.sizes()));
  return x.grad();
}

// dropout(values, p, seed, dtype?): the kernel's output, as float32.
Napi::Value dropout(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    at::Tensor x = tensor_from(info[0], info[3]);
    return to_js(info.Env(), kernels::fast_dropout(x, probability_from(info[1]), seed_from(info[2])));
  });
}

// dropoutGrad(values, upstream, p, seed): d(sum(upstream * dropout(values)))/d(values), through autograd.
Napi::Value dropout_grad(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const double p = probability_from(info[2]);
    const uint64_t seed = seed_from(info[3]);
    return to_js(info.Env(), gradient_through(tensor_from(info[0], Napi::Value()), tensor_from(info[1], Napi::Value(), "upstream"),
                                              [&](const at::Tensor& x) { return kernels::fast_dropout(x, p, seed); }));
  });
}

// "fast" (the kernel) or "aten" (aten's gelu(x, "tanh"), the reference it is compared with).
bool use_aten(const Napi::Value& value) {
  const std::string impl = optional_string_arg(value, "impl").value_or("fast");
  if (impl != "fast" && impl != "aten") fail(codes::kArgument, "impl must be fast or aten, got " + impl);
  return impl == "aten";
}

at::Tensor gelu_new(const at::Tensor& x, bool aten) { return aten ? at::gelu(x, "tanh") : kernels::gelu_new(x); }

// geluNew(values, impl?): gelu_new of float32 values.
Napi::Value gelu_new_values(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    return to_js(info.Env(), gelu_new(tensor_from(info[0], Napi::Value()), use_aten(info[1])));
  });
}

// geluNewGrad(values, upstream, impl?): d(sum(upstream * gelu_new(values)))/d(values), through autograd.
Napi::Value gelu_new_grad(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const bool aten = use_aten(info[2]);
    return to_js(info.Env(), gradient_through(tensor_from(info[0], Napi::Value()), tensor_from(info[1], Napi::Value(), "upstream"),
                                              [&](const at::Tensor& x) { return gelu_new(x, aten); }));
  });
}

// values (rows x cols, row-major) -> the (rows, cols) tensor.
at::Tensor matrix_from(const Napi::Value& values, const Napi::Value& cols_value, const Napi::Value& dtype) {
  at::Tensor flat = tensor_from(values, dtype);
  const double c = number_arg(cols_value, "cols");
  if (!(c >= 1 && c <= 9007199254740992.0 && std::floor(c) == c)) fail(codes::kArgument, "values must hold whole rows of cols values");
  const int64_t cols = static_cast<int64_t>(c);
  if (flat.numel() % cols != 0) fail(codes::kArgument, "values must hold whole rows of cols values");
  return flat.view({flat.numel() / cols, cols});
}

// An Int32Array -> an int64 index (R).
at::Tensor index_from(const Napi::Value& value) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) wrong_argument("an Int32Array", "index", value);
  Napi::Int32Array index = value.As<Napi::Int32Array>();
  at::Tensor out = at::empty({static_cast<int64_t>(index.ElementLength())}, at::kLong);  // (R)
  std::copy(index.Data(), index.Data() + index.ElementLength(), out.data_ptr<int64_t>());
  return out;
}

int64_t count_from(const Napi::Value& value) {
  number_arg(value, "n");
  return value.As<Napi::Number>().Int64Value();  // N-API's conversion: defined for NaN and out-of-range values
}

// gatherRows(values, cols, index, dtype?): rows index[r] of the (n, cols) matrix, as float32.
Napi::Value gather_rows(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    return to_js(info.Env(), kernels::gather_rows(matrix_from(info[0], info[1], info[3]), index_from(info[2])));
  });
}

// scatterRows(values, cols, index, n, dtype?): an (n, cols) matrix of zeros with row index[r] = values' row r.
Napi::Value scatter_rows(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    return to_js(info.Env(), kernels::scatter_rows(matrix_from(info[0], info[1], info[4]), index_from(info[2]), count_from(info[3])));
  });
}

// gatherRowsGrad / scatterRowsGrad(values, cols, index, [n,] upstream): d(sum(upstream * out))/d(values).
Napi::Value rows_grad(const Napi::CallbackInfo& info, bool gather) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const at::Tensor index = index_from(info[2]);
    const int64_t n = gather ? 0 : count_from(info[3]);
    return to_js(info.Env(), gradient_through(matrix_from(info[0], info[1], Napi::Value()), tensor_from(info[gather ? 3 : 4], Napi::Value(), "upstream"),
                                              [&](const at::Tensor& x) { return gather ? kernels::gather_rows(x, index) : kernels::scatter_rows(x, index, n); }));
  });
}

// Runs f on leaf copies of `inputs` (named), backpropagates `upstream` through its output, and
// returns {output, grads: {name: gradient}} as float32.
template <typename F>
Napi::Value output_and_grads(Napi::Env env, std::vector<std::pair<const char*, at::Tensor>> inputs, const at::Tensor& upstream, const F& f) {
  at::AutoGradMode grad_mode(true);
  for (auto& [name, tensor] : inputs) tensor = tensor.detach().requires_grad_(true);
  const at::Tensor out = f(inputs);
  if (upstream.numel() != out.numel()) fail(codes::kInput, "upstream must have as many values as the output");
  out.backward(upstream.to(out.scalar_type()).view(out.sizes()));
  Napi::Object result = Napi::Object::New(env);
  result.Set("output", to_js(env, out.detach()));
  Napi::Object grads = Napi::Object::New(env);
  for (const auto& [name, tensor] : inputs) {
    if (tensor.grad().defined()) grads.Set(name, to_js(env, tensor.grad()));
  }
  result.Set("grads", grads);
  return result;
}

// biasGeluNew(values, bias, upstream, dtype?, impl?): the kernel (or aten's composition) on the
// (rows, C) matrix values, C = bias's length.
Napi::Value bias_gelu_new(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const at::Tensor bias = tensor_from(info[1], Napi::Value(), "bias");  // (C) float32
    const at::Tensor x = matrix_from(info[0], Napi::Number::New(info.Env(), static_cast<double>(std::max<int64_t>(bias.numel(), 1))), info[3]);
    const bool aten = use_aten(info[4]);
    return output_and_grads(info.Env(), {{"x", x}, {"bias", bias}}, tensor_from(info[2], Napi::Value(), "upstream"), [&](const auto& in) {
      const at::Tensor &x_in = in[0].second, &bias_in = in[1].second;
      return aten ? at::gelu(x_in + bias_in.to(x_in.scalar_type()), "tanh") : kernels::bias_gelu_new_cpu(x_in, bias_in);
    });
  });
}

// residualLayerNorm(values, residual, weight, bias, eps, upstream, dtype?, impl?): rows of C = weight's length.
Napi::Value residual_layer_norm(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const at::Tensor weight = tensor_from(info[2], Napi::Value(), "weight"), bias = tensor_from(info[3], Napi::Value(), "bias");  // (C) each
    const Napi::Number cols = Napi::Number::New(info.Env(), static_cast<double>(std::max<int64_t>(weight.numel(), 1)));
    const at::Tensor x = matrix_from(info[0], cols, info[6]), residual = matrix_from(info[1], cols, info[6]);  // (rows, C) each
    const double eps = number_arg(info[4], "eps");
    const bool aten = use_aten(info[7]);
    return output_and_grads(info.Env(), {{"x", x}, {"residual", residual}, {"weight", weight}, {"bias", bias}},
                            tensor_from(info[5], Napi::Value(), "upstream"), [&](const auto& in) {
                              const at::Tensor &x_in = in[0].second, &r_in = in[1].second, &w = in[2].second, &b = in[3].second;
                              return aten ? at::layer_norm(r_in + x_in, {w.size(0)}, w, b, eps)
                                          : kernels::residual_layer_norm_cpu(x_in, r_in, w, b, eps);
                            });
  });
}


// attentionProbs(values, keepMask, shape, scale, p, seed, upstream, dtype?, impl?): the kernel (or
// aten's composition) on scores (B, N, Tq, T) = shape; keepMask (Uint8Array, 1 = real key) of B*T
// values is (B, 1, 1, T), of B*Tq*T values (B, 1, Tq, T), otherwise (n) (which the kernel refuses); null: none.
Napi::Value attention_probs(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (!info[2].IsArray() || info[2].As<Napi::Array>().Length() != 4) wrong_argument("an array [B, N, Tq, T]", "shape", info[2]);
    std::vector<int64_t> shape;
    for (uint32_t d = 0; d < 4; ++d) shape.push_back(integer_arg(info[2].As<Napi::Array>().Get(d), "shape", 0, 1 << 30, "[0, 2^30]"));
    const at::Tensor flat = tensor_from(info[0], info[7]);
    if (flat.numel() != shape[0] * shape[1] * shape[2] * shape[3]) fail(codes::kArgument, "values must hold B*N*Tq*T values");
    const at::Tensor scores = flat.view(shape);  // (B, N, Tq, T)
    std::optional<at::Tensor> keep;
    if (!info[1].IsNull() && !info[1].IsUndefined()) {
      if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
        wrong_argument("a Uint8Array or null", "keepMask", info[1]);
      }
      Napi::Uint8Array mask = info[1].As<Napi::Uint8Array>();
      const int64_t n = static_cast<int64_t>(mask.ElementLength());
      at::Tensor bytes = at::empty({n}, at::kByte);  // (n)
      std::copy(mask.Data(), mask.Data() + n, bytes.data_ptr<uint8_t>());
      const int64_t B = shape[0], Tq = shape[2], T = shape[3];
      keep = n == B * T ? bytes.view({B, 1, 1, T}) : n == B * Tq * T ? bytes.view({B, 1, Tq, T}) : bytes;
      keep = keep->ne(0);
    }
    const double scale = number_arg(info[3], "scale"), p = probability_from(info[4]);
    const uint64_t seed = seed_from(info[5]);
    const bool aten = use_aten(info[8]);
    return output_and_grads(info.Env(), {{"scores", scores}}, tensor_from(info[6], Napi::Value(), "upstream"), [&](const auto& in) {
      const at::Tensor& s = in[0].second;
      if (!aten) return kernels::attention_probs(s, keep, scale, p, seed);
      at::Tensor scaled = s * scale;
      if (keep.has_value()) scaled = scaled.masked_fill(keep->logical_not(), -std::numeric_limits<double>::infinity());
      const at::Tensor probs = at::softmax(scaled, -1);
      return p > 0 ? kernels::fast_dropout(probs, p, seed) : probs;
    });
  });
}
}  // namespace

Napi::Object kernels_object(Napi::Env env) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("dropout", Napi::Function::New(env, dropout));
  out.Set("dropoutGrad", Napi::Function::New(env, dropout_grad));
  out.Set("geluNew", Napi::Function::New(env, gelu_new_values));
  out.Set("geluNewGrad", Napi::Function::New(env, gelu_new_grad));
  out.Set("gatherRows", Napi::Function::New(env, gather_rows));
  out.Set("scatterRows", Napi::Function::New(env, scatter_rows));
  out.Set("gatherRowsGrad", Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return rows_grad(info, true); }));
  out.Set("biasGeluNew", Napi::Function::New(env, bias_gelu_new));
  out.Set("residualLayerNorm", Napi::Function::New(env, residual_layer_norm));
  out.Set("attentionProbs", Napi::Function::New(env, attention_probs));
  out.Set("scatterRowsGrad", Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return rows_grad(info, false); }));
  return out;
}

}  // namespace albert::binding
