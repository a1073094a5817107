// Where a training step's milliseconds go on this machine: the native core's TrainSession
// (the same step the addon runs, without Node) under libtorch's profiler (kineto, CPU
// activities). Prints, per step: the phases the session names (albert::forward, backward,
// unscale_clip, adamw, read_results) and the ATen ops by self time (time not spent in a nested
// op), then the total. Batches are random ids at a fixed (B, T), no padding.
// ALBERT_PROFILE_SHAPES=aten::fill_ also lists that op's input shapes, dtypes and durations, and the ops that called it.
// ALBERT_PROFILE_PLAIN=1 times the steps without the profiler and stops there.
// ALBERT_PROFILE_PAD=0.5 pads the rows (see random_batch).
// ALBERT_PROFILE_AB=R times R rounds of `steps` steps with the fused CPU kernels and `steps`
// without (kernels/cpu/dispatch.h), alternating in one process, and prints each round's
// per-step means, the medians and their ratio; then stops.
//
//   cmake -S . -B build-dev -DALBERT_BUILD_PROFILER=ON ... && cmake --build build-dev --target profile_step
//   build-dev/profile_step small bf16 16 48 [steps=20] [threads=2]
//
// The step's time by phase and op is the profile issue 4 asks for; the peer's is
// benchmarks/profile/profile_hf_step.py (HF transformers + torch.optim.AdamW).
#include "albert/model.h"
#include "kernels/cpu/dispatch.h"
#include "runtime/host_allocator.h"
#include "train/session.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/profiler_kineto.h>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

albert::AlbertConfig config_named(const std::string& name) {
  albert::AlbertConfig config;  // albert-base-v2's fields, as in ../shared/data/albert-configs
  config.embedding_size = 128;
  config.hidden_size = 768;
  config.num_hidden_layers = 12;
  config.num_attention_heads = 12;
  config.intermediate_size = 3072;
  config.hidden_dropout_prob = 0.0;  // the hub's albert-*-v2 configs have no dropout
  config.attention_probs_dropout_prob = 0.0;
  if (name == "small") {  // the small config has dropout 0.1 (benchmarks/configs.ts)
    config.hidden_dropout_prob = 0.1;
    config.attention_probs_dropout_prob = 0.1;
    config.hidden_size = 256;
    config.num_hidden_layers = 4;
    config.num_attention_heads = 4;
    config.intermediate_size = 1024;
  } else if (name == "large") {
    config.hidden_size = 1024;
    config.num_hidden_layers = 24;
    config.num_attention_heads = 16;
    config.intermediate_size = 4096;
  }
  config.validate();
  return config;
}

albert::Batch random_batch(int64_t batch_size, int64_t seq_len, int64_t vocab_size) {
  albert::Batch batch;
  batch.input_ids = at::randint(5, vocab_size, {batch_size, seq_len}, at::kLong);       // (B, T)
  batch.attention_mask = at::ones({batch_size, seq_len}, at::kLong);                   // (B, T)
  // ALBERT_PROFILE_PAD=p: row b ends with round(p * b / (B - 1) * T) padding tokens (a spread
  // of lengths, p of the row at most), so the padding-free path has work to skip.
  if (const char* pad = std::getenv("ALBERT_PROFILE_PAD")) {
    for (int64_t b = 0; b < batch_size; ++b) {
      const double share = batch_size > 1 ? std::atof(pad) * static_cast<double>(b) / static_cast<double>(batch_size - 1) : 0.0;
      const int64_t padded = std::min<int64_t>(seq_len - 1, std::llround(share * static_cast<double>(seq_len)));
      batch.attention_mask[b].narrow(0, seq_len - padded, padded).zero_();
      batch.input_ids[b].narrow(0, seq_len - padded, padded).zero_();
    }
  }
  batch.token_type_ids = at::zeros({batch_size, seq_len}, at::kLong);                  // (B, T)
  batch.labels = at::randint(0, 2, {batch_size}, at::kLong);                            // (B)
  return batch;
}

// Self time of each event: its duration less that of the events nested in it on its thread.
struct OpTotals {
  double self_ms = 0;
  int64_t calls = 0;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace torch::autograd::profiler;
  using torch::profiler::impl::ActivityType;
  const std::string config_name = argc > 1 ? argv[1] : "small";
  const std::string amp = argc > 2 ? argv[2] : "bf16";
  const int64_t batch_size = argc > 3 ? std::stoll(argv[3]) : 16;
  const int64_t seq_len = argc > 4 ? std::stoll(argv[4]) : 48;
  const int steps = argc > 5 ? std::stoi(argv[5]) : 20;
  at::set_num_threads(argc > 6 ? std::stoi(argv[6]) : 2);
  at::manual_seed(0);
  const bool malloc_tuned = albert::keep_freed_host_memory_mapped();  // as the addon does at load

  albert::AlbertForSequenceClassification model(config_named(config_name), 42, at::Device(at::kCPU));
  albert::TrainOptions options;
  options.amp = albert::parse_amp(amp);
  albert::TrainSession session(model, options);
  const albert::Batch batch = random_batch(batch_size, seq_len, model.config.vocab_size);
  for (int i = 0; i < 3; ++i) session.step(batch, 1e-4);  // warm-up: allocator, oneDNN primitives

  const auto wall_start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) session.step(batch, 1e-4);
  const double plain_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_start).count() / steps;

  if (const char* ab = std::getenv("ALBERT_PROFILE_AB")) {  // fused vs aten's ops, alternating rounds
    const int rounds = std::max(1, std::atoi(ab));
    std::vector<double> fused_ms, aten_ms;
    for (int r = 0; r < rounds; ++r) {
      for (const bool fused : {true, false}) {
        albert::kernels::set_cpu_fused_ops_enabled(fused);
        session.step(batch, 1e-4);  // one untimed step after the switch
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < steps; ++i) session.step(batch, 1e-4);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / steps;
        (fused ? fused_ms : aten_ms).push_back(ms);
        std::printf("round %d, %s: %.1f ms per step\n", r + 1, fused ? "fused CPU kernels" : "aten's ops", ms);
      }
    }
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    };
    std::printf("%s, amp %s, batch %lld x %lld, %d threads, vector path %s: fused %.1f ms (%.1f-%.1f), aten %.1f ms (%.1f-%.1f), "
                "aten / fused %.3f\n", config_name.c_str(), amp.c_str(), static_cast<long long>(batch_size), static_cast<long long>(seq_len),
                at::get_num_threads(), albert::kernels::vector_path(), median(fused_ms), *std::min_element(fused_ms.begin(), fused_ms.end()),
                *std::max_element(fused_ms.begin(), fused_ms.end()), median(aten_ms), *std::min_element(aten_ms.begin(), aten_ms.end()),
                *std::max_element(aten_ms.begin(), aten_ms.end()), median(aten_ms) / median(fused_ms));
    return 0;
  }
  if (std::getenv("ALBERT_PROFILE_PLAIN")) {  // timing only (e.g. to count page faults without the profiler's allocations)
    std::printf("%s, amp %s, batch %lld x %lld, %d threads, malloc tuning %s: %.1f ms per step\n", config_name.c_str(), amp.c_str(),
                static_cast<long long>(batch_size), static_cast<long long>(seq_len), at::get_num_threads(), malloc_tuned ? "on" : "off", plain_ms);
    return 0;
  }
  const ProfilerConfig config(torch::profiler::impl::ProfilerState::KINETO, /*report_input_shapes=*/true);
  const std::set<ActivityType> activities{ActivityType::CPU};
  prepareProfiler(config, activities);
  enableProfiler(config, activities);
  for (int i = 0; i < steps; ++i) session.step(batch, 1e-4);
  const std::unique_ptr<ProfilerResult> result = disableProfiler();

  // 1. Events by thread, in start order; a stack of open events gives each one's self time.
  std::vector<const KinetoEvent*> events;
  for (const KinetoEvent& e : result->events()) {
    if (!e.isAsync() && e.deviceType() == c10::DeviceType::CPU) events.push_back(&e);
  }
  std::sort(events.begin(), events.end(), [](const KinetoEvent* a, const KinetoEvent* b) {
    return a->startThreadId() != b->startThreadId() ? a->startThreadId() < b->startThreadId()
           : a->startNs() != b->startNs()           ? a->startNs() < b->startNs()
                                                    : a->durationNs() > b->durationNs();
  });
  std::map<std::string, OpTotals> ops, phases;
  std::vector<std::pair<const KinetoEvent*, double>> open;  // (event, child ns so far)
  auto close_until = [&](uint64_t thread, uint64_t now) {
    while (!open.empty() && (open.back().first->startThreadId() != thread ||
                             open.back().first->startNs() + open.back().first->durationNs() <= now)) {
      const auto [event, child_ns] = open.back();
      open.pop_back();
      const double self_ms = (static_cast<double>(event->durationNs()) - child_ns) / 1e6;
      const std::string name = event->name();
      auto& totals = name.rfind("albert::", 0) == 0 ? phases[name] : ops[name];
      totals.self_ms += name.rfind("albert::", 0) == 0 ? event->durationNs() / 1e6 : self_ms;
      totals.calls += 1;
      if (!open.empty() && open.back().first->startThreadId() == event->startThreadId()) open.back().second += event->durationNs();
    }
  };
  if (std::getenv("ALBERT_PROFILE_SHAPES")) {
    std::map<std::string, int> seen;
    for (const KinetoEvent* e : events) {
      if (e->name() != std::getenv("ALBERT_PROFILE_SHAPES")) continue;
      std::string key;
      for (const auto& shape : e->shapes()) { key += "["; for (auto d : shape) key += std::to_string(d) + ","; key += "]"; }
      for (const auto& d : e->dtypes()) key += d + " ";
      seen[key + " " + std::to_string(e->durationNs() / 1000) + "us"] += 1;
    }
    for (const auto& [k, n] : seen) std::printf("%s x%d\n", k.c_str(), n);
  }
  const char* traced = std::getenv("ALBERT_PROFILE_SHAPES");
  std::map<std::string, std::pair<int, double>> callers;  // the traced op's enclosing ops, outermost last: calls, ms
  for (const KinetoEvent* e : events) {
    close_until(e->startThreadId(), e->startNs());
    if (traced != nullptr && e->name() == traced) {
      std::string chain;
      for (auto it = open.rbegin(); it != open.rend() && it - open.rbegin() < 4; ++it) chain += " < " + it->first->name();
      callers[chain].first += 1;
      callers[chain].second += e->durationNs() / 1e6;
    }
    open.emplace_back(e, 0.0);
  }
  for (const auto& [chain, totals] : callers) {
    std::printf("%s%s: %d calls, %.2f ms per step\n", traced, chain.c_str(), totals.first / steps, totals.second / steps);
  }
  close_until(UINT64_MAX, UINT64_MAX);

  // 2. The tables, per step.
  std::printf("%s, amp %s, batch %lld x %lld, %d threads, malloc tuning %s: %.1f ms per step without the profiler\n\n", config_name.c_str(),
              amp.c_str(), static_cast<long long>(batch_size), static_cast<long long>(seq_len), at::get_num_threads(),
              malloc_tuned ? "on" : "off", plain_ms);
  std::printf("| phase (inclusive) | ms per step |\n|---|---|\n");
  for (const auto& [name, totals] : phases) std::printf("| %s | %.2f |\n", name.c_str(), totals.self_ms / steps);
  std::vector<std::pair<std::string, OpTotals>> sorted(ops.begin(), ops.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second.self_ms > b.second.self_ms; });
  double all = 0;
  for (const auto& [name, totals] : sorted) all += totals.self_ms;
  std::printf("\n| op (self time) | ms per step | calls per step | share |\n|---|---|---|---|\n");
  for (size_t i = 0; i < std::min<size_t>(25, sorted.size()); ++i) {
    const auto& [name, totals] = sorted[i];
    std::printf("| %s | %.2f | %.1f | %.1f%% |\n", name.c_str(), totals.self_ms / steps, static_cast<double>(totals.calls) / steps,
                100.0 * totals.self_ms / all);
  }
  std::printf("| (all ops, self) | %.2f | | |\n", all / steps);
  double gemm = 0;  // the matrix products (oneDNN/MKL), against everything else
  for (const auto& [name, totals] : sorted) {
    if (name == "aten::mm" || name == "aten::addmm" || name == "aten::bmm" || name == "aten::baddbmm" || name == "aten::_weight_int4pack_mm") {
      gemm += totals.self_ms;
    }
  }
  std::printf("\nGEMMs (mm, addmm, bmm, baddbmm): %.1f ms per step (%.1f%% of the ops' self time); the rest: %.1f ms\n", gemm / steps,
              100.0 * gemm / all, (all - gemm) / steps);
  return 0;
}
