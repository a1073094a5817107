// sharp's baton, in one reusable shape: `work` runs off the JS thread (on the addon's one
// compute thread, binding/compute_thread.h, which the libuv worker waits for) and never touches
// JS; `resolve` runs back on the JS thread and builds the promise's value from what `work`
// left in captured state; `release` always runs on the JS thread when the call is over (it
// ends the busy lease). A failure in `work` rejects with an Error carrying its code.
#pragma once

#include "binding/errors.h"

#include <functional>

namespace albert::binding {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Resolve = std::function<Napi::Value(Napi::Env)>;
  using Release = std::function<void()>;

  static Napi::Promise queue(Napi::Env env, Work work, Resolve resolve, Release release);

  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& error) override;

 private:
  PromiseWorker(Napi::Env env, Work work, Resolve resolve, Release release);

  Napi::Promise::Deferred deferred_;
  Work work_;
  Resolve resolve_;
  Release release_;
  Failure failure_;
};

}  // namespace albert::binding
