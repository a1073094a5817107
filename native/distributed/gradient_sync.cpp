#include "distributed/gradient_sync.h"

#include "common/error.h"

#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>

#include <algorithm>
#include <unordered_map>

namespace albert {

GradientSync::GradientSync(std::shared_ptr<DistributedGroup> group, const std::vector<std::pair<std::string, at::Tensor>>& named_parameters)
    : group_(std::move(group)) {
  std::unordered_map<size_t, std::string> names;
  for (const auto& [name, parameter] : named_parameters) {
    if (!parameter.requires_grad()) continue;
    names.emplace(parameters_.size(), name);
    parameters_.push_back(parameter);
  }
  if (parameters_.empty()) fail(codes::kArgument, "GradientSync: the model has no trainable parameters");
  const std::vector<bool> sparse(parameters_.size(), false);
  // As torch/nn/parallel/distributed.py: buckets by size over the parameters, then reversed so
  // that the first bucket holds the last parameters, whose gradients backward produces first.
  auto [buckets, limits] = c10d::compute_bucket_assignment_by_size(
      parameters_, {static_cast<size_t>(kFirstBucketBytes), static_cast<size_t>(kBucketBytes)}, sparse, {}, std::nullopt);
  std::reverse(buckets.begin(), buckets.end());
  std::reverse(limits.begin(), limits.end());
  const std::vector<int64_t> bucket_limits(limits.begin(), limits.end());
  reducer_ = std::make_unique<c10d::Reducer>(parameters_, buckets, group_->process_group(), sparse, kBucketBytes,
                                             /*find_unused_parameters=*/false, /*gradient_as_bucket_view=*/false, names,
                                             kFirstBucketBytes, /*skip_all_reduce_unused_params=*/false,
                                             /*use_python_reducer=*/false, bucket_limits);
}

GradientSync::~GradientSync() = default;

void GradientSync::broadcast_parameters() {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> values;
  for (const at::Tensor& parameter : parameters_) values.push_back(parameter.detach());
  group_->broadcast_from_rank0_(values);
}

void GradientSync::prepare_for_backward() {
  try {
    reducer_->rebuild_buckets();  // a no-op after the first step's rebuild
    reducer_->prepare_for_backward({});
  } catch (const std::exception& error) {
    group_->fail_collective("the gradient buckets' set-up", error);
  }
}

std::pair<double, bool> GradientSync::average_loss(double loss, bool stop_requested) {
  at::Tensor values = at::tensor({loss, stop_requested ? 1.0 : 0.0}, at::kDouble);  // (2)
  group_->allreduce_(values);
  const double* sum = values.data_ptr<double>();
  return {sum[0] / group_->world_size(), sum[1] > 0};
}

}  // namespace albert
