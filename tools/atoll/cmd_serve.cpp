// atoll serve: one WAGI handler for every path, or the routes of a TOML config (see src/server
// and docs/SERVE.md). Signals: SIGTERM/SIGINT drain and exit 0, SIGHUP reloads.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "commands.h"
#include "server/server.h"
#include "server/watch.h"
#include "support/process.h"

namespace atl::cli {

namespace {

// The configuration from the flags: one route, "/...", for MODULE.
server::ServerConfig config_from_flags(const ServeFlags& flags) {
  server::ServerConfig config;
  config.addr = flags.addr;
  config.admin_addr = flags.admin_addr;
  config.workers = flags.workers;
  config.max_instances = flags.max_instances;
  config.log_requests = !flags.quiet;
  config.header_timeout_ms = flags.header_timeout_ms;
  config.drain_timeout_ms = flags.drain_timeout_ms;
  if (flags.drain_delay_ms) config.drain_delay_ms = *flags.drain_delay_ms;
  config.prewarm = flags.prewarm;
  config.watch = flags.watch;
  server::RouteConfig route;
  route.path = "/...";
  route.module = flags.module;
  route.env = flags.env;
  route.scratch = flags.scratch;
  for (const std::string& d : flags.dirs) route.dirs.push_back(parse_preopen(d));
  route.deadline_ms = flags.deadline_ms;
  route.max_request_body = flags.max_request_body;
  route.max_response = flags.max_response;
  route.max_memory_bytes = flags.max_memory_mib << 20;
  config.routes.push_back(route);
  return config;
}

// The configuration, from the flags or the file; no route may grant the compile cache.
Result<server::ServerConfig> load(const ServeFlags& flags) {
  auto c = flags.config.empty() ? Result<server::ServerConfig>(config_from_flags(flags)) : server::load_config(flags.config);
  if (!c.ok()) return c;
  for (const auto& r : c->routes) {
    if (auto granted = check_cache_grants(r.dirs); !granted.ok()) return granted.take_error();
  }
  if (flags.config.empty()) return c;
  // Flags given with --config override the file's listener settings.
  if (flags.addr_given) c->addr = flags.addr;
  if (!flags.admin_addr.empty()) c->admin_addr = flags.admin_addr;
  if (flags.workers) c->workers = flags.workers;
  if (flags.quiet) c->log_requests = false;
  if (flags.prewarm) c->prewarm = true;
  if (flags.drain_delay_ms) c->drain_delay_ms = *flags.drain_delay_ms;
  if (flags.watch) c->watch = true;
  return c;
}

// What --watch watches: the config file, and every route's module.
std::vector<std::string> watched_files(const ServeFlags& flags, const server::ServerConfig& config) {
  std::vector<std::string> files;
  if (!flags.config.empty()) files.push_back(flags.config);
  for (const auto& r : config.routes) files.push_back(r.module);
  return files;
}

}  // namespace

int serve(const ServeFlags& flags) {
  if (flags.config.empty() == flags.module.empty()) {
    std::fprintf(stderr, "atoll: serve wants a MODULE or --config FILE (one of them)\n");
    return 2;
  }
  auto config = load(flags);
  if (!config.ok()) {
    std::fprintf(stderr, "atoll: %s\n", config.error().to_string().c_str());
    return 1;
  }
  // SIGINT and SIGTERM drain the server, SIGHUP reloads it; every thread started below
  // inherits the blocked mask, so only the waiter sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGUSR2);  // the waiter's own wake-up when run() ends
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  bool fuel = false;
  for (const auto& r : config->routes) fuel |= r.fuel != 0;
  CodegenFlags codegen;  // the server's engine: defaults, with epochs, and fuel if any route meters
  codegen.epoch_interruption = true;
  codegen.consume_fuel = fuel;
  const bool no_cache = flags.no_cache;
  auto loader = [codegen, no_cache](const Engine& engine, const std::string& path) -> Result<Module> {
    auto bytes = read_file(path);
    if (!bytes.ok()) return bytes.take_error();
    return load_or_compile(engine, *bytes, codegen, no_cache);
  };
  auto server = server::Server::create(*config, loader);
  if (!server.ok()) {
    std::fprintf(stderr, "atoll: %s\n", server.error().to_string().c_str());
    return 1;
  }
  server::Server& srv = **server;
  // Scripts read the address off the "serving" line: it ends with it.
  std::fprintf(stderr, "atoll: %u worker thread(s)\n", srv.workers());
  std::fprintf(stderr, "atoll: serving %zu route(s) on http://%s/\n", config->routes.size(), srv.address().c_str());
  if (srv.admin_port()) std::fprintf(stderr, "atoll: admin (metrics, healthz, readyz) on http://%s/\n", srv.admin_address().c_str());
  std::mutex reload_mu;
  auto reload = [&](const char* why, Result<server::ServerConfig> next) {
    std::lock_guard<std::mutex> lock(reload_mu);
    auto reloaded = srv.reload(std::move(next));
    if (reloaded.ok()) {
      std::fprintf(stderr, "atoll: reloaded (%s)\n", why);
    } else {
      std::fprintf(stderr, "atoll: %s; still serving the previous configuration\n", reloaded.error().to_string().c_str());
    }
  };
  // --watch: the config file and the modules of the routes last loaded. One watcher for the
  // whole run, so a change made while a reload compiles is seen by the next wait, not lost.
  std::unique_ptr<server::FileWatcher> watching;
  std::thread watcher;
  if (config->watch) {
    auto w = server::FileWatcher::create(watched_files(flags, *config));
    if (w.ok()) {
      watching = std::move(*w);
      watcher = std::thread([&] {
        while (watching->wait(200)) {
          auto next = load(flags);
          // The new routes' modules are watched before they are read, not after.
          if (next.ok()) {
            if (auto watched = watching->set_files(watched_files(flags, *next)); !watched.ok()) {
              std::fprintf(stderr, "atoll: %s; some changes will not be noticed\n", watched.error().to_string().c_str());
            }
          }
          reload("a watched file changed", std::move(next));
        }
      });
    } else {
      std::fprintf(stderr, "atoll: %s; changes will not be noticed (SIGHUP still reloads)\n", w.error().to_string().c_str());
    }
  }
  std::thread waiter([&] {
    for (;;) {
      int sig = 0;
      sigwait(&signals, &sig);
      if (sig == SIGUSR2) return;
      if (sig == SIGHUP) {
        reload("SIGHUP", load(flags));
        continue;
      }
      if (srv.drain()) {
        std::fprintf(stderr, "atoll: draining (unready for %u ms, then up to %u ms for requests in flight)\n",
                     config->drain_delay_ms, config->drain_timeout_ms);
      } else {
        std::fprintf(stderr, "atoll: draining now\n");
      }
    }
  });
  srv.run();
  pthread_kill(waiter.native_handle(), SIGUSR2);
  waiter.join();
  if (watcher.joinable()) {
    watching->stop();
    watcher.join();
  }
  std::fprintf(stderr, "atoll: stopped\n");
  return 0;
}

}  // namespace atl::cli
