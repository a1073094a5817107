// Host memory between steps. A training step frees and allocates the same large buffers every
// time (the word-embedding gradient alone is V x E fp32). glibc serves such blocks with mmap
// and returns them to the kernel on free, so each step page-faults them in again (what that
// cost: benchmarks/results/native-design-measurements-2026-11.md, measured with
// benchmarks/profile/profile_step.cpp). Keeping blocks up to 32 MB on the heap and not
// trimming it makes the next step reuse mapped pages.
#pragma once

namespace albert {

// Sets glibc's M_MMAP_THRESHOLD (32 MB, its maximum) and M_TRIM_THRESHOLD once per process,
// unless the user set either through MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ or
// GLIBC_TUNABLES, or ALBERT_TRAINER_MALLOC_TUNING=0. Returns whether it changed anything; a
// no-op on other C libraries. The cost: memory freed by a step stays in the process (RSS stays
// at its peak), as it would in any caching allocator.
bool keep_freed_host_memory_mapped();

}  // namespace albert
