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
    if (!info[1].IsObject()) fail(codes::kInput, "expected an options object { seed, device }");
    Napi::Object options = info[1].As<Napi::Object>();
    const double seed = number_field(options, "seed");
    device_name_ = string_field(options, "device");
    handle_->model = std::make_unique<AlbertForSequenceClassification>(config, static_cast<uint64_t>(seed),
                                                                      device_from_name(device_name_));
    return info.Env().Undefined();
  });
}

Napi::Value ModelWrap::load_weights(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    std::string file = info[0].As<Napi::String>().Utf8Value();
    handle_->acquire("loadWeights");
    auto handle = handle_;
    return PromiseWorker::queue(
        info.Env(), [handle, file] { ::albert::load_weights(*handle->model, file); },
        [](Napi::Env env) { return env.Undefined(); }, [handle] { handle->release(); });
  });
}

Napi::Value ModelWrap::save_weights(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    std::string file = info[0].As<Napi::String>().Utf8Value();
    auto metadata = string_map_from_js(info[1]);
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
    Amp amp = info[1].IsObject() ? amp_from_js(info[1].As<Napi::Object>().Get("amp")) : Amp::kOff;
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
    if (!info[0].IsString()) fail(codes::kInput, "getParameter expects a parameter name");
    if (handle_->busy.load()) fail(codes::kBusy, "getParameter: the model is busy with another call; await it first");
    return to_float32_array(info.Env(), handle_->get().parameter(info[0].As<Napi::String>().Utf8Value()));
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
