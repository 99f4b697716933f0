#include "server/routes.h"

#include "atoll/wasi.h"
#include "support/process.h"

namespace atl::server {

Result<Module> compile_file(const Engine& engine, const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes.ok()) return bytes.take_error();
  return compile_module(engine, *bytes);
}

bool Route::matches(std::string_view path) const {
  if (!wildcard) return path == config.path;
  if (prefix.empty()) return true;
  return path.substr(0, prefix.size()) == prefix && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

Route* Generation::route_for(std::string_view path) const {
  Route* best = nullptr;
  for (const auto& r : routes) {
    if (!r->matches(path)) continue;
    if (!r->wildcard) return r.get();
    if (!best || r->prefix.size() > best->prefix.size()) best = r.get();
  }
  return best;
}

Result<std::shared_ptr<const Generation>> build_generation(const ServerConfig& config, const Engine& engine,
                                                           const ModuleLoader& load, Metrics& metrics, uint64_t id) {
  if (config.routes.empty()) return make_error(ErrorKind::Usage, "no routes: give a module or a config with routes");
  auto g = std::make_shared<Generation>();
  g->id = id;
  for (const RouteConfig& rc : config.routes) {
    if (rc.path.empty() || rc.path[0] != '/') return make_error(ErrorKind::Usage, "route '" + rc.path + "' must start with /");
    auto m = load(engine, rc.module);
    if (!m.ok()) {
      // Named once: errors about reading the file already start with its path.
      const std::string& why = m.error().message;
      return make_error(m.error().kind, why.rfind(rc.module + ":", 0) == 0 ? why : rc.module + ": " + why);
    }
    if (auto ok = wasi::check_module(*m); !ok.ok()) return make_error(ok.error().kind, rc.module + ": " + ok.error().message);
    auto route = std::make_unique<Route>();
    route->config = rc;
    route->module = std::move(m.value());
    route->metrics = &metrics.route(rc.path);
    if (rc.path.size() >= 4 && rc.path.compare(rc.path.size() - 4, 4, "/...") == 0) {
      route->wildcard = true;
      route->prefix = rc.path.substr(0, rc.path.size() - 4);
    }
    g->max_request_body = std::max(g->max_request_body, rc.max_request_body);
    g->routes.push_back(std::move(route));
  }
  return std::shared_ptr<const Generation>(std::move(g));
}

}  // namespace atl::server
