// Scalar helpers written so that GCC vectorizes the loops that call them (no libm calls, no
// branches): bf16 <-> float by bit shifts and an exp by range reduction and a polynomial.
// ALBERT_VECTOR_CLONES compiles a hot loop for AVX-512 (x86-64-v4: F, BW, DQ, VL, CD), AVX2 and
// the baseline and picks one at load time (GCC's target_clones). The bf16 loops and the fused
// kernels' loops vectorize only in the AVX-512 clone (GCC 12 leaves the 16-bit lanes and the
// clamped exp scalar under AVX2), so the model takes those kernels only where
// kernels::vector_path() (dispatch.h) says the AVX-512 clone runs.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <cstring>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define ALBERT_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define ALBERT_VECTOR_CLONES
#endif

// For the helpers the clones call: GCC inlines a function into a clone of another arch only when
// it is always_inline, and a helper left as a call keeps the loop scalar.
#if defined(__GNUC__)
#define ALBERT_VECTOR_INLINE inline __attribute__((always_inline))
#else
#define ALBERT_VECTOR_INLINE inline
#endif

namespace albert::kernels {

ALBERT_VECTOR_INLINE float bf16_bits_to_float(uint16_t bf16) {
  const uint32_t bits = static_cast<uint32_t>(bf16) << 16;
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

// Round to nearest even; NaN stays NaN (quiet).
ALBERT_VECTOR_INLINE uint16_t float_to_bf16_bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  // A mask rather than a branch, so that loops with more work in them still vectorize.
  const uint32_t nan_mask = 0U - static_cast<uint32_t>((bits & 0x7fffffffU) > 0x7f800000U);  // all ones for NaN
  const uint32_t rounded = (bits + 0x7fffU + ((bits >> 16) & 1U)) >> 16;
  const uint32_t quiet = (bits >> 16) | 0x40U;
  return static_cast<uint16_t>((quiet & nan_mask) | (rounded & ~nan_mask));
}

// e^x for float32, within ~2 ulp on [-87, 88]; x is clamped to that range (so e^-inf gives
// e^-87 ~ 1.6e-38 and e^+inf 1.7e38), NaN gives NaN.
ALBERT_VECTOR_INLINE float exp_approx(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  // e^x = 2^n e^r, n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2] (ln 2 in two parts)
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round to nearest (|n| < 2^22)
  float r = x - n * 0.693145751953125f;
  r = r - n * 1.42860682030941723212e-6f;
  // Taylor to r^7: the truncation error is below r^8/8! < 6e-9 relative.
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const uint32_t scale_bits = static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23;  // 2^n, n in [-126, 127]
  float scale;
  std::memcpy(&scale, &scale_bits, sizeof(scale));
  return p * scale;
}

// Loads and stores of one value as float32: float32 passes through, bf16 (its bits) is widened
// or rounded to nearest even. Overloads, so a row loop template serves both dtypes.
ALBERT_VECTOR_INLINE float widen(float v) { return v; }
ALBERT_VECTOR_INLINE float widen(uint16_t v) { return bf16_bits_to_float(v); }
ALBERT_VECTOR_INLINE void narrow(float v, float* out) { *out = v; }
ALBERT_VECTOR_INLINE void narrow(float v, uint16_t* out) { *out = float_to_bf16_bits(v); }

// Reductions run over this many float32 partial results (one AVX-512 register): a plain running
// sum or max is a serial dependence GCC leaves scalar without -ffast-math.
constexpr int64_t kLanes = 16;

// Sum of values[0, count): kLanes partial sums, then the tail.
ALBERT_VECTOR_INLINE float lane_sum(const float* __restrict values, int64_t count) {
  float lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    for (int64_t l = 0; l < kLanes; ++l) lanes[l] += values[i + l];
  }
  float total = 0.0f;
  for (int64_t l = 0; l < kLanes; ++l) total += lanes[l];
  for (; i < count; ++i) total += values[i];
  return total;
}

// A bf16 tensor's storage as the uint16_t bits the loops above read and write.
inline const uint16_t* bf16_bits(const at::Tensor& t) { return reinterpret_cast<const uint16_t*>(t.const_data_ptr<at::BFloat16>()); }
inline uint16_t* mutable_bf16_bits(at::Tensor& t) { return reinterpret_cast<uint16_t*>(t.mutable_data_ptr<at::BFloat16>()); }

}  // namespace albert::kernels
