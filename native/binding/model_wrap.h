// The JS class `Model`: one ALBERT model on one device (see ts/native.ts for its contract).
#pragma once

#include "binding/model_handle.h"

#include <napi.h>

namespace albert::binding {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  static Napi::FunctionReference constructor;
  explicit ModelWrap(const Napi::CallbackInfo& info);

  std::shared_ptr<ModelHandle> handle() const { return handle_; }

 private:
  Napi::Value load_weights(const Napi::CallbackInfo& info);
  Napi::Value save_weights(const Napi::CallbackInfo& info);
  Napi::Value forward(const Napi::CallbackInfo& info);
  Napi::Value parameters(const Napi::CallbackInfo& info);
  Napi::Value get_parameter(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);
  Napi::Value disposed(const Napi::CallbackInfo& info);
  Napi::Value device(const Napi::CallbackInfo& info);

  std::shared_ptr<ModelHandle> handle_ = std::make_shared<ModelHandle>();
  std::string device_name_;
};

}  // namespace albert::binding
