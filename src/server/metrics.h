// Prometheus metrics for atoll serve: counters and histograms updated lock-free on the request
// path (relaxed atomics: a scrape may see one request's updates half done, never torn values),
// rendered in the text exposition format on the admin address.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace atl::server {

// One route's numbers; kept for the server's lifetime (a reload keeps a route's counters).
struct RouteMetrics {
  static constexpr size_t kStatuses = 600;
  static constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  static constexpr size_t kTrapKinds = 18;
  std::array<std::atomic<uint64_t>, kStatuses> by_status{};
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> latency_buckets{};  // the last is +Inf
  std::atomic<uint64_t> latency_sum_us{0};
  std::array<std::atomic<uint64_t>, kTrapKinds> traps{};  // by abi::TrapCode
  std::atomic<uint64_t> deadlines{0};
  std::atomic<uint64_t> instantiate_us{0};  // summed, with the count of instantiations
  std::atomic<uint64_t> instantiations{0};

  void record(unsigned status, uint64_t total_us);
};

class Metrics {
 public:
  // The metrics of `route` ("" for requests no route matched), created on first use.
  RouteMetrics& route(const std::string& route);
  std::atomic<int64_t> in_flight{0};       // requests being handled
  std::atomic<int64_t> live_instances{0};  // sandboxes alive
  std::atomic<int64_t> connections{0};
  std::atomic<uint64_t> reloads{0}, reload_failures{0};
  uint64_t pool_slots = 0;

  std::string render() const;  // Prometheus text format 0.0.4

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<RouteMetrics>> routes_;
};

}  // namespace atl::server
