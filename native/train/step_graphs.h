// CUDA graphs of the whole training step (forward, backward, unscale, clip, AdamW, loss-scale
// update), one per (batch size, padded length) bucket, and of the evaluation step (forward and
// loss, no autograd) the same way. A small model's step on a GPU is
// mostly kernel launches (albert-large: some 1,500 per step, counted from the ops per layer);
// a replayed graph launches them all with one call and no CPU work in between. On an H100,
// albert-large fp16 at SUBJ lengths: 47-62 ms a step eager at a length seen before, 12 ms
// replayed (README).
//
// How a bucket goes: the first batch of a shape runs eagerly on the graphs' side stream (the
// warm-up capture needs: cuBLAS's workspace for that stream, lazily created kernels); the
// second is captured into a graph, which is then replayed to do that step's work (capture
// only records); every later batch of that shape is copied into the graph's static input
// tensors (through pinned staging buffers, uploaded asynchronously on the side stream) and
// the graph replayed. So every step is a real step and the trajectory is the
// eager one. What a replay must see change lives in device tensors the graph reads: the
// learning rate, the loss scale and its growth tracker, dropout's Philox offsets (the CUDA
// generator is registered with each graph by libtorch).
//
// All graphs allocate from one memory pool (captured on one stream): they never run at once
// and none reads another's output (each keeps its own results tensor alive), which is the
// case pytorch/pytorch#166975 documents as safe in any replay order. Each graph's transient
// activations then reuse the same memory instead of holding their own.
//
// The step body given to run() must not synchronize with the host (no .item(), no nonzero):
// a capture fails on the first such call, and run() then throws ERR_DEVICE naming it.
#pragma once

#include "train/batch.h"

#include <functional>
#include <memory>

namespace albert {

// Graphs kept at most (both kinds); shapes beyond them run eagerly.
constexpr int64_t kMaxStepGraphs = 48;

// Which step a graph replays: buckets of the two kinds are apart even at the same shape.
enum class GraphedStep { kTrain, kEval };

class StepGraphs {
 public:
  // One step on a device batch: returns its results, an fp32 tensor on the device.
  using Body = std::function<at::Tensor(const Batch& device_batch)>;

  // Throws ERR_DEVICE unless `device` is CUDA and this addon was built with CUDA.
  explicit StepGraphs(at::Device device);
  ~StepGraphs();

  // One step on `host_batch` (CPU tensors, already padded by pad_to_length_bucket) as described above.
  // The work runs on the side stream after what the caller's current stream has queued, and
  // has finished when run() returns (the step's results are read right after anyway).
  at::Tensor run(GraphedStep kind, const Batch& host_batch, const Body& body);
  int64_t graphs_captured() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace albert
