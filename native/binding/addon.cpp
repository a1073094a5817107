// The addon entry: registers the classes and functions and nothing else.
#include "binding/convert.h"
#include "binding/errors.h"
#include "binding/kernels_binding.h"
#include "binding/model_wrap.h"
#include "binding/process_group_wrap.h"
#include "binding/trainer_wrap.h"
#include "common/error.h"
#include "common/torch.h"
#include "kernels/cpu/dispatch.h"
#include "runtime/host_allocator.h"
#include "runtime/rng_state.h"

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
  out.Set("mallocTuned", keep_freed_host_memory_mapped());
  out.Set("cpuVectorPath", kernels::vector_path());
  out.Set("cpuFusedKernels", kernels::cpu_fused_ops_enabled());
  return out;
}

Napi::Value set_num_threads(const Napi::CallbackInfo& call) {
  return guarded(call.Env(), [&]() -> Napi::Value {
    at::set_num_threads(static_cast<int>(integer_arg(call[0], "setNumThreads(n)", 1, 2147483647.0, "[1, 2^31)")));
    return call.Env().Undefined();
  });
}

// The codes every native error carries (native/common/error.h's one list), for the test that
// holds ts/errors.ts to the same list.
Napi::Array error_codes(Napi::Env env) {
  constexpr size_t count = sizeof(codes::kAll) / sizeof(codes::kAll[0]);
  Napi::Array out = Napi::Array::New(env, count);
  for (uint32_t i = 0; i < count; ++i) out.Set(i, codes::kAll[i]);
  return out;
}

}  // namespace

// Seeds the process-wide generators (CPU, and CUDA when present) that dropout draws from,
// as torch.manual_seed / HF's set_seed do. Model init has its own seeded generator.
Napi::Value manual_seed(const Napi::CallbackInfo& call) {
  return guarded(call.Env(), [&]() -> Napi::Value {
    at::manual_seed(seed_arg(call[0], "manualSeed(seed)"));
    return call.Env().Undefined();
  });
}

// The dropout generators' states, { cpu: Buffer, cuda: Buffer[] }, for checkpoints.
Napi::Value get_rng_state(const Napi::CallbackInfo& call) {
  return guarded(call.Env(), [&]() -> Napi::Value {
    Napi::Env env = call.Env();
    const runtime::RngState state = runtime::get_rng_state();
    Napi::Object out = Napi::Object::New(env);
    out.Set("cpu", Napi::Buffer<uint8_t>::Copy(env, state.cpu.data(), state.cpu.size()));
    Napi::Array cuda = Napi::Array::New(env, state.cuda.size());
    for (uint32_t i = 0; i < state.cuda.size(); ++i) cuda.Set(i, Napi::Buffer<uint8_t>::Copy(env, state.cuda[i].data(), state.cuda[i].size()));
    out.Set("cuda", cuda);
    return out;
  });
}

Napi::Value set_rng_state(const Napi::CallbackInfo& call) {
  return guarded(call.Env(), [&]() -> Napi::Value {
    auto bytes = [](const Napi::Value& value, const std::string& name) {
      if (!value.IsBuffer()) wrong_argument("a Buffer", name, value);
      auto buffer = value.As<Napi::Buffer<uint8_t>>();
      return std::vector<uint8_t>(buffer.Data(), buffer.Data() + buffer.Length());
    };
    Napi::Object in = object_arg(call[0], "setRngState(state)");
    runtime::RngState state;
    state.cpu = bytes(in.Get("cpu"), "state.cpu");
    Napi::Value cuda_value = in.Get("cuda");
    if (!cuda_value.IsArray()) wrong_argument("an array", "state.cuda", cuda_value);
    Napi::Array cuda = cuda_value.As<Napi::Array>();
    for (uint32_t i = 0; i < cuda.Length(); ++i) state.cuda.push_back(bytes(cuda.Get(i), "state.cuda[" + std::to_string(i) + "]"));
    return Napi::Number::New(call.Env(), static_cast<double>(runtime::set_rng_state(state)));
  });
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  const bool tuned = keep_freed_host_memory_mapped();
  exports.Set("Model", ModelWrap::define(env));
  exports.Set("Trainer", TrainerWrap::define(env));
  exports.Set("ProcessGroup", ProcessGroupWrap::define(env));
  exports.Set("kernels", kernels_object(env));
  exports.Set("errorCodes", error_codes(env));
  exports.Set("info", Napi::Function::New(env, info));
  exports.Set("setNumThreads", Napi::Function::New(env, set_num_threads));
  exports.Set("manualSeed", Napi::Function::New(env, manual_seed));
  exports.Set("getRngState", Napi::Function::New(env, get_rng_state));
  exports.Set("setRngState", Napi::Function::New(env, set_rng_state));
  (void)tuned;
  return exports;
}

}  // namespace albert::binding

static Napi::Object InitAlbertNative(Napi::Env env, Napi::Object exports) { return albert::binding::init(env, exports); }

NODE_API_MODULE(albert_native, InitAlbertNative)
