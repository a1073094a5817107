// The addon entry: registers the classes and functions and nothing else.
#include "binding/errors.h"
#include "binding/model_wrap.h"
#include "binding/trainer_wrap.h"
#include "common/torch.h"

#include <ATen/Parallel.h>
#include <torch/headeronly/version.h>

namespace albert::binding {
namespace {

Napi::Value info(const Napi::CallbackInfo& call) {
  Napi::Env env = call.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("torchVersion", TORCH_VERSION);
  out.Set("builtWithCuda", at::detail::getCUDAHooks().hasCUDART());
  out.Set("cudaAvailable", at::hasCUDA());
  out.Set("cudaDeviceCount", at::hasCUDA() ? at::detail::getCUDAHooks().deviceCount() : 0);
  out.Set("numThreads", at::get_num_threads());
  return out;
}

Napi::Value set_num_threads(const Napi::CallbackInfo& call) {
  return guarded(call.Env(), [&]() -> Napi::Value {
    if (!call[0].IsNumber() || call[0].As<Napi::Number>().Int32Value() < 1) {
      throw Napi::TypeError::New(call.Env(), "setNumThreads expects a positive integer");
    }
    at::set_num_threads(call[0].As<Napi::Number>().Int32Value());
    return call.Env().Undefined();
  });
}

}  // namespace

// Seeds the process-wide generators (CPU, and CUDA when present) that dropout draws from,
// as torch.manual_seed / HF's set_seed do. Model init has its own seeded generator.
Napi::Value manual_seed(const Napi::CallbackInfo& call) {
  return guarded(call.Env(), [&]() -> Napi::Value {
    if (!call[0].IsNumber() || call[0].As<Napi::Number>().DoubleValue() < 0) {
      throw Napi::TypeError::New(call.Env(), "manualSeed expects a non-negative integer");
    }
    at::manual_seed(static_cast<uint64_t>(call[0].As<Napi::Number>().Int64Value()));
    return call.Env().Undefined();
  });
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("Model", ModelWrap::define(env));
  exports.Set("Trainer", TrainerWrap::define(env));
  exports.Set("info", Napi::Function::New(env, info));
  exports.Set("setNumThreads", Napi::Function::New(env, set_num_threads));
  exports.Set("manualSeed", Napi::Function::New(env, manual_seed));
  return exports;
}

}  // namespace albert::binding

static Napi::Object InitAlbertNative(Napi::Env env, Napi::Object exports) { return albert::binding::init(env, exports); }

NODE_API_MODULE(albert_native, InitAlbertNative)
