#include "kernels/cpu/dispatch.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace albert::kernels {

namespace {

bool avx512_clone() { return std::strcmp(vector_path(), "avx512") == 0; }

std::atomic<bool>& fused_flag() {
  static std::atomic<bool> on{[] {
    const char* flag = std::getenv("ALBERT_CPU_FUSED");
    return !(flag && std::strcmp(flag, "0") == 0) && avx512_clone();
  }()};
  return on;
}

}  // namespace

bool cpu_fused_ops_enabled() { return fused_flag().load(std::memory_order_relaxed); }

void set_cpu_fused_ops_enabled(bool on) { fused_flag().store(on && avx512_clone(), std::memory_order_relaxed); }

const char* vector_path() {
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
  // The features of GCC's x86-64-v4 level, which its target_clones resolver tests first.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd")) {
    return "avx512";
  }
  if (__builtin_cpu_supports("avx2")) return "avx2";
#endif
  return "default";
}

}  // namespace albert::kernels
