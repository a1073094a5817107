// C++ exceptions never cross into JavaScript raw (tch-rs's discipline): every failure is
// captured as a code + message and re-raised as a JS Error with `code` set.
#pragma once

#include <napi.h>

#include <string>

namespace albert::binding {

struct Failure {
  std::string code;
  std::string message;
};

// Call inside a catch block: classifies the in-flight exception (albert::Error keeps its
// code; c10::Error becomes ERR_TORCH without libtorch's C++ backtrace; others ERR_NATIVE).
Failure capture_current_exception();

Napi::Error make_error(Napi::Env env, const Failure& failure);

// Runs `body` on the JS thread; a C++ exception becomes a thrown JS Error with a code.
template <typename Body>
Napi::Value guarded(Napi::Env env, Body&& body) {
  Failure failure;
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    failure = capture_current_exception();
  }
  throw make_error(env, failure);
}

}  // namespace albert::binding
