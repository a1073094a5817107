// The JS class `ProcessGroup`: this process's membership of a data-parallel job (see
// ts/native.ts for its contract). Joining and every collective run on the compute thread.
#pragma once

#include "distributed/process_group.h"

#include <napi.h>

#include <memory>

namespace albert::binding {

class ProcessGroupWrap : public Napi::ObjectWrap<ProcessGroupWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  static Napi::FunctionReference constructor;
  explicit ProcessGroupWrap(const Napi::CallbackInfo& info);

  // The joined group; throws ERR_ARGUMENT before join() resolved, ERR_DISPOSED after dispose().
  std::shared_ptr<DistributedGroup> group() const;

 private:
  Napi::Value join(const Napi::CallbackInfo& info);
  Napi::Value allreduce(const Napi::CallbackInfo& info);
  Napi::Value allgather(const Napi::CallbackInfo& info);
  Napi::Value barrier(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);
  Napi::Value rank(const Napi::CallbackInfo& info);
  Napi::Value world_size(const Napi::CallbackInfo& info);

  std::shared_ptr<DistributedGroup> group_;
  bool joining_ = false;
  bool disposed_ = false;
};

}  // namespace albert::binding
