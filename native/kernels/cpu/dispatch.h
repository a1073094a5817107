// Which of the hand-written CPU kernels run, and which instruction set their loops use.
// The hot loops are compiled for AVX-512, AVX2 and the baseline (ALBERT_VECTOR_CLONES in
// vector_math.h); the loader picks one per CPU, and vector_path() names the one it picked.
#pragma once

namespace albert::kernels {

// True when the AVX-512 clone runs and ALBERT_CPU_FUSED is not 0 (read once): the model's CPU
// path then takes the fused bias + gelu_new and residual + LayerNorm kernels. Otherwise it runs
// aten's ops, as before these kernels: on AVX2 their loops would not vectorize, and
// ALBERT_CPU_FUSED=0 is there for A/B measurements.
bool cpu_fused_ops_enabled();
// Turns them on or off from here on (on only where the AVX-512 clone runs): for A/B timing in
// one process (benchmarks/profile/profile_step.cpp). Not meant to change during a step.
void set_cpu_fused_ops_enabled(bool on);

// "avx512", "avx2" or "default": the clone of the ALBERT_VECTOR_CLONES loops this CPU runs.
const char* vector_path();

}  // namespace albert::kernels
