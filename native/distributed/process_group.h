// A data-parallel process group on libtorch's c10d: the TCPStore rendezvous (rank 0 hosts it at
// MASTER_ADDR:MASTER_PORT), a handshake that checks every rank agrees on the job, and the
// collective backend (Gloo for CPU tensors). Nothing here knows about models: GradientSync
// (gradient_sync.h) builds on it.
#pragma once

#include <ATen/ATen.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace c10d {
class ProcessGroup;
class Store;
}  // namespace c10d

namespace albert {

enum class DistBackend { kGloo, kNccl };

struct ProcessGroupOptions {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  // Limit for the rendezvous and for every collective (a dead or hung peer surfaces as an error
  // after this long). HF TrainingArguments.ddp_timeout is 1800 s.
  std::chrono::milliseconds timeout{1800 * 1000};
  DistBackend backend = DistBackend::kGloo;
  // What must be equal on every rank (training arguments, data size): compared by the handshake.
  std::string fingerprint;
};

class DistributedGroup {
 public:
  // Blocks until every rank has joined and agreed, or throws ERR_DISTRIBUTED naming what is
  // wrong (unreachable server, missing ranks, mismatched world sizes or arguments, a rank
  // started twice) after at most `timeout`.
  explicit DistributedGroup(const ProcessGroupOptions& options);
  ~DistributedGroup();
  DistributedGroup(const DistributedGroup&) = delete;
  DistributedGroup& operator=(const DistributedGroup&) = delete;

  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }
  const ProcessGroupOptions& options() const { return options_; }
  const c10::intrusive_ptr<c10d::ProcessGroup>& process_group() const;

  // In place, on every rank; `max` else sum.
  void allreduce_(at::Tensor& tensor, bool max = false);
  // Every tensor gets rank 0's values.
  void broadcast_from_rank0_(std::vector<at::Tensor>& tensors);
  // Every rank's bytes, in rank order (lengths may differ).
  std::vector<std::vector<uint8_t>> allgather(const std::vector<uint8_t>& bytes);
  void barrier();

  // Rewraps a c10d failure during a collective as ERR_DISTRIBUTED naming this rank and `what`.
  [[noreturn]] void fail_collective(const std::string& what, const std::exception& cause) const;

 private:
  ProcessGroupOptions options_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroup> group_;
};

}  // namespace albert
