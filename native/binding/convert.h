// JS values -> core types and back. The TypeScript side validates first with user-facing
// wording (ts/model/batch.ts, ts/model/config.ts); these checks are the floor that keeps a
// direct caller of the addon from crashing it: each throws albert::Error(ERR_INPUT/ERR_CONFIG).
#pragma once

#include "albert/config.h"
#include "train/autocast.h"
#include "train/batch.h"
#include "train/eval_step.h"

#include <napi.h>

#include <map>
#include <string>

namespace albert::binding {

AlbertConfig config_from_js(const Napi::Value& value);
// Copies the typed arrays (the JS side may reuse them as soon as the call returns).
Batch batch_from_js(const Napi::Value& value);
Amp amp_from_js(const Napi::Value& value);  // "off" | "bf16" | "fp16"
std::map<std::string, std::string> string_map_from_js(const Napi::Value& value);

double number_field(const Napi::Object& object, const char* field);
std::string string_field(const Napi::Object& object, const char* field);

// A float tensor (any device, any float dtype) -> a new Float32Array holding a copy.
Napi::Float32Array to_float32_array(Napi::Env env, const at::Tensor& tensor);

// { logits: Float32Array, loss?: number }
Napi::Object eval_result_to_js(Napi::Env env, const EvalResult& result);

}  // namespace albert::binding
