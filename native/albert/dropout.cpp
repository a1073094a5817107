#include "albert/dropout.h"

#include "kernels/cpu/dropout.h"

#include <ATen/CPUGeneratorImpl.h>

#include <mutex>

namespace albert {

uint64_t dropout_seed() {
  auto* generator = at::check_generator<at::CPUGeneratorImpl>(at::detail::getDefaultCPUGenerator());
  std::lock_guard<std::mutex> lock(generator->mutex_);
  return generator->random64();
}

at::Tensor dropout(const at::Tensor& x, double p, bool train) {
  if (!train || p == 0.0) return x;
  if (!x.device().is_cpu()) return at::dropout(x, p, train);  // CUDA keeps aten's (Philox) dropout
  return kernels::fast_dropout(x, p, dropout_seed());
}

}  // namespace albert
