#include "distributed/process_group.h"

#include "common/error.h"

// ProcessGroupGloo.hpp is guarded by the macro libtorch's own build defines; its gloo includes
// resolve to native/distributed/gloo_shim (see the README there).
#define USE_C10D_GLOO 1
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <c10/util/Logging.h>

#include <cstdlib>
#include <thread>

namespace albert {

namespace {

constexpr const char* kKeys = "albert/";  // the handshake's keys in the store

// The first line of a c10d message (they carry C++ stack traces below it).
std::string first_line(const std::exception& error) {
  std::string text = error.what();
  const size_t end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

std::string seconds(std::chrono::milliseconds timeout) {
  const double s = static_cast<double>(timeout.count()) / 1000.0;
  char out[32];
  std::snprintf(out, sizeof(out), "%g s", s);
  return out;
}

std::string endpoint(const ProcessGroupOptions& o) { return o.master_addr + ":" + std::to_string(o.master_port); }

std::string as_string(const std::vector<uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }
std::vector<uint8_t> as_bytes(const std::string& text) { return std::vector<uint8_t>(text.begin(), text.end()); }

bool is_loopback(const std::string& addr) {
  return addr == "localhost" || addr == "::1" || addr.rfind("127.", 0) == 0;
}

// The network device Gloo's pairs use: GLOO_SOCKET_IFNAME as in torch.distributed; the loopback
// interface when the job runs on this machine; else the address this host's name resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const ProcessGroupOptions& o) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
    std::string first(ifname);
    first = first.substr(0, first.find(','));
    return c10d::ProcessGroupGloo::createDeviceForInterface(first);
  }
  if (is_loopback(o.master_addr)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

// Whether `key` is in the store, or appears there before `deadline`.
bool appears_by(c10d::Store& store, const std::string& key, std::chrono::steady_clock::time_point deadline) {
  if (store.check({key})) return true;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  try {
    store.wait({key}, left);
    return true;
  } catch (const c10::DistStoreError&) {
    return false;
  }
}

std::string world_mismatch(int rank, const std::string& its_world, const std::string& rank0_world) {
  return "rank " + std::to_string(rank) + " was started with WORLD_SIZE=" + its_world + ", rank 0 with " + rank0_world +
         ": every process of a job needs the same WORLD_SIZE (--nnodes x --nproc-per-node)";
}

void check_options(const ProcessGroupOptions& o) {
  if (o.world_size < 1) fail(codes::kArgument, "WORLD_SIZE must be at least 1, got " + std::to_string(o.world_size));
  if (o.rank < 0 || o.rank >= o.world_size) {
    fail(codes::kArgument, "RANK " + std::to_string(o.rank) + " is outside [0, " + std::to_string(o.world_size) + ") for WORLD_SIZE " +
                               std::to_string(o.world_size));
  }
  if (o.master_port < 1 || o.master_port > 65535) fail(codes::kArgument, "MASTER_PORT must be in [1, 65535], got " + std::to_string(o.master_port));
  if (o.master_addr.empty()) fail(codes::kArgument, "MASTER_ADDR is empty");
  if (o.timeout.count() <= 0) fail(codes::kArgument, "the distributed timeout must be positive");
  if (o.backend == DistBackend::kNccl) {
    fail(codes::kDevice, "the nccl backend needs a CUDA build of libtorch with NCCL; this addon was built against CPU libtorch: use --ddp-backend gloo");
  }
}

}  // namespace

DistributedGroup::DistributedGroup(const ProcessGroupOptions& options) : options_(options) {
  check_options(options_);
  // c10d logs every failed connect and timeout with a C++ stack trace; our errors carry the
  // cause in one line. TORCH_CPP_LOG_LEVEL, when the user sets it, is left to decide.
  if (std::getenv("TORCH_CPP_LOG_LEVEL") == nullptr) FLAGS_caffe2_log_level = 3;  // FATAL only
  const std::string me = "rank " + std::to_string(options_.rank);
  const std::string world = std::to_string(options_.world_size);

  // 1. The store: rank 0 listens, the others connect (retrying until the timeout).
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<std::uint16_t>(options_.master_port);
  store_options.isServer = options_.rank == 0;
  store_options.numWorkers = options_.world_size;
  store_options.waitWorkers = false;  // the handshake below waits, with messages that say who is missing
  store_options.timeout = options_.timeout;
  store_options.useLibUV = false;  // libtorch's bundled libuv would share symbols with Node's own
  try {
    store_ = c10::make_intrusive<c10d::TCPStore>(options_.master_addr, store_options);
  } catch (const std::exception& error) {
    if (options_.rank == 0) {
      fail(codes::kDistributed, me + ": cannot host the rendezvous on " + endpoint(options_) + " (" + first_line(error) +
                                    "); is the port in use? choose another with --master-port (MASTER_PORT)");
    }
    fail(codes::kDistributed, me + ": could not reach the rendezvous at " + endpoint(options_) + " within " + seconds(options_.timeout) +
                                  " (" + first_line(error) + "); rank 0 hosts it: is it running, and are MASTER_ADDR and MASTER_PORT the same for every process?");
  }

  // 2. The handshake: one process per rank, one world size, one set of arguments.
  const std::string keys = kKeys;
  try {
    if (store_->add(keys + "started/" + std::to_string(options_.rank), 1) > 1) {
      fail(codes::kDistributed, me + " was started twice: two processes have RANK=" + std::to_string(options_.rank));
    }
    const std::string joined = world + "\n" + options_.fingerprint;
    if (options_.rank == 0) {
      store_->set(keys + "world", as_bytes(world));
    } else {
      store_->wait({keys + "world"}, options_.timeout);
      const std::string theirs = as_string(store_->get(keys + "world"));
      store_->set(keys + "join/" + std::to_string(options_.rank), as_bytes(joined));
      if (theirs != world) {
        fail(codes::kDistributed, world_mismatch(options_.rank, world, theirs));
      }
    }
    if (options_.rank == 0) {
      std::string verdict = "ok";
      std::vector<int> missing;
      const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
      for (int r = 1; r < options_.world_size && verdict == "ok"; ++r) {
        const std::string key = keys + "join/" + std::to_string(r);
        if (!appears_by(*store_, key, deadline)) {
          missing.push_back(r);
          continue;
        }
        const std::string theirs = as_string(store_->get(key));
        const size_t newline = theirs.find('\n');
        const std::string their_world = theirs.substr(0, newline);
        if (their_world != world) {
          verdict = world_mismatch(r, their_world, world);
        } else if (theirs.substr(newline + 1) != options_.fingerprint) {
          verdict = "rank " + std::to_string(r) + " runs with other training arguments or data than rank 0: every process of a job must run the same command on the same files";
        }
      }
      if (verdict == "ok" && !missing.empty()) {
        std::string list;
        for (int r : missing) list += (list.empty() ? "" : ", ") + std::to_string(r);
        verdict = "only " + std::to_string(options_.world_size - static_cast<int>(missing.size())) + " of " + world +
                  " processes joined the rendezvous at " + endpoint(options_) + " within " + seconds(options_.timeout) + "; missing rank(s) " +
                  list + ": did every node start (--nnodes, --node-rank) with the same MASTER_ADDR and MASTER_PORT?";
      }
      store_->set(keys + "verdict", as_bytes(verdict));
      if (verdict != "ok") {
        // The store lives in this process: give the ranks that joined a moment to read the
        // verdict before it goes away with us, so each says why rather than "connection reset".
        const int64_t joined = options_.world_size - 1 - static_cast<int64_t>(missing.size());
        const auto until = std::chrono::steady_clock::now() + std::min(options_.timeout, std::chrono::milliseconds(5000));
        while (store_->add(keys + "verdict_read", 0) < joined && std::chrono::steady_clock::now() < until) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        fail(codes::kDistributed, verdict);
      }
    } else {
      try {
        store_->wait({keys + "verdict"}, options_.timeout);
      } catch (const c10::DistStoreError&) {
        fail(codes::kDistributed, me + ": rank 0 did not confirm the job within " + seconds(options_.timeout));
      }
      const std::string verdict = as_string(store_->get(keys + "verdict"));
      store_->add(keys + "verdict_read", 1);
      if (verdict != "ok") fail(codes::kDistributed, verdict);
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& error) {
    fail(codes::kDistributed, me + ": the rendezvous at " + endpoint(options_) + " failed (" + first_line(error) +
                                  "); rank 0 probably stopped: see its message");
  }

  // 3. The collective backend over its own corner of the store.
  try {
    auto gloo_options = c10d::ProcessGroupGloo::Options::create(options_.timeout);
    gloo_options->devices.push_back(gloo_device(options_));
    auto backend = c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>("gloo", store_), options_.rank,
                                                               options_.world_size, gloo_options);
    group_ = c10::make_intrusive<c10d::ProcessGroup>(store_, options_.rank, options_.world_size);
    group_->setDefaultBackend(c10d::ProcessGroup::BackendType::GLOO);
    group_->setBackend(c10::DeviceType::CPU, c10d::ProcessGroup::BackendType::GLOO, backend);
  } catch (const std::exception& error) {
    fail(codes::kDistributed, me + ": the Gloo backend could not connect to its peers (" + first_line(error) + ")");
  }
}

DistributedGroup::~DistributedGroup() = default;

const c10::intrusive_ptr<c10d::ProcessGroup>& DistributedGroup::process_group() const { return group_; }

void DistributedGroup::fail_collective(const std::string& what, const std::exception& cause) const {
  fail(codes::kDistributed, "rank " + std::to_string(options_.rank) + ": " + what + " across the " + std::to_string(options_.world_size) +
                                " processes failed (" + first_line(cause) + "); another rank probably stopped or died: see its message");
}

void DistributedGroup::allreduce_(at::Tensor& tensor, bool max) {
  std::vector<at::Tensor> tensors{tensor};
  c10d::AllreduceOptions reduce;
  reduce.reduceOp = max ? c10d::ReduceOp::MAX : c10d::ReduceOp::SUM;
  reduce.timeout = options_.timeout;
  try {
    group_->allreduce(tensors, reduce)->wait();
  } catch (const std::exception& error) {
    fail_collective("an all-reduce", error);
  }
}

void DistributedGroup::broadcast_from_rank0_(std::vector<at::Tensor>& tensors) {
  c10d::BroadcastOptions broadcast;
  broadcast.rootRank = 0;
  broadcast.timeout = options_.timeout;
  try {
    for (at::Tensor& tensor : tensors) {  // Gloo broadcasts one CPU tensor per call
      std::vector<at::Tensor> one{tensor};
      group_->broadcast(one, broadcast)->wait();
    }
  } catch (const std::exception& error) {
    fail_collective("the broadcast of rank 0's weights", error);
  }
}

std::vector<std::vector<uint8_t>> DistributedGroup::allgather(const std::vector<uint8_t>& bytes) {
  const int world = options_.world_size;
  c10d::AllgatherOptions gather;
  gather.timeout = options_.timeout;
  try {
    // Lengths first, then every rank's bytes padded to the longest.
    std::vector<at::Tensor> length{at::full({1}, static_cast<int64_t>(bytes.size()), at::kLong)};
    std::vector<std::vector<at::Tensor>> lengths(1);
    for (int r = 0; r < world; ++r) lengths[0].push_back(at::empty({1}, at::kLong));
    group_->allgather(lengths, length, gather)->wait();
    int64_t longest = 0;
    for (const at::Tensor& l : lengths[0]) longest = std::max(longest, l.item<int64_t>());
    at::Tensor mine = at::zeros({std::max<int64_t>(longest, 1)}, at::kByte);  // (longest) uint8
    std::copy(bytes.begin(), bytes.end(), mine.data_ptr<uint8_t>());
    std::vector<at::Tensor> input{mine};
    std::vector<std::vector<at::Tensor>> output(1);
    for (int r = 0; r < world; ++r) output[0].push_back(at::empty_like(mine));
    group_->allgather(output, input, gather)->wait();
    std::vector<std::vector<uint8_t>> out;
    for (int r = 0; r < world; ++r) {
      const uint8_t* data = output[0][r].data_ptr<uint8_t>();
      out.emplace_back(data, data + lengths[0][r].item<int64_t>());
    }
    return out;
  } catch (const std::exception& error) {
    fail_collective("an all-gather", error);
  }
}

void DistributedGroup::barrier() {
  c10d::BarrierOptions options;
  options.timeout = options_.timeout;
  try {
    group_->barrier(options)->wait();
  } catch (const std::exception& error) {
    fail_collective("a barrier", error);
  }
}

}  // namespace albert
