// Column sums that at::parallel_for's tasks add into: one row of `width` float32 per worker
// thread (tasks running at the same time never share a row), added up once after the loop.
// For the gradients of a bias or a LayerNorm weight, which sum over every row of the input.
#pragma once

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <vector>

namespace albert::kernels {

class ThreadColumnSums {
 public:
  explicit ThreadColumnSums(int64_t width)
      : width_(width), sums_(static_cast<size_t>(at::get_num_threads() * width), 0.0f) {}

  // The calling worker thread's row; call it inside a parallel_for task.
  float* mine() { return sums_.data() + at::get_thread_num() * width_; }

  // (width) float32: every thread's row added up.
  at::Tensor total() const {
    at::Tensor out = at::zeros({width_}, at::kFloat);  // (width)
    float* sum = out.mutable_data_ptr<float>();
    for (size_t row = 0; row < sums_.size(); row += static_cast<size_t>(width_)) {
      for (int64_t c = 0; c < width_; ++c) sum[c] += sums_[row + static_cast<size_t>(c)];
    }
    return out;
  }

 private:
  int64_t width_;
  std::vector<float> sums_;  // (threads, width)
};

}  // namespace albert::kernels
