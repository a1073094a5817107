#include "runtime/host_allocator.h"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace albert {

bool keep_freed_host_memory_mapped() {
#if defined(__GLIBC__)
  static const bool applied = [] {
    const char* opt_out = std::getenv("ALBERT_TRAINER_MALLOC_TUNING");
    if (opt_out != nullptr && std::strcmp(opt_out, "0") == 0) return false;
    for (const char* user : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"}) {
      if (std::getenv(user) != nullptr) return false;  // the user's choice wins
    }
    // Setting either disables glibc's dynamic threshold; both are needed (the trim threshold
    // alone leaves the mmap threshold at 128 KB and makes every large block an mmap).
    const bool mmap_set = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1;
    const bool trim_set = mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024) == 1;
    return mmap_set && trim_set;
  }();
  return applied;
#else
  return false;
#endif
}

}  // namespace albert
