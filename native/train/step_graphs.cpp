#include "train/step_graphs.h"

#include "common/error.h"

#include <map>
#include <string>
#include <tuple>

#if ALBERT_WITH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace albert {

#if ALBERT_WITH_CUDA

namespace {

// One bucket: its static inputs, the graph that reads them and the results it writes.
struct BucketGraph {
  int64_t batches_seen = 0;
  Batch inputs;                                  // (B, T) device tensors the graph reads
  Batch staging;                                 // the same shapes in pinned host memory
  std::unique_ptr<at::cuda::CUDAGraph> graph;    // null until captured
  at::Tensor results;                            // fp32, written by each replay: (4) training, (1 + B * L) evaluation
};

Batch pinned_like(const Batch& host) {
  auto pinned = [](const at::Tensor& t) { return t.defined() ? at::empty_like(t, t.options().pinned_memory(true)) : t; };
  return Batch{pinned(host.input_ids), pinned(host.attention_mask), pinned(host.token_type_ids), pinned(host.labels)};
}

// The host batch into the graph's inputs: a memcpy into pinned memory, then an asynchronous
// upload on the side stream (the staging buffers are rewritten only after the step has
// finished, when run() has synchronized).
void upload(BucketGraph& bucket, const Batch& host) {
  auto copy = [](at::Tensor& device, at::Tensor& staging, const at::Tensor& from) {
    if (!from.defined()) return;
    staging.copy_(from);
    device.copy_(staging, /*non_blocking=*/true);
  };
  copy(bucket.inputs.input_ids, bucket.staging.input_ids, host.input_ids);
  copy(bucket.inputs.attention_mask, bucket.staging.attention_mask, host.attention_mask);
  copy(bucket.inputs.token_type_ids, bucket.staging.token_type_ids, host.token_type_ids);
  copy(bucket.inputs.labels, bucket.staging.labels, host.labels);
}

}  // namespace

struct StepGraphs::Impl {
  at::Device device;
  c10::cuda::CUDAStream stream;
  c10::MempoolId_t pool;                                                     // shared by every graph
  std::map<std::tuple<GraphedStep, int64_t, int64_t>, BucketGraph> buckets;  // by (kind, B, T)
  int64_t captured = 0;
};

StepGraphs::StepGraphs(at::Device device) {
  if (!device.is_cuda()) fail(codes::kDevice, "CUDA graphs need the model on a CUDA device");
  impl_.reset(new Impl{device, c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device.index()),
                       at::cuda::graph_pool_handle(), {}, 0});
}

StepGraphs::~StepGraphs() = default;

int64_t StepGraphs::graphs_captured() const { return impl_->captured; }

at::Tensor StepGraphs::run(GraphedStep kind, const Batch& host, const Body& body) {
  Impl& impl = *impl_;
  BucketGraph& bucket = impl.buckets[{kind, host.batch_size(), host.input_ids.size(1)}];
  ++bucket.batches_seen;
  // The side stream starts after what the caller queued (weights loaded, the lr set). The GPU
  // is idle here (the last step's results were read), so a host wait costs nothing.
  c10::cuda::getCurrentCUDAStream(impl.device.index()).synchronize();
  at::Tensor results;
  {
    c10::cuda::CUDAStreamGuard on_side_stream(impl.stream);
    if (bucket.graph) {
      upload(bucket, host);
      bucket.graph->replay();
      results = bucket.results;
    } else if (bucket.batches_seen < 2 || impl.captured >= kMaxStepGraphs) {
      results = body(host.to(impl.device));  // the warm-up (or a shape past the graph budget)
    } else {
      bucket.inputs = host.to(impl.device);
      bucket.staging = pinned_like(host);
      impl.stream.synchronize();  // nothing of the warm-up may still be in flight
      auto graph = std::make_unique<at::cuda::CUDAGraph>();
      try {
        graph->capture_begin(impl.pool);
        try {
          bucket.results = body(bucket.inputs);
        } catch (...) {
          try {
            graph->capture_end();
          } catch (...) {
          }
          throw;
        }
        graph->capture_end();
      } catch (const std::exception& error) {
        bucket.inputs = bucket.staging = Batch{};
        const std::string step = kind == GraphedStep::kTrain ? "training" : "evaluation";
        fail(codes::kDevice, "capturing the " + step + " step for batches of " + std::to_string(host.batch_size()) + " x " +
                                 std::to_string(host.input_ids.size(1)) + " tokens as a CUDA graph failed (" +
                                 error.what() + "); train with CUDA graphs off (--no-cuda-graphs, or cudaGraphs: false)");
      }
      graph->replay();  // the capture only recorded this step's work
      bucket.graph = std::move(graph);
      results = bucket.results;
      ++impl.captured;
    }
  }
  impl.stream.synchronize();  // the step's results are read next, on the caller's stream
  return results;
}

#else  // a libtorch without CUDA

struct StepGraphs::Impl {};

StepGraphs::StepGraphs(at::Device device) {
  fail(codes::kDevice, "CUDA graphs need an addon built against a CUDA libtorch; this one has none");
}

StepGraphs::~StepGraphs() = default;

int64_t StepGraphs::graphs_captured() const { return 0; }

at::Tensor StepGraphs::run(GraphedStep kind, const Batch& host_batch, const Body& body) {
  fail(codes::kDevice, "CUDA graphs need an addon built against a CUDA libtorch");
}

#endif

}  // namespace albert
