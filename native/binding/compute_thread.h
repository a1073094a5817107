// One process-wide thread that runs every asynchronous libtorch call, in the order queued.
// libuv's pool hands consecutive calls to different threads; libtorch's OpenMP pool is per
// calling thread, so each pool thread grew its own team of OpenMP threads that spin after a
// step while the next step runs elsewhere, on a 2-core machine fighting it for the cores
// (measured: benchmarks/results/native-design-measurements-2026-11.md). The libuv worker now
// only waits for this thread.
#pragma once

#include <functional>

namespace albert::binding {

// Runs `work` on the compute thread and returns when it is done; `work` must not throw (catch
// inside it: exceptions are captured where they happen).
void run_on_compute_thread(const std::function<void()>& work);

}  // namespace albert::binding
