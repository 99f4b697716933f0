#include "server/metrics.h"

#include <cstdio>

namespace atl::server {

namespace {

// Label values for abi::TrapCode, by number.
constexpr const char* kTrapNames[RouteMetrics::kTrapKinds] = {
    "other",         "unreachable",    "memory_out_of_bounds", "table_out_of_bounds",
    "indirect_call_null", "indirect_call_type_mismatch", "integer_divide_by_zero", "integer_overflow",
    "invalid_conversion", "stack_overflow", "host_error", "interrupted",
    "out_of_fuel", "indirect_call_out_of_bounds", "null_reference", "null_function_reference",
    "null_exception_reference", "uncaught_exception"};

std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

uint64_t get(const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); }

}  // namespace

void RouteMetrics::record(unsigned status, uint64_t total_us) {
  by_status[status < kStatuses ? status : 0].fetch_add(1, std::memory_order_relaxed);
  const double s = static_cast<double>(total_us) / 1e6;
  size_t b = 0;
  while (b < kBuckets.size() && s > kBuckets[b]) ++b;
  latency_buckets[b].fetch_add(1, std::memory_order_relaxed);
  latency_sum_us.fetch_add(total_us, std::memory_order_relaxed);
}

RouteMetrics& Metrics::route(const std::string& route) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& m = routes_[route];
  if (!m) m = std::make_unique<RouteMetrics>();
  return *m;
}

std::string Metrics::render() const {
  std::string out;
  char line[512];
  auto add = [&](const char* fmt, auto... args) {
    std::snprintf(line, sizeof line, fmt, args...);
    out += line;
  };
  std::lock_guard<std::mutex> lock(mu_);
  out += "# HELP atoll_requests_total Requests answered, by route and status.\n# TYPE atoll_requests_total counter\n";
  for (const auto& [name, m] : routes_) {
    for (size_t s = 0; s < RouteMetrics::kStatuses; ++s) {
      if (uint64_t n = get(m->by_status[s])) {
        add("atoll_requests_total{route=\"%s\",status=\"%zu\"} %llu\n", label(name).c_str(), s,
            static_cast<unsigned long long>(n));
      }
    }
  }
  out += "# HELP atoll_request_duration_seconds Time from the full request to the response, by route.\n"
         "# TYPE atoll_request_duration_seconds histogram\n";
  for (const auto& [name, m] : routes_) {
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= RouteMetrics::kBuckets.size(); ++b) {
      cumulative += get(m->latency_buckets[b]);
      if (b < RouteMetrics::kBuckets.size()) {
        add("atoll_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n", label(name).c_str(),
            RouteMetrics::kBuckets[b], static_cast<unsigned long long>(cumulative));
      } else {
        add("atoll_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", label(name).c_str(),
            static_cast<unsigned long long>(cumulative));
      }
    }
    add("atoll_request_duration_seconds_sum{route=\"%s\"} %.6f\n", label(name).c_str(),
        static_cast<double>(get(m->latency_sum_us)) / 1e6);
    add("atoll_request_duration_seconds_count{route=\"%s\"} %llu\n", label(name).c_str(),
        static_cast<unsigned long long>(cumulative));
  }
  out += "# HELP atoll_traps_total Handlers that trapped, by route and trap kind.\n# TYPE atoll_traps_total counter\n";
  for (const auto& [name, m] : routes_) {
    for (size_t k = 0; k < RouteMetrics::kTrapKinds; ++k) {
      if (uint64_t n = get(m->traps[k])) {
        add("atoll_traps_total{route=\"%s\",kind=\"%s\"} %llu\n", label(name).c_str(), kTrapNames[k],
            static_cast<unsigned long long>(n));
      }
    }
  }
  out += "# HELP atoll_deadlines_total Handlers stopped at their deadline (504), by route.\n"
         "# TYPE atoll_deadlines_total counter\n";
  for (const auto& [name, m] : routes_) {
    if (name.empty()) continue;
    add("atoll_deadlines_total{route=\"%s\"} %llu\n", label(name).c_str(), static_cast<unsigned long long>(get(m->deadlines)));
  }
  out += "# HELP atoll_instantiate_seconds_total Time spent creating sandboxes, by route.\n"
         "# TYPE atoll_instantiate_seconds_total counter\n";
  for (const auto& [name, m] : routes_) {
    if (name.empty()) continue;
    add("atoll_instantiate_seconds_total{route=\"%s\"} %.6f\n", label(name).c_str(),
        static_cast<double>(get(m->instantiate_us)) / 1e6);
  }
  auto gauge = [&](const char* name, const char* help, long long v) {
    add("# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name, v);
  };
  gauge("atoll_in_flight_requests", "Requests being handled.", in_flight.load());
  gauge("atoll_live_instances", "Sandboxes alive.", live_instances.load());
  gauge("atoll_pool_free_slots", "Sandboxes that can still be created.",
        static_cast<long long>(pool_slots) - live_instances.load());
  gauge("atoll_open_connections", "Client connections open.", connections.load());
  add("# HELP atoll_reloads_total Configuration reloads, by result.\n# TYPE atoll_reloads_total counter\n"
      "atoll_reloads_total{result=\"ok\"} %llu\natoll_reloads_total{result=\"refused\"} %llu\n",
      static_cast<unsigned long long>(reloads.load()), static_cast<unsigned long long>(reload_failures.load()));
  return out;
}

}  // namespace atl::server
