// What a JS model object owns: the core model, and the flags that make concurrent or late
// calls errors instead of crashes. Shared (shared_ptr) with in-flight workers and trainers,
// so a garbage-collected wrapper never frees weights a worker thread is using.
#pragma once

#include "albert/model.h"
#include "common/error.h"

#include <atomic>
#include <memory>

namespace albert::binding {

struct ModelHandle {
  std::unique_ptr<AlbertForSequenceClassification> model;
  std::atomic<bool> busy{false};
  bool disposed = false;  // touched on the JS thread only

  AlbertForSequenceClassification& get() {
    if (disposed) fail(codes::kDisposed, "this model was disposed; create or load a new one");
    return *model;
  }
  // Takes the model for one asynchronous call; a second call while one runs is an error.
  void acquire(const char* what) {
    get();
    bool expected = false;
    if (!busy.compare_exchange_strong(expected, true)) {
      fail(codes::kBusy, std::string(what) + ": the model is busy with another call; await it first");
    }
  }
  void release() { busy.store(false); }
  void dispose() {
    if (busy.load()) fail(codes::kBusy, "dispose: the model is busy with another call; await it first");
    disposed = true;
    model.reset();
  }
};

}  // namespace albert::binding
