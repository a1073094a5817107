#include "binding/convert.h"

#include "common/error.h"

#include <cmath>

namespace albert::binding {

namespace {

const char* typed_array_name(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "typed array";
  }
}

constexpr double kMaxSafeInteger = 9007199254740992.0;  // 2^53

}  // namespace

std::string describe(const Napi::Value& value) {
  if (value.IsUndefined()) return "undefined";
  if (value.IsNull()) return "null";
  if (value.IsString()) {
    std::string out = "\"";  // built by appending: GCC 12 warns falsely on "\"" + string (-Wstringop-overflow)
    out += value.As<Napi::String>().Utf8Value();
    return out += "\" of type string";
  }
  if (value.IsNumber()) return value.ToString().Utf8Value() + " of type number";  // JS's own formatting
  if (value.IsBoolean()) return std::string(value.As<Napi::Boolean>().Value() ? "true" : "false") + " of type boolean";
  if (value.IsArray()) return "an array of length " + std::to_string(value.As<Napi::Array>().Length());
  if (value.IsTypedArray()) {
    auto typed = value.As<Napi::TypedArray>();
    const std::string name = typed_array_name(typed.TypedArrayType());
    const bool vowel = name[0] == 'A' || name[0] == 'E' || name[0] == 'I' || name[0] == 'O';
    return std::string(vowel ? "an " : "a ") + name + " of length " + std::to_string(typed.ElementLength());
  }
  if (value.IsBigInt()) return "a value of type bigint";
  if (value.IsFunction()) return "a value of type function";
  if (value.IsSymbol()) return "a value of type symbol";
  return "a value of type object";
}

void wrong_argument(const std::string& expected, const std::string& name, const Napi::Value& received) {
  fail(codes::kArgument, "Expected " + expected + " for " + name + " but received " + describe(received));
}

Napi::Object object_arg(const Napi::Value& value, const std::string& name) {
  if (!value.IsObject() || value.IsArray() || value.IsFunction()) wrong_argument("an object", name, value);
  return value.As<Napi::Object>();
}

std::string string_arg(const Napi::Value& value, const std::string& name) {
  if (!value.IsString()) wrong_argument("a string", name, value);
  return value.As<Napi::String>().Utf8Value();
}

double number_arg(const Napi::Value& value, const std::string& name) {
  if (!value.IsNumber()) wrong_argument("a number", name, value);
  return value.As<Napi::Number>().DoubleValue();
}

bool boolean_arg(const Napi::Value& value, const std::string& name) {
  if (!value.IsBoolean()) wrong_argument("a boolean", name, value);
  return value.As<Napi::Boolean>().Value();
}

std::optional<bool> optional_boolean_arg(const Napi::Value& value, const std::string& name) {
  if (value.IsUndefined()) return std::nullopt;
  return boolean_arg(value, name);
}

std::optional<std::string> optional_string_arg(const Napi::Value& value, const std::string& name) {
  if (value.IsUndefined()) return std::nullopt;
  return string_arg(value, name);
}

int64_t integer_arg(const Napi::Value& value, const std::string& name, double min, double max, const char* range) {
  const std::string expected = std::string("an integer in ") + range;
  if (!value.IsNumber()) wrong_argument(expected, name, value);
  const double v = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || std::floor(v) != v || v < min || v > max) wrong_argument(expected, name, value);
  return static_cast<int64_t>(v);
}

uint64_t seed_arg(const Napi::Value& value, const std::string& name) {
  const char* expected = "an integer in [0, 2^64)";
  if (!value.IsNumber()) wrong_argument(expected, name, value);
  const double v = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || std::floor(v) != v || v < 0 || v >= 18446744073709551616.0) wrong_argument(expected, name, value);
  return static_cast<uint64_t>(v);
}

namespace {

// A config field that must be an integer: a number of another kind is ERR_CONFIG (as
// config.validate() reports a value out of its range), beyond 2^53 too (no cast of it is safe).
int64_t integer_field(const Napi::Object& config, const char* field) {
  const double value = number_arg(config.Get(field), std::string("config.") + field);
  if (!std::isfinite(value) || std::floor(value) != value || std::fabs(value) > kMaxSafeInteger) {
    fail(codes::kConfig, std::string("expected an integer for ") + field);
  }
  return static_cast<int64_t>(value);
}

double number_field(const Napi::Object& config, const char* field) {
  return number_arg(config.Get(field), std::string("config.") + field);
}

std::string string_field(const Napi::Object& config, const char* field) {
  return string_arg(config.Get(field), std::string("config.") + field);
}

// An optional (B, T) Int32Array field -> (B, T) int64 tensor; `fill` when absent.
at::Tensor ids_field(const Napi::Object& batch, const char* field, int64_t B, int64_t T, std::optional<int64_t> fill) {
  Napi::Value value = batch.Get(field);
  if (value.IsUndefined() && fill) return at::full({B, T}, *fill, at::kLong);
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    wrong_argument("an Int32Array", std::string("batch.") + field, value);
  }
  auto array = value.As<Napi::Int32Array>();
  if (static_cast<int64_t>(array.ElementLength()) != B * T) {
    fail(codes::kInput, std::string(field) + " has " + std::to_string(array.ElementLength()) +
                            " elements; batchSize x seqLen = " + std::to_string(B * T));
  }
  return at::from_blob(array.Data(), {B, T}, at::kInt).to(at::kLong);
}

}  // namespace

AlbertConfig config_from_js(const Napi::Value& value) {
  Napi::Object o = object_arg(value, "config");
  AlbertConfig c;
  c.vocab_size = integer_field(o, "vocabSize");
  c.embedding_size = integer_field(o, "embeddingSize");
  c.hidden_size = integer_field(o, "hiddenSize");
  c.num_hidden_layers = integer_field(o, "numHiddenLayers");
  c.num_hidden_groups = integer_field(o, "numHiddenGroups");
  c.num_attention_heads = integer_field(o, "numAttentionHeads");
  c.intermediate_size = integer_field(o, "intermediateSize");
  c.inner_group_num = integer_field(o, "innerGroupNum");
  c.hidden_act = string_field(o, "hiddenAct");
  c.hidden_dropout_prob = number_field(o, "hiddenDropoutProb");
  c.attention_probs_dropout_prob = number_field(o, "attentionProbsDropoutProb");
  c.max_position_embeddings = integer_field(o, "maxPositionEmbeddings");
  c.type_vocab_size = integer_field(o, "typeVocabSize");
  c.initializer_range = number_field(o, "initializerRange");
  c.layer_norm_eps = number_field(o, "layerNormEps");
  c.classifier_dropout_prob = number_field(o, "classifierDropoutProb");
  c.num_labels = integer_field(o, "numLabels");
  c.pad_token_id = integer_field(o, "padTokenId");
  c.problem_type = string_field(o, "problemType");
  c.validate();
  return c;
}

Batch batch_from_js(const Napi::Value& value) {
  Napi::Object o = object_arg(value, "batch");
  const double b = number_arg(o.Get("batchSize"), "batch.batchSize"), t = number_arg(o.Get("seqLen"), "batch.seqLen");
  auto is_size = [](double v) { return std::isfinite(v) && v >= 1 && v <= kMaxSafeInteger && std::floor(v) == v; };
  if (!is_size(b) || !is_size(t) || b * t > kMaxSafeInteger) {
    fail(codes::kInput, "batchSize and seqLen must be positive integers");
  }
  const int64_t B = static_cast<int64_t>(b), T = static_cast<int64_t>(t);
  Batch batch;
  batch.input_ids = ids_field(o, "inputIds", B, T, std::nullopt);
  batch.attention_mask = ids_field(o, "attentionMask", B, T, std::nullopt);
  batch.token_type_ids = ids_field(o, "tokenTypeIds", B, T, 0);
  Napi::Value labels = o.Get("labels");
  if (labels.IsUndefined()) return batch;
  std::optional<napi_typedarray_type> type;
  if (labels.IsTypedArray()) type = labels.As<Napi::TypedArray>().TypedArrayType();
  if (type != napi_int32_array && type != napi_float32_array) {
    wrong_argument("an Int32Array or a Float32Array", "batch.labels", labels);
  }
  const int64_t n = static_cast<int64_t>(labels.As<Napi::TypedArray>().ElementLength());
  if (type == napi_int32_array) {
    batch.labels = at::from_blob(labels.As<Napi::Int32Array>().Data(), {n}, at::kInt).to(at::kLong);
  } else {
    batch.labels = at::from_blob(labels.As<Napi::Float32Array>().Data(), {n}, at::kFloat).clone();
    if (n % B != 0) fail(codes::kInput, "labels has " + std::to_string(n) + " values, not a multiple of batchSize");
    if (n != B) batch.labels = batch.labels.view({B, n / B});  // (B, L) multi-label; checked later
  }
  return batch;
}

Amp amp_from_js(const Napi::Value& value) { return parse_amp(string_arg(value, "amp")); }

std::map<std::string, std::string> string_map_from_js(const Napi::Value& value, const std::string& name) {
  std::map<std::string, std::string> out;
  if (value.IsUndefined() || value.IsNull()) return out;
  Napi::Object o = object_arg(value, name);
  Napi::Array keys = o.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string key = keys.Get(i).ToString().Utf8Value();  // property names are strings (indices too)
    out[key] = string_arg(o.Get(key), name + "." + key);
  }
  return out;
}

Napi::Float32Array to_float32_array(Napi::Env env, const at::Tensor& tensor) {
  at::Tensor values = tensor.detach().to(at::kCPU, at::kFloat).contiguous();
  auto array = Napi::Float32Array::New(env, static_cast<size_t>(values.numel()));
  std::memcpy(array.Data(), values.data_ptr<float>(), sizeof(float) * values.numel());
  return array;
}

Napi::Object eval_result_to_js(Napi::Env env, const EvalResult& result) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("logits", to_float32_array(env, result.logits));
  if (result.loss) out.Set("loss", Napi::Number::New(env, *result.loss));
  return out;
}

}  // namespace albert::binding
