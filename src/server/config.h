// The settings of atoll serve: the listener, the sandbox pool and the routes, from the command
// line or from a TOML file (docs/SERVE.md has the reference). Parsing is strict: an unknown key,
// a wrong type or an out-of-range value is an error naming the key and its line, so a typo never
// silently leaves a limit at its default.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "atoll/result.h"
#include "atoll/wasi.h"

namespace atl::server {

struct RouteConfig {
  std::string path = "/...";   // "/x" exact, "/x/..." that path and everything below it
  std::string module;           // a .wasm file
  std::vector<wasi::Preopen> dirs;
  std::vector<std::string> env;  // KEY=VALUE, added to the CGI variables
  bool scratch = false;          // a fresh empty directory per request, seen as /scratch
  uint64_t max_memory_bytes = 256ull << 20;
  uint32_t deadline_ms = 10'000;
  uint64_t fuel = 0;             // 0: unmetered
  uint64_t max_request_body = 1 << 20;
  uint64_t max_response = 16 << 20;
  uint32_t max_concurrency = 0;  // 0: as many as the pool allows
};

struct ServerConfig {
  std::string addr = "127.0.0.1:8080";  // IPv4 ADDRESS:PORT (port 0: any free port)
  std::string admin_addr;                // metrics, /healthz, /readyz; empty: none
  unsigned workers = 0;                  // event loops; 0: one per core
  std::vector<RouteConfig> routes;
  uint32_t max_instances = 1000;         // live sandboxes (pooled memory slots)
  uint32_t max_connections = 20'000;     // open client connections; past it new ones wait
  uint32_t header_limit = 16 << 10;      // request line + headers; past it 431
  uint32_t header_timeout_ms = 10'000;   // to send the headers and body (slowloris)
  uint32_t idle_timeout_ms = 60'000;     // keep-alive connections between requests
  uint32_t drain_timeout_ms = 30'000;    // SIGTERM: in-flight requests get this long
  // SIGTERM: for this long first, /readyz says 503 and every response closes its connection,
  // while new connections are still served, so that a load balancer polling /readyz stops
  // sending before the listener closes (set it to the balancer's check interval times its
  // failure count, plus one interval).
  uint32_t drain_delay_ms = 0;
  uint32_t time_slice_ms = 2;            // a guest yields its thread this often
  bool log_requests = true;              // one JSON line per request on stdout
  // At start, touch every pool slot (each route's module instantiated in turn, max_instances at
  // once) and a fiber stack per slot, as JVMs pre-touch their heaps: the first burst of
  // requests then costs what later ones do, for the resident memory warm slots keep.
  bool prewarm = false;
  // Reload (as on SIGHUP) when the config file or a route's module changes (inotify).
  bool watch = false;
};

// Parses a TOML configuration; `source` names it in errors, and relative module and directory
// paths are taken from `base_dir`.
Result<ServerConfig> parse_config(std::string_view toml, const std::string& source, const std::string& base_dir);
Result<ServerConfig> load_config(const std::string& path);

// A reload changes only the routes: empty when `next` differs from `current` in nothing else
// (fuel may be added only if the server started with metering), else the first difference.
std::string reload_incompatibility(const ServerConfig& current, const ServerConfig& next);

}  // namespace atl::server
