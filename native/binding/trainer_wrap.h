// The JS class `Trainer`: a TrainSession over a Model (see ts/native.ts for its contract).
#pragma once

#include "binding/model_handle.h"
#include "train/session.h"

#include <napi.h>

namespace albert::binding {

class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit TrainerWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value step(const Napi::CallbackInfo& info);
  Napi::Value eval_step(const Napi::CallbackInfo& info);
  Napi::Value compute_gradients(const Napi::CallbackInfo& info);
  Napi::Value save_state(const Napi::CallbackInfo& info);
  Napi::Value load_state(const Napi::CallbackInfo& info);
  Napi::Value attach_process_group(const Napi::CallbackInfo& info);
  Napi::Value step_count(const Napi::CallbackInfo& info);
  Napi::Value loss_scale(const Napi::CallbackInfo& info);
  Napi::Value graphs_captured(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);
  Napi::Value disposed(const Napi::CallbackInfo& info);

  // The session, after checking that neither it nor its model was disposed.
  TrainSession& session();

  std::shared_ptr<ModelHandle> model_;
  std::shared_ptr<TrainSession> session_;
};

}  // namespace albert::binding
