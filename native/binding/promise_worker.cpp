#include "binding/promise_worker.h"

#include "binding/compute_thread.h"

namespace albert::binding {

PromiseWorker::PromiseWorker(Napi::Env env, Work work, Resolve resolve, Release release)
    : Napi::AsyncWorker(env, "albert-trainer"),
      deferred_(Napi::Promise::Deferred::New(env)),
      work_(std::move(work)),
      resolve_(std::move(resolve)),
      release_(std::move(release)) {}

Napi::Promise PromiseWorker::queue(Napi::Env env, Work work, Resolve resolve, Release release) {
  auto* worker = new PromiseWorker(env, std::move(work), std::move(resolve), std::move(release));
  Napi::Promise promise = worker->deferred_.Promise();
  worker->Queue();  // the worker deletes itself after OnOK/OnError
  return promise;
}

void PromiseWorker::Execute() {
  bool failed = false;
  run_on_compute_thread([&] {
    try {
      work_();
    } catch (...) {
      failure_ = capture_current_exception();
      failed = true;
    }
  });
  if (failed) SetError(failure_.message);
}

void PromiseWorker::OnOK() {
  release_();
  Napi::Env env = Env();
  try {
    deferred_.Resolve(resolve_(env));
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
  } catch (...) {
    deferred_.Reject(make_error(env, capture_current_exception()).Value());
  }
}

void PromiseWorker::OnError(const Napi::Error&) {
  release_();
  deferred_.Reject(make_error(Env(), failure_).Value());
}

}  // namespace albert::binding
