// The routes being served: each with its compiled module, built all at once from a config and
// swapped in whole on reload. Requests hold the generation they started on, so a reload never
// changes the module under a running handler.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "atoll/atoll.h"
#include "server/config.h"
#include "server/metrics.h"

namespace atl::server {

// How a route's module file becomes a Module (the CLI's reuses the compile cache).
using ModuleLoader = std::function<Result<Module>(const Engine& engine, const std::string& path)>;
Result<Module> compile_file(const Engine& engine, const std::string& path);

// "/x" matches exactly; "/x/..." matches /x and everything below; "/..." matches everything.
struct Route {
  RouteConfig config;
  std::string prefix;  // for "/x/...": "/x"
  bool wildcard = false;
  Module module;
  RouteMetrics* metrics = nullptr;
  std::atomic<uint32_t> in_flight{0};  // for max_concurrency; per generation

  bool matches(std::string_view path) const;
};

struct Generation {
  std::vector<std::unique_ptr<Route>> routes;
  uint64_t max_request_body = 0;  // the largest of the routes': the limit before routing
  uint64_t id = 0;                // 1 at start, +1 per reload

  // An exact route first, else the wildcard route with the longest prefix, else null.
  Route* route_for(std::string_view path) const;
};

// Compiles every route's module; any failure fails the whole generation.
Result<std::shared_ptr<const Generation>> build_generation(const ServerConfig& config, const Engine& engine,
                                                           const ModuleLoader& load, Metrics& metrics, uint64_t id);

}  // namespace atl::server
