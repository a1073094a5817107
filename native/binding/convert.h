// JS values -> core types and back. The TypeScript side validates first with user-facing
// wording (ts/model/batch.ts, ts/model/config.ts); these checks are the floor that keeps a
// direct caller of the addon from crashing it or from having a value read as another type:
// a JS value of the wrong type is albert::Error(ERR_ARGUMENT) "Expected <what> for <name> but
// received <value>" (ts/errors.ts's wording); a value of the right type that does not fit the
// model is ERR_INPUT / ERR_CONFIG as before. Every read of a JS value checks its type first.
#pragma once

#include "albert/config.h"
#include "train/autocast.h"
#include "train/batch.h"
#include "train/eval_step.h"

#include <napi.h>

#include <map>
#include <optional>
#include <string>

namespace albert::binding {

// How a received value is named in messages: `"2" of type string`, `an array of length 2`.
std::string describe(const Napi::Value& value);
[[noreturn]] void wrong_argument(const std::string& expected, const std::string& name, const Napi::Value& received);

// Typed readers: each returns the value or throws ERR_ARGUMENT naming `name`.
Napi::Object object_arg(const Napi::Value& value, const std::string& name);
std::string string_arg(const Napi::Value& value, const std::string& name);
double number_arg(const Napi::Value& value, const std::string& name);
bool boolean_arg(const Napi::Value& value, const std::string& name);
std::optional<bool> optional_boolean_arg(const Napi::Value& value, const std::string& name);  // undefined: none
std::optional<std::string> optional_string_arg(const Napi::Value& value, const std::string& name);
// An integer in [min, max] (safe to cast; `range` names it in messages, e.g. "[0, 2^31)").
int64_t integer_arg(const Napi::Value& value, const std::string& name, double min, double max, const char* range);
// A non-negative integer below 2^64 (seeds).
uint64_t seed_arg(const Napi::Value& value, const std::string& name);

AlbertConfig config_from_js(const Napi::Value& value);
// Copies the typed arrays (the JS side may reuse them as soon as the call returns).
Batch batch_from_js(const Napi::Value& value);
Amp amp_from_js(const Napi::Value& value);  // "off" | "bf16" | "fp16"
std::map<std::string, std::string> string_map_from_js(const Napi::Value& value, const std::string& name);

// A float tensor (any device, any float dtype) -> a new Float32Array holding a copy.
Napi::Float32Array to_float32_array(Napi::Env env, const at::Tensor& tensor);

// { logits: Float32Array, loss?: number }
Napi::Object eval_result_to_js(Napi::Env env, const EvalResult& result);

}  // namespace albert::binding
