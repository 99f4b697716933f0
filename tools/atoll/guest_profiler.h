// `atoll run --profile=guest[,PATH[,INTERVAL]]`: a sampling profiler of wasm frames. A ticker
// thread advances the engine's epoch every INTERVAL; the guest, compiled with epoch checks,
// reaches its deadline at the next function entry or loop header and calls the store's epoch
// deadline callback, which records the wasm stack (inlined frames included) and continues with
// the next deadline one tick on. Samples are folded into collapsed stacks ("_start;main;parse 12"),
// the input of flamegraph.pl, inferno, speedscope and Firefox Profiler's importer.
//
// Time the guest spends in host calls (WASI) is not sampled: ticks that pass meanwhile are
// noticed once, at the guest's next check, as one sample.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "atoll/atoll.h"

namespace atl::cli {

class GuestProfiler {
 public:
  // Creates PATH (empty) at once, so that a path that cannot be written is an error before the
  // guest runs.
  static Result<std::unique_ptr<GuestProfiler>> start(const Engine& engine, std::string path, uint64_t interval_ns);
  ~GuestProfiler();  // stops the ticker
  GuestProfiler(const GuestProfiler&) = delete;
  GuestProfiler& operator=(const GuestProfiler&) = delete;

  // Samples `store`'s guests. `stop_guest` (optional) is asked at every sample whether the guest
  // must stop instead (a -W timeout that fired): then the deadline traps as it would without us.
  void attach(Store& store, std::function<bool()> stop_guest);

  // Stops sampling and writes the collapsed stacks, most frequent first.
  Result<void> finish();
  uint64_t samples() const { return samples_; }
  const std::string& path() const { return path_; }

  // One sample's line key: outermost frame first, ';'-separated; names without ';' or newlines.
  static std::string fold(const std::vector<Error::Frame>& frames);

 private:
  GuestProfiler(const Engine& engine, std::string path, uint64_t interval_ns);
  void stop_ticker();

  Engine engine_;
  std::string path_;
  uint64_t interval_ns_;
  std::atomic<bool> stop_{false};
  std::thread ticker_;
  std::map<std::string, uint64_t> stacks_;
  uint64_t samples_ = 0;
};

}  // namespace atl::cli
