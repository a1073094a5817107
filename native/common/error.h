// Errors that leave the native core. Every failure the core can name is thrown as an
// albert::Error carrying a stable `code` (what TypeScript switches on) and a message that
// names the file, key, field or byte offset at fault. The binding turns it into a JS Error.
#pragma once

#include <stdexcept>
#include <string>

namespace albert {

// Stable error codes, mirrored in ts/errors.ts.
namespace codes {
inline constexpr const char* kSafetensors = "ERR_SAFETENSORS";  // a weights file is unreadable or lies
inline constexpr const char* kCheckpoint = "ERR_CHECKPOINT";    // weights do not fit the model (keys, shapes)
inline constexpr const char* kConfig = "ERR_CONFIG";            // a model config the core cannot build
inline constexpr const char* kInput = "ERR_INPUT";              // a batch that does not fit the model
inline constexpr const char* kDevice = "ERR_DEVICE";            // a device or dtype this build cannot run
inline constexpr const char* kIo = "ERR_IO";                    // a file that cannot be written or read
inline constexpr const char* kTorch = "ERR_TORCH";              // libtorch itself refused (c10::Error)
inline constexpr const char* kBusy = "ERR_BUSY";                // a call while another runs on the same model
inline constexpr const char* kDisposed = "ERR_DISPOSED";        // a call on a disposed model or trainer
inline constexpr const char* kNative = "ERR_NATIVE";            // anything else thrown by C++
inline constexpr const char* kArgument = "ERR_ARGUMENT";        // an option out of its range
inline constexpr const char* kDistributed = "ERR_DISTRIBUTED";  // a rendezvous or collective across processes failed
}  // namespace codes

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

[[noreturn]] inline void fail(const char* code, const std::string& message) {
  throw Error(code, message);
}

}  // namespace albert
