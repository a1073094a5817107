#include "binding/convert.h"

#include "common/error.h"

#include <cmath>

namespace albert::binding {

double number_field(const Napi::Object& object, const char* field) {
  Napi::Value value = object.Get(field);
  if (!value.IsNumber()) fail(codes::kInput, std::string("expected a number for ") + field);
  return value.As<Napi::Number>().DoubleValue();
}

std::string string_field(const Napi::Object& object, const char* field) {
  Napi::Value value = object.Get(field);
  if (!value.IsString()) fail(codes::kInput, std::string("expected a string for ") + field);
  return value.As<Napi::String>().Utf8Value();
}

namespace {

int64_t integer_field(const Napi::Object& object, const char* field) {
  const double value = number_field(object, field);
  if (!std::isfinite(value) || std::floor(value) != value) fail(codes::kConfig, std::string("expected an integer for ") + field);
  return static_cast<int64_t>(value);
}

const Napi::Object& require_object(const Napi::Value& value, const char* what) {
  if (!value.IsObject()) fail(codes::kInput, std::string("expected an object for ") + what);
  return reinterpret_cast<const Napi::Object&>(value);
}

// An optional (B, T) Int32Array field -> (B, T) int64 tensor; `fill` when absent.
at::Tensor ids_field(const Napi::Object& batch, const char* field, int64_t B, int64_t T, std::optional<int64_t> fill) {
  Napi::Value value = batch.Get(field);
  if (value.IsUndefined() && fill) return at::full({B, T}, *fill, at::kLong);
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    fail(codes::kInput, std::string(field) + " must be an Int32Array");
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
  if (!value.IsObject()) fail(codes::kConfig, "expected a config object");
  Napi::Object o = value.As<Napi::Object>();
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
  const Napi::Object& o = require_object(value, "batch");
  const double b = number_field(o, "batchSize"), t = number_field(o, "seqLen");
  auto is_size = [](double v) { return std::isfinite(v) && v >= 1 && v <= 9007199254740992.0 && std::floor(v) == v; };
  if (!is_size(b) || !is_size(t) || b * t > 9007199254740992.0) {
    fail(codes::kInput, "batchSize and seqLen must be positive integers");
  }
  const int64_t B = static_cast<int64_t>(b), T = static_cast<int64_t>(t);
  Batch batch;
  batch.input_ids = ids_field(o, "inputIds", B, T, std::nullopt);
  batch.attention_mask = ids_field(o, "attentionMask", B, T, std::nullopt);
  batch.token_type_ids = ids_field(o, "tokenTypeIds", B, T, 0);
  Napi::Value labels = o.Get("labels");
  if (labels.IsUndefined()) return batch;
  if (!labels.IsTypedArray()) fail(codes::kInput, "labels must be an Int32Array or a Float32Array");
  auto typed = labels.As<Napi::TypedArray>();
  const int64_t n = static_cast<int64_t>(typed.ElementLength());
  if (typed.TypedArrayType() == napi_int32_array) {
    batch.labels = at::from_blob(labels.As<Napi::Int32Array>().Data(), {n}, at::kInt).to(at::kLong);
  } else if (typed.TypedArrayType() == napi_float32_array) {
    batch.labels = at::from_blob(labels.As<Napi::Float32Array>().Data(), {n}, at::kFloat).clone();
    if (n % B != 0) fail(codes::kInput, "labels has " + std::to_string(n) + " values, not a multiple of batchSize");
    if (n != B) batch.labels = batch.labels.view({B, n / B});  // (B, L) multi-label; checked later
  } else {
    fail(codes::kInput, "labels must be an Int32Array or a Float32Array");
  }
  return batch;
}

Amp amp_from_js(const Napi::Value& value) {
  if (!value.IsString()) fail(codes::kInput, "amp must be \"off\", \"bf16\" or \"fp16\"");
  return parse_amp(value.As<Napi::String>().Utf8Value());
}

std::map<std::string, std::string> string_map_from_js(const Napi::Value& value) {
  std::map<std::string, std::string> out;
  if (value.IsUndefined() || value.IsNull()) return out;
  const Napi::Object& o = require_object(value, "metadata");
  Napi::Array keys = o.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
    Napi::Value entry = o.Get(key);
    if (!entry.IsString()) fail(codes::kInput, "metadata \"" + key + "\" must be a string");
    out[key] = entry.As<Napi::String>().Utf8Value();
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
