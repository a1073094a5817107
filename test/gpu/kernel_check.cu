// On a GPU machine: the hand-written CUDA kernels (native/kernels/cuda) against a
// double-precision reference on the host. For each kernel, dtype and shape: random inputs
// rounded to the dtype, the kernel on the device, the same math in double on the host from
// the same rounded inputs, and the worst error of every output. Standalone (nvcc, no
// torch); from the repository root, as one command:
//   nvcc -std=c++17 -O2 -gencode arch=compute_90,code=sm_90 -Inative -o kernel_check
//     native/kernels/cuda/*.cu test/gpu/kernel_check.cu && ./kernel_check
// (test/gpu/run.sh does this; `npm run check:cuda` only compiles and links it).
// Prints one line per output; exits 1 when one is outside its tolerance or a call fails.
//
// Error: rel = max |got - ref| / max |ref| over a whole output (core_check.js's relDiff);
// a non-finite value fails. Every output is fp32 arithmetic rounded once to its type at
// the end, and the reference starts from the very same inputs, so the bound is that one
// rounding, at most the unit roundoff u of the output's type, plus fp32's own error:
//   fp32 outputs (all y, dx, dsum in fp32; mean, rstd, dgamma, dbeta for every dtype): 1e-5,
//     ~170 u(fp32): tanhf and rsqrtf are a few ulp, and sums over up to 4096 terms add
//     a few more; a wrong formula is off by far more (a missing term is O(1e-1)).
//   fp16 outputs: 2e-3 = 4 u(fp16) (u = 2^-11 = 4.9e-4).
//   bf16 outputs: 1.6e-2 = 4 u(bf16) (u = 2^-8 = 3.9e-3).
// dbias sums the T-rounded dx (kernels.h), so it takes T's tolerance: the reference sums
// its own dx rounded to T, and where the kernel's fp32 dx lands on the other side of a
// rounding boundary one addend differs by an ulp of T.
#include "kernels/cuda/kernels.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace cuda = albert::cuda;

namespace {

// ---- dtypes ---------------------------------------------------------------------------------

template <typename T>
struct Dtype;
template <>
struct Dtype<float> {
  static constexpr const char* kName = "fp32";
  static constexpr double kTolerance = 1e-5;
  static float round(float v) { return v; }
  static double value(float v) { return v; }
};
template <>
struct Dtype<__half> {
  static constexpr const char* kName = "fp16";
  static constexpr double kTolerance = 2e-3;
  static __half round(float v) { return __float2half_rn(v); }
  static double value(__half v) { return __half2float(v); }
};
template <>
struct Dtype<__nv_bfloat16> {
  static constexpr const char* kName = "bf16";
  static constexpr double kTolerance = 1.6e-2;
  static __nv_bfloat16 round(float v) { return __float2bfloat16_rn(v); }
  static double value(__nv_bfloat16 v) { return __bfloat162float(v); }
};
constexpr double kFp32Tolerance = Dtype<float>::kTolerance;

// ---- device memory ----------------------------------------------------------------------------

void check_cuda(cudaError_t error, const std::string& what) {
  if (error == cudaSuccess) return;
  std::fprintf(stderr, "kernel_check: %s: %s (%s)\n", what.c_str(), cudaGetErrorString(error),
               cudaGetErrorName(error));
  std::exit(1);
}

// n values of T on the device, filled with NaN (all bits set) so that an output the kernel
// never writes fails the check.
template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t n) : n_(n) {
    check_cuda(cudaMalloc(&data_, (n ? n : 1) * sizeof(T)), "cudaMalloc");
    check_cuda(cudaMemset(data_, 0xff, (n ? n : 1) * sizeof(T)), "cudaMemset");
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) {
    check_cuda(cudaMemcpy(data_, host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy to device");
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() { cudaFree(data_); }

  T* get() const { return data_; }

  std::vector<double> download() const {
    std::vector<T> host(n_);
    check_cuda(cudaMemcpy(host.data(), data_, n_ * sizeof(T), cudaMemcpyDeviceToHost), "cudaMemcpy to host");
    std::vector<double> out(n_);
    for (std::size_t i = 0; i < n_; ++i) out[i] = Dtype<T>::value(host[i]);
    return out;
  }

 private:
  T* data_ = nullptr;
  std::size_t n_;
};

// A kernel call: its launch error, then any fault while it ran.
void finish(cudaError_t launch, const std::string& what) {
  check_cuda(launch, what + " (launch)");
  check_cuda(cudaDeviceSynchronize(), what + " (run)");
}

// ---- inputs -------------------------------------------------------------------------------------

std::mt19937 rng(42);

std::vector<float> normal(std::size_t n, float mean, float sd) {
  std::normal_distribution<float> dist(mean, sd);
  std::vector<float> out(n);
  for (float& v : out) v = dist(rng);
  return out;
}

// n normal values rounded to T: `rounded` for the device, `exact` (the same values) for the host.
template <typename T>
struct Input {
  std::vector<T> rounded;
  std::vector<double> exact;
};

template <typename T>
Input<T> normal_input(std::size_t n, float mean, float sd) {
  Input<T> in;
  for (float v : normal(n, mean, sd)) {
    in.rounded.push_back(Dtype<T>::round(v));
    in.exact.push_back(Dtype<T>::value(in.rounded.back()));
  }
  return in;
}

// ---- comparison ---------------------------------------------------------------------------------

int checks = 0;
int failures = 0;

void compare(const std::string& kernel, const char* dtype, int N, int C, const char* output,
             const std::vector<double>& got, const std::vector<double>& ref, double tolerance) {
  double max_abs = 0.0, scale = 0.0;
  std::size_t nonfinite = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    if (!std::isfinite(got[i])) {
      ++nonfinite;
      continue;
    }
    max_abs = std::fmax(max_abs, std::fabs(got[i] - ref[i]));
    scale = std::fmax(scale, std::fabs(ref[i]));
  }
  const double rel = max_abs / std::fmax(scale, 1e-30);
  const bool ok = nonfinite == 0 && rel <= tolerance;
  ++checks;
  if (!ok) ++failures;
  std::printf("%-28s %-4s N=%-4d C=%-4d %-6s max abs %.2e  rel %.2e  tol %.1e  %s", kernel.c_str(), dtype, N, C, output,
              max_abs, rel, tolerance, ok ? "ok" : "FAIL");
  if (nonfinite) std::printf(" (%zu non-finite)", nonfinite);
  std::printf("\n");
}

// ---- bias + gelu_new ------------------------------------------------------------------------------

constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kCubic = 0.044715;

double gelu_new(double u) { return 0.5 * u * (1.0 + std::tanh(kSqrt2OverPi * (u + kCubic * u * u * u))); }

double gelu_new_grad(double u) {
  const double t = std::tanh(kSqrt2OverPi * (u + kCubic * u * u * u));
  return 0.5 * (1.0 + t) + 0.5 * u * (1.0 - t * t) * kSqrt2OverPi * (1.0 + 3.0 * kCubic * u * u);
}

template <typename T>
void check_bias_gelu(int N, int C) {
  const char* dtype = Dtype<T>::kName;
  const double tol = Dtype<T>::kTolerance;
  const std::size_t count = std::size_t(N) * C;
  const Input<T> x = normal_input<T>(count, 0.f, 2.f);  // (N, C): wide enough to reach both tails
  const Input<T> dy = normal_input<T>(count, 0.f, 1.f);  // (N, C)
  const std::vector<float> bias = normal(C, 0.f, 0.5f);  // (C)

  DeviceBuffer<T> d_x(x.rounded), d_dy(dy.rounded), d_y(count), d_dx(count);
  DeviceBuffer<float> d_bias(bias), d_dbias(C);

  finish(cuda::bias_gelu_forward<T>(d_y.get(), d_x.get(), d_bias.get(), N, C, nullptr), "bias_gelu_forward");
  finish(cuda::bias_gelu_backward<T>(d_dx.get(), d_dbias.get(), d_dy.get(), d_x.get(), d_bias.get(), N, C, nullptr),
         "bias_gelu_backward");

  std::vector<double> y(count), dx(count), dbias(C, 0.0);
  for (std::size_t i = 0; i < count; ++i) {
    const double u = x.exact[i] + bias[i % C];
    y[i] = gelu_new(u);
    dx[i] = dy.exact[i] * gelu_new_grad(u);
    dbias[i % C] += Dtype<T>::value(Dtype<T>::round(static_cast<float>(dx[i])));  // sums T-rounded dx
  }
  compare("bias_gelu_forward", dtype, N, C, "y", d_y.download(), y, tol);
  compare("bias_gelu_backward", dtype, N, C, "dx", d_dx.download(), dx, tol);
  compare("bias_gelu_backward", dtype, N, C, "dbias", d_dbias.download(), dbias, tol);
}

// ---- residual add + LayerNorm ------------------------------------------------------------------------

constexpr float kEps = 1e-12f;  // ALBERT's layer_norm_eps

template <typename T>
void check_residual_layernorm(int N, int C) {
  const char* dtype = Dtype<T>::kName;
  const double tol = Dtype<T>::kTolerance;
  const std::size_t count = std::size_t(N) * C;
  const Input<T> x = normal_input<T>(count, 0.f, 1.f);         // (N, C)
  const Input<T> residual = normal_input<T>(count, 0.5f, 1.f);  // (N, C): rows with a mean to remove
  const Input<T> dy = normal_input<T>(count, 0.f, 1.f);         // (N, C)
  const std::vector<float> gamma = normal(C, 1.f, 0.2f);        // (C)
  const std::vector<float> beta = normal(C, 0.f, 0.2f);         // (C)

  DeviceBuffer<T> d_x(x.rounded), d_residual(residual.rounded), d_dy(dy.rounded), d_y(count), d_dsum(count);
  DeviceBuffer<float> d_gamma(gamma), d_beta(beta), d_mean(N), d_rstd(N), d_dgamma(C), d_dbeta(C);

  finish(cuda::residual_layernorm_forward<T>(d_y.get(), d_mean.get(), d_rstd.get(), d_x.get(), d_residual.get(),
                                             d_gamma.get(), d_beta.get(), kEps, N, C, nullptr),
         "residual_layernorm_forward");
  finish(cuda::residual_layernorm_backward<T>(d_dsum.get(), d_dgamma.get(), d_dbeta.get(), d_dy.get(), d_x.get(),
                                              d_residual.get(), d_mean.get(), d_rstd.get(), d_gamma.get(), N, C,
                                              nullptr),
         "residual_layernorm_backward");

  std::vector<double> y(count), dsum(count), mean(N), rstd(N), dgamma(C, 0.0), dbeta(C, 0.0);
  std::vector<double> xhat(C), g(C);
  for (int n = 0; n < N; ++n) {
    const std::size_t row = std::size_t(n) * C;
    double sum = 0.0;
    for (int c = 0; c < C; ++c) sum += x.exact[row + c] + residual.exact[row + c];
    const double m = sum / C;
    double squares = 0.0;
    for (int c = 0; c < C; ++c) {
      const double d = x.exact[row + c] + residual.exact[row + c] - m;
      squares += d * d;
    }
    const double rs = 1.0 / std::sqrt(squares / C + double(kEps));
    mean[n] = m;
    rstd[n] = rs;
    double mean_g = 0.0, mean_g_xhat = 0.0;
    for (int c = 0; c < C; ++c) {
      xhat[c] = (x.exact[row + c] + residual.exact[row + c] - m) * rs;
      y[row + c] = xhat[c] * gamma[c] + beta[c];
      g[c] = dy.exact[row + c] * gamma[c];
      mean_g += g[c] / C;
      mean_g_xhat += g[c] * xhat[c] / C;
      dgamma[c] += dy.exact[row + c] * xhat[c];
      dbeta[c] += dy.exact[row + c];
    }
    for (int c = 0; c < C; ++c) dsum[row + c] = rs * (g[c] - mean_g - xhat[c] * mean_g_xhat);
  }
  compare("residual_layernorm_forward", dtype, N, C, "y", d_y.download(), y, tol);
  compare("residual_layernorm_forward", dtype, N, C, "mean", d_mean.download(), mean, kFp32Tolerance);
  compare("residual_layernorm_forward", dtype, N, C, "rstd", d_rstd.download(), rstd, kFp32Tolerance);
  compare("residual_layernorm_backward", dtype, N, C, "dsum", d_dsum.download(), dsum, tol);
  compare("residual_layernorm_backward", dtype, N, C, "dgamma", d_dgamma.download(), dgamma, kFp32Tolerance);
  compare("residual_layernorm_backward", dtype, N, C, "dbeta", d_dbeta.download(), dbeta, kFp32Tolerance);
}

// ---- sizes the launchers refuse ---------------------------------------------------------------------

void check_refusals() {
  const bool gelu = cuda::bias_gelu_forward<float>(nullptr, nullptr, nullptr, 4, 0, nullptr) == cudaErrorInvalidValue;
  const bool layernorm =
      cuda::residual_layernorm_forward<float>(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, kEps, 4,
                                              cuda::kLayerNormMaxC + 1, nullptr) == cudaErrorInvalidValue;
  checks += 2;
  failures += !gelu + !layernorm;
  std::printf("refusals: bias_gelu_forward C=0 %s; residual_layernorm_forward C=%d %s\n", gelu ? "ok" : "FAIL",
              cuda::kLayerNormMaxC + 1, layernorm ? "ok" : "FAIL");
}

template <typename T>
void check_dtype() {
  // bias_gelu: ALBERT-large's FFN at batch 16 x 34 tokens (packed loads); C % 8 == 4 (packed
  // for fp32, one element at a time for 16-bit types); C odd (one at a time for all).
  check_bias_gelu<T>(544, 4096);
  check_bias_gelu<T>(37, 1004);
  check_bias_gelu<T>(5, 33);
  // LayerNorm: ALBERT-large's hidden size; xxlarge's (the largest C taken, 1024 threads);
  // C not a multiple of 32.
  check_residual_layernorm<T>(544, 1024);
  check_residual_layernorm<T>(16, cuda::kLayerNormMaxC);
  check_residual_layernorm<T>(7, 100);
}

}  // namespace

int main() {
  int devices = 0;
  check_cuda(cudaGetDeviceCount(&devices), "cudaGetDeviceCount");
  if (devices == 0) {
    std::fprintf(stderr, "kernel_check: no CUDA device\n");
    return 1;
  }
  cudaDeviceProp prop{};
  check_cuda(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  std::printf("kernel_check on %s (sm_%d%d)\n", prop.name, prop.major, prop.minor);

  check_refusals();
  check_dtype<float>();
  check_dtype<__half>();
  check_dtype<__nv_bfloat16>();

  std::printf("kernel_check: %d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
