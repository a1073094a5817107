#include "binding/process_group_wrap.h"

#include "binding/convert.h"
#include "binding/promise_worker.h"
#include "common/error.h"

namespace albert::binding {

Napi::FunctionReference ProcessGroupWrap::constructor;

Napi::Function ProcessGroupWrap::define(Napi::Env env) {
  Napi::Function cls = DefineClass(env, "ProcessGroup",
                                   {InstanceMethod<&ProcessGroupWrap::join>("join"),
                                    InstanceMethod<&ProcessGroupWrap::allreduce>("allreduce"),
                                    InstanceMethod<&ProcessGroupWrap::allgather>("allgather"),
                                    InstanceMethod<&ProcessGroupWrap::barrier>("barrier"),
                                    InstanceMethod<&ProcessGroupWrap::dispose>("dispose"),
                                    InstanceAccessor<&ProcessGroupWrap::rank>("rank"),
                                    InstanceAccessor<&ProcessGroupWrap::world_size>("worldSize")});
  constructor = Napi::Persistent(cls);
  constructor.SuppressDestruct();
  return cls;
}

ProcessGroupWrap::ProcessGroupWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProcessGroupWrap>(info) {}

std::shared_ptr<DistributedGroup> ProcessGroupWrap::group() const {
  if (disposed_) fail(codes::kDisposed, "this process group was disposed");
  if (!group_) fail(codes::kArgument, "this process group has not joined a job yet: await join() first");
  return group_;
}

namespace {
ProcessGroupOptions options_from_js(const Napi::Value& value) {
  Napi::Object o = object_arg(value, "options");
  ProcessGroupOptions options;
  constexpr double kIntLimit = 2147483647.0;
  options.rank = static_cast<int>(integer_arg(o.Get("rank"), "options.rank", 0, kIntLimit, "[0, 2^31)"));
  options.world_size = static_cast<int>(integer_arg(o.Get("worldSize"), "options.worldSize", 1, kIntLimit, "[1, 2^31)"));
  options.master_addr = string_arg(o.Get("masterAddr"), "options.masterAddr");
  options.master_port = static_cast<int>(integer_arg(o.Get("masterPort"), "options.masterPort", 1, 65535, "[1, 65535]"));
  options.timeout = std::chrono::milliseconds(integer_arg(o.Get("timeoutMs"), "options.timeoutMs", 0, 9007199254740992.0, "[0, 2^53]"));
  const std::string backend = string_arg(o.Get("backend"), "options.backend");
  if (backend != "gloo" && backend != "nccl") fail(codes::kArgument, "backend must be gloo or nccl, got " + backend);
  options.backend = backend == "nccl" ? DistBackend::kNccl : DistBackend::kGloo;
  options.fingerprint = string_arg(o.Get("fingerprint"), "options.fingerprint");
  return options;
}
}  // namespace

Napi::Value ProcessGroupWrap::join(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (disposed_) fail(codes::kDisposed, "this process group was disposed");
    if (group_ || joining_) fail(codes::kBusy, "join: this process group has already joined (or is joining) a job");
    ProcessGroupOptions options = options_from_js(info[0]);
    joining_ = true;
    auto joined = std::make_shared<std::shared_ptr<DistributedGroup>>();
    Napi::ObjectReference self = Napi::Persistent(info.This().As<Napi::Object>());
    auto keep = std::make_shared<Napi::ObjectReference>(std::move(self));
    return PromiseWorker::queue(
        info.Env(), [options, joined] { *joined = std::make_shared<DistributedGroup>(options); },
        [this, joined](Napi::Env env) -> Napi::Value {
          group_ = *joined;
          return env.Undefined();
        },
        [this, keep] { joining_ = false; });
  });
}

Napi::Value ProcessGroupWrap::allreduce(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      wrong_argument("a Float64Array", "allreduce(values)", info[0]);
    }
    const std::string op = string_arg(info[1], "allreduce(op)");
    if (op != "sum" && op != "max") fail(codes::kArgument, "allreduce: op must be sum or max, got " + op);
    auto group = this->group();
    Napi::Float64Array values = info[0].As<Napi::Float64Array>();
    auto tensor = std::make_shared<at::Tensor>(at::empty({static_cast<int64_t>(values.ElementLength())}, at::kDouble));  // (n) float64
    std::copy(values.Data(), values.Data() + values.ElementLength(), tensor->data_ptr<double>());
    return PromiseWorker::queue(
        info.Env(), [group, tensor, max = op == "max"] { group->allreduce_(*tensor, max); },
        [tensor](Napi::Env env) -> Napi::Value {
          Napi::Float64Array out = Napi::Float64Array::New(env, static_cast<size_t>(tensor->numel()));
          std::copy(tensor->data_ptr<double>(), tensor->data_ptr<double>() + tensor->numel(), out.Data());
          return out;
        },
        [] {});
  });
}

Napi::Value ProcessGroupWrap::allgather(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (!info[0].IsBuffer()) wrong_argument("a Buffer", "allgather(bytes)", info[0]);
    auto group = this->group();
    auto buffer = info[0].As<Napi::Buffer<uint8_t>>();
    auto mine = std::make_shared<std::vector<uint8_t>>(buffer.Data(), buffer.Data() + buffer.Length());
    auto all = std::make_shared<std::vector<std::vector<uint8_t>>>();
    return PromiseWorker::queue(
        info.Env(), [group, mine, all] { *all = group->allgather(*mine); },
        [all](Napi::Env env) -> Napi::Value {
          Napi::Array out = Napi::Array::New(env, all->size());
          for (uint32_t r = 0; r < all->size(); ++r) out.Set(r, Napi::Buffer<uint8_t>::Copy(env, (*all)[r].data(), (*all)[r].size()));
          return out;
        },
        [] {});
  });
}

Napi::Value ProcessGroupWrap::barrier(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto group = this->group();
    return PromiseWorker::queue(
        info.Env(), [group] { group->barrier(); }, [](Napi::Env env) { return env.Undefined(); }, [] {});
  });
}

Napi::Value ProcessGroupWrap::dispose(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (joining_) fail(codes::kBusy, "dispose: the process group is still joining; await join() first");
    group_.reset();  // the connections close once no trainer holds the group either
    disposed_ = true;
    return info.Env().Undefined();
  });
}

Napi::Value ProcessGroupWrap::rank(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value { return Napi::Number::New(info.Env(), group()->rank()); });
}

Napi::Value ProcessGroupWrap::world_size(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value { return Napi::Number::New(info.Env(), group()->world_size()); });
}

}  // namespace albert::binding
