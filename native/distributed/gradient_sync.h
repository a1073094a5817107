// Gradients averaged across a DistributedGroup while backward runs: libtorch's own DDP reducer
// (c10d::Reducer) over the model's parameters, in buckets of about 25 MB filled in reverse
// parameter order (the order backward produces them), each bucket's all-reduce launched as soon
// as its last gradient is ready, so communication overlaps the rest of backward. The buckets
// are rebuilt once, after the first backward, in the order gradients actually arrived (DDP's
// rebuild_buckets).
#pragma once

#include "distributed/process_group.h"

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace c10d {
class Reducer;
}

namespace albert {

class GradientSync {
 public:
  // The first bucket is capped at 1 MB so the first all-reduce starts early (DDP's defaults).
  static constexpr int64_t kBucketBytes = 25 << 20;
  static constexpr int64_t kFirstBucketBytes = 1 << 20;

  GradientSync(std::shared_ptr<DistributedGroup> group, const std::vector<std::pair<std::string, at::Tensor>>& named_parameters);
  ~GradientSync();
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  DistributedGroup& group() { return *group_; }
  // Rank 0's parameter values to every rank (DDP does this when it wraps a module).
  void broadcast_parameters();
  // Arms the reducer for the next backward: its gradients come out averaged over the ranks.
  void prepare_for_backward();
  // Runs `backward`, turning a failed all-reduce inside it into ERR_DISTRIBUTED.
  template <typename Backward>
  void backward(Backward&& run) {
    try {
      run();
    } catch (const std::exception& error) {
      group_->fail_collective("the gradient all-reduce", error);
    }
  }
  // The mean over ranks of this rank's `loss`, and whether any rank asked to stop: one
  // all-reduce of two numbers.
  std::pair<double, bool> average_loss(double loss, bool stop_requested);

 private:
  std::shared_ptr<DistributedGroup> group_;
  std::vector<at::Tensor> parameters_;
  std::unique_ptr<c10d::Reducer> reducer_;
};

}  // namespace albert
