// What safetensors_read.cpp and safetensors_write.cpp share: the dtype table, the byte layout
// constants, message helpers and a file descriptor owner. Internal to native/io.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "common/error.h"
#include "io/json.h"
#include "io/safetensors.h"

namespace albert::io::safetensors_detail {

// safetensors stores little-endian bytes; tensors are copied to and from memory as they are.
static_assert(std::endian::native == std::endian::little,
              "safetensors I/O copies raw bytes and assumes a little-endian host (x86-64, arm64)");

inline constexpr std::uint64_t kLengthPrefixBytes = 8;
inline constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's limit
inline constexpr std::string_view kMetadataKey = "__metadata__";

struct Dtype {
  std::string_view name;  // as written in the header
  at::ScalarType scalar_type;
  std::int64_t itemsize;  // bytes per element
};

inline constexpr Dtype kDtypes[] = {
    {"F64", at::kDouble, 8}, {"F32", at::kFloat, 4}, {"F16", at::kHalf, 2}, {"BF16", at::kBFloat16, 2},
    {"I64", at::kLong, 8},   {"I32", at::kInt, 4},   {"I16", at::kShort, 2}, {"I8", at::kChar, 1},
    {"U8", at::kByte, 1},    {"BOOL", at::kBool, 1},
};

inline const Dtype* dtype_named(std::string_view name) {
  for (const Dtype& dtype : kDtypes) {
    if (dtype.name == name) return &dtype;
  }
  return nullptr;
}

inline const Dtype* dtype_of(at::ScalarType scalar_type) {
  for (const Dtype& dtype : kDtypes) {
    if (dtype.scalar_type == scalar_type) return &dtype;
  }
  return nullptr;
}

inline std::string supported_dtype_names() {
  std::string names;
  for (const Dtype& dtype : kDtypes) {
    if (!names.empty()) names += ", ";
    names += dtype.name;
  }
  return names;
}

// A key in double quotes for messages; control bytes are shown as \xNN.
inline std::string quote_key(std::string_view key) {
  std::string out = "\"";
  for (const char c : key) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\x%02X", static_cast<unsigned char>(c));
      out += escape;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

inline std::string offsets_text(std::uint64_t begin, std::uint64_t end) {
  // Appends rather than "[" + std::string&&, on which g++ 12 gives a false -Wstringop-overflow.
  std::string text("[");
  text.append(std::to_string(begin)).append(", ").append(std::to_string(end)).append("]");
  return text;
}

[[noreturn]] inline void fail_content(const std::string& path, const std::string& message) {
  fail(codes::kSafetensors, path + ": " + message);
}

// Reads errno now: call it right after the failing system call.
[[noreturn]] inline void fail_io(const std::string& path, const std::string& action) {
  const int error = errno;
  fail(codes::kIo, path + ": " + action + ": " + std::strerror(error));
}

// A file descriptor that is closed when its owner goes away, thrown exceptions included.
class UniqueFd {
 public:
  // open(2), retried on EINTR; get() < 0 when it failed (errno is set).
  UniqueFd(const std::string& path, int flags, mode_t mode = 0) {
    do {
      fd_ = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    } while (fd_ < 0 && errno == EINTR);
  }
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

}  // namespace albert::io::safetensors_detail
