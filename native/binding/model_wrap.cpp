#include "binding/model_wrap.h"

#include "albert/weights.h"
#include "binding/convert.h"
#include "binding/promise_worker.h"
#include "train/eval_step.h"

namespace albert::binding {

Napi::FunctionReference ModelWrap::constructor;

Napi::Function ModelWrap::define(Napi::Env env) {
  Napi::Function cls = DefineClass(env, "Model",
                                   {InstanceMethod<&ModelWrap::load_weights>("loadWeights"),
                                    InstanceMethod<&ModelWrap::save_weights>("saveWeights"),
                                    InstanceMethod<&ModelWrap::forward>("forward"),
                                    InstanceMethod<&ModelWrap::parameters>("parameters"),
                                    InstanceMethod<&ModelWrap::get_parameter>("getParameter"),
                                    InstanceMethod<&ModelWrap::dispose>("dispose"),
                                    InstanceAccessor<&ModelWrap::disposed>("disposed"),
                                    InstanceAccessor<&ModelWrap::device>("device")});
  constructor = Napi::Persistent(cls);
  constructor.SuppressDestruct();
  return cls;
}

namespace {
at::Device device_from_name(const std::string& name) {
  if (name == "cpu") return at::kCPU;
  if (name == "cuda") {
    if (!at::hasCUDA()) {
      fail(codes::kDevice, "device \"cuda\" is not available: this addon was built against a libtorch without CUDA, "
                           "or no GPU is visible. Rebuild against a CUDA libtorch (TORCH_PY=/path/to/python npm install)");
    }
    return at::Device(at::kCUDA, 0);
  }
  fail(codes::kDevice, "device must be \"cpu\" or \"cuda\", got \"" + name + "\"");
}
}  // namespace

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
  guarded(info.Env(), [&]() -> Napi::Value {
    AlbertConfig config = config_from_js(info[0]);
    Napi::Object options = object_arg(info[1], "options");
    const uint64_t seed = seed_arg(options.Get("seed"), "options.seed");
    device_name_ = string_arg(options.Get("device"), "options.device");
    handle_->model = std::make_unique<AlbertForSequenceClassification>(config, seed, device_from_name(device_name_));
    return info.Env().Undefined();
  });
}

namespace {
// { pretrained?: boolean, ignoreMismatchedSizes?: boolean } (absent: a strict load)
LoadOptions load_options_from_js(const Napi::Value& value) {
  LoadOptions options;
  if (value.IsUndefined()) return options;
  Napi::Object object = object_arg(value, "loadWeights(options)");
  auto flag = [&](const char* field) {
    return optional_boolean_arg(object.Get(field), std::string("loadWeights(options).") + field).value_or(false);
  };
  options.pretrained = flag("pretrained");
  options.ignore_mismatched_sizes = flag("ignoreMismatchedSizes");
  return options;
}

Napi::Array strings_to_js(Napi::Env env, const std::vector<std::string>& items) {
  Napi::Array out = Napi::Array::New(env, items.size());
  for (size_t i = 0; i < items.size(); ++i) out.Set(i, items[i]);
  return out;
}

Napi::Array shape_to_js(Napi::Env env, const std::vector<int64_t>& shape) {
  Napi::Array out = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); ++i) out.Set(i, Napi::Number::New(env, static_cast<double>(shape[i])));
  return out;
}

// { missingKeys, unexpectedKeys, mismatchedKeys: [{ key, checkpointShape, modelShape }] }
Napi::Object loading_info_to_js(Napi::Env env, const LoadingInfo& info) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("missingKeys", strings_to_js(env, info.missing));
  out.Set("unexpectedKeys", strings_to_js(env, info.unexpected));
  Napi::Array mismatched = Napi::Array::New(env, info.mismatched.size());
  for (size_t i = 0; i < info.mismatched.size(); ++i) {
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("key", info.mismatched[i].key);
    entry.Set("checkpointShape", shape_to_js(env, info.mismatched[i].checkpoint_shape));
    entry.Set("modelShape", shape_to_js(env, info.mismatched[i].model_shape));
    mismatched.Set(i, entry);
  }
  out.Set("mismatchedKeys", mismatched);
  return out;
}
}  // namespace

Napi::Value ModelWrap::load_weights(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    std::string file = string_arg(info[0], "loadWeights(file)");
    const LoadOptions options = load_options_from_js(info[1]);
    handle_->acquire("loadWeights");
    auto handle = handle_;
    auto result = std::make_shared<LoadingInfo>();
    return PromiseWorker::queue(
        info.Env(), [handle, file, options, result] { *result = ::albert::load_weights(*handle->model, file, options); },
        [result](Napi::Env env) -> Napi::Value { return loading_info_to_js(env, *result); }, [handle] { handle->release(); });
  });
}

Napi::Value ModelWrap::save_weights(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    std::string file = string_arg(info[0], "saveWeights(file)");
    auto metadata = string_map_from_js(info[1], "saveWeights(metadata)");
    handle_->acquire("saveWeights");
    auto handle = handle_;
    return PromiseWorker::queue(
        info.Env(), [handle, file, metadata] { ::albert::save_weights(*handle->model, file, metadata); },
        [](Napi::Env env) { return env.Undefined(); }, [handle] { handle->release(); });
  });
}

Napi::Value ModelWrap::forward(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Batch batch = batch_from_js(info[0]);
    Amp amp = info[1].IsUndefined() ? Amp::kOff : amp_from_js(object_arg(info[1], "forward(options)").Get("amp"));
    handle_->acquire("forward");
    auto handle = handle_;
    auto result = std::make_shared<EvalResult>();
    return PromiseWorker::queue(
        info.Env(), [handle, batch, amp, result] { *result = eval_step(*handle->model, batch, amp); },
        [result](Napi::Env env) -> Napi::Value { return eval_result_to_js(env, *result); },
        [handle] { handle->release(); });
  });
}

Napi::Value ModelWrap::parameters(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const auto& named = handle_->get().named_parameters();
    Napi::Array out = Napi::Array::New(env, named.size());
    for (size_t i = 0; i < named.size(); ++i) {
      Napi::Object entry = Napi::Object::New(env);
      entry.Set("name", named[i].first);
      Napi::Array shape = Napi::Array::New(env, named[i].second.dim());
      for (int64_t d = 0; d < named[i].second.dim(); ++d) shape.Set(d, Napi::Number::New(env, named[i].second.size(d)));
      entry.Set("shape", shape);
      out.Set(i, entry);
    }
    return out;
  });
}

Napi::Value ModelWrap::get_parameter(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const std::string name = string_arg(info[0], "getParameter(name)");
    if (handle_->busy.load()) fail(codes::kBusy, "getParameter: the model is busy with another call; await it first");
    return to_float32_array(info.Env(), handle_->get().parameter(name));
  });
}

Napi::Value ModelWrap::dispose(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (!handle_->disposed) handle_->dispose();
    return info.Env().Undefined();
  });
}

Napi::Value ModelWrap::disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), handle_->disposed); }

Napi::Value ModelWrap::device(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), device_name_); }

}  // namespace albert::binding
