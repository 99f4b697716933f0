#include "guest_profiler.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "support/process.h"

namespace atl::cli {

Result<std::unique_ptr<GuestProfiler>> GuestProfiler::start(const Engine& engine, std::string path,
                                                            uint64_t interval_ns) {
  if (auto created = write_file_atomically(path, {}); !created.ok()) {
    return make_error(ErrorKind::Io, "--profile guest: " + created.error().message);
  }
  return std::unique_ptr<GuestProfiler>(new GuestProfiler(engine, std::move(path), interval_ns));
}

GuestProfiler::GuestProfiler(const Engine& engine, std::string path, uint64_t interval_ns)
    : engine_(engine), path_(std::move(path)), interval_ns_(interval_ns) {
  ticker_ = std::thread([this] {
    // Ticks at absolute times, so a late wake-up does not stretch every later interval.
    auto next = std::chrono::steady_clock::now();
    while (!stop_.load(std::memory_order_relaxed)) {
      next += std::chrono::nanoseconds(interval_ns_);
      std::this_thread::sleep_until(next);
      engine_.increment_epoch();
    }
  });
}

GuestProfiler::~GuestProfiler() { stop_ticker(); }

void GuestProfiler::stop_ticker() {
  stop_ = true;
  if (ticker_.joinable()) ticker_.join();
}

std::string GuestProfiler::fold(const std::vector<Error::Frame>& frames) {
  std::string key;
  for (auto f = frames.rbegin(); f != frames.rend(); ++f) {
    std::string name = f->function.empty() ? "wasm_function_" + std::to_string(f->func_index) : f->function;
    std::replace_if(name.begin(), name.end(), [](char c) { return c == ';' || c == '\n' || c == '\r'; }, '_');
    if (!key.empty()) key += ';';
    key += name;
  }
  return key.empty() ? "[unknown]" : key;
}

void GuestProfiler::attach(Store& store, std::function<bool()> stop_guest) {
  store.set_epoch_deadline(1);
  store.set_epoch_deadline_callback([this, &store, stop_guest = std::move(stop_guest)]() -> uint64_t {
    ++stacks_[fold(store.wasm_frames())];
    ++samples_;
    return stop_guest && stop_guest() ? 0 : 1;
  });
}

Result<void> GuestProfiler::finish() {
  stop_ticker();
  std::vector<std::pair<std::string, uint64_t>> sorted(stacks_.begin(), stacks_.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::string text;
  for (const auto& [stack, count] : sorted) text += stack + " " + std::to_string(count) + "\n";
  auto written = write_file_atomically(
      path_, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  if (!written.ok()) return make_error(ErrorKind::Io, "--profile guest: " + written.error().message);
  return {};
}

}  // namespace atl::cli
