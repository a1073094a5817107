// The `kernels` object: the core's hand-written CPU kernels, one call each, for their reference
// tests (test/native/kernels.test.ts checks them against plain TypeScript versions).
#pragma once

#include <napi.h>

namespace albert::binding {

Napi::Object kernels_object(Napi::Env env);

}  // namespace albert::binding
