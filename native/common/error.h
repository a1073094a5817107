// Errors that leave the native core. Every failure the core can name is thrown as an
// albert::Error carrying a stable `code` (what TypeScript switches on) and a message that
// names the file, key, field or byte offset at fault. The binding turns it into a JS Error.
#pragma once

#include <stdexcept>
#include <string>

namespace albert {

// The one list of the stable error codes: X(constant, code). The addon exports it as
// `errorCodes`; ts/errors.ts's NATIVE_ERROR_CODES (from which the TypeScript type is derived)
// must equal it, in order, or test/native/error-codes.test.ts fails.
#define ALBERT_ERROR_CODES(X)                                                                         \
  X(kSafetensors, "ERR_SAFETENSORS")   /* a weights file is unreadable or lies */                     \
  X(kCheckpoint, "ERR_CHECKPOINT")     /* weights or state that do not fit the model (keys, shapes, dtypes) */ \
  X(kConfig, "ERR_CONFIG")             /* a model config the core cannot build */                     \
  X(kInput, "ERR_INPUT")               /* a batch that does not fit the model */                      \
  X(kDevice, "ERR_DEVICE")             /* a device or dtype this build cannot run */                  \
  X(kIo, "ERR_IO")                     /* a file that cannot be written or read */                    \
  X(kTorch, "ERR_TORCH")               /* libtorch itself refused (c10::Error) */                     \
  X(kBusy, "ERR_BUSY")                 /* a call while another runs on the same model */              \
  X(kDisposed, "ERR_DISPOSED")         /* a call on a disposed model or trainer */                    \
  X(kNative, "ERR_NATIVE")             /* anything else thrown by C++ */                              \
  X(kArgument, "ERR_ARGUMENT")         /* an argument of the wrong JS type, or an option out of its range */ \
  X(kDistributed, "ERR_DISTRIBUTED")   /* a rendezvous or collective across processes failed */

namespace codes {
// What fail() takes: a constant from the list, never a free-form string.
enum Code {
#define ALBERT_ERROR_CODE_CONSTANT(constant, code) constant,
  ALBERT_ERROR_CODES(ALBERT_ERROR_CODE_CONSTANT)
#undef ALBERT_ERROR_CODE_CONSTANT
};

// The codes as strings, in the list's order (indexed by Code).
inline constexpr const char* kAll[] = {
#define ALBERT_ERROR_CODE_STRING(constant, code) code,
    ALBERT_ERROR_CODES(ALBERT_ERROR_CODE_STRING)
#undef ALBERT_ERROR_CODE_STRING
};

inline const char* name(Code code) { return kAll[code]; }
}  // namespace codes

class Error : public std::runtime_error {
 public:
  Error(codes::Code code, const std::string& message) : std::runtime_error(message), code_(code) {}
  const char* code() const noexcept { return codes::name(code_); }

 private:
  codes::Code code_;
};

[[noreturn]] inline void fail(codes::Code code, const std::string& message) {
  throw Error(code, message);
}

}  // namespace albert
