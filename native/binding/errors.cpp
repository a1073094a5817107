#include "binding/errors.h"

#include "common/error.h"
#include "common/torch.h"

namespace albert::binding {

Failure capture_current_exception() {
  try {
    throw;
  } catch (const albert::Error& e) {
    return {e.code(), e.what()};
  } catch (const c10::Error& e) {
    return {codes::name(codes::kTorch), std::string("libtorch: ") + e.what_without_backtrace()};
  } catch (const std::bad_alloc&) {
    return {codes::name(codes::kNative), "out of memory"};
  } catch (const std::exception& e) {
    return {codes::name(codes::kNative), e.what()};
  } catch (...) {
    return {codes::name(codes::kNative), "unknown native exception"};
  }
}

Napi::Error make_error(Napi::Env env, const Failure& failure) {
  Napi::Error error = Napi::Error::New(env, failure.message);
  error.Set("code", Napi::String::New(env, failure.code));
  return error;
}

}  // namespace albert::binding
