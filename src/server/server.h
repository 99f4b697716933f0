// atoll serve: an HTTP/1.1 server (Boost.Beast on Asio) that runs every request in a fresh
// sandbox, WAGI style (wagi.h). One event loop per worker thread, each with its own listening
// socket on the shared address (SO_REUSEPORT); each request gets a new store, in-memory stdio
// and `_start` as an async call on a fiber, resumed from the loop when its epoch time slice ends,
// so a CPU-bound handler never holds a thread; past its deadline it is dropped (504).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
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
  unsigned workers = 0;                  // event loops; 0: one per core
  std::vector<RouteConfig> routes;
  uint32_t max_instances = 1000;         // live sandboxes (pooled memory slots)
  uint32_t header_limit = 16 << 10;      // request line + headers; past it 431
  uint32_t header_timeout_ms = 10'000;   // to send the headers and body (slowloris)
  uint32_t idle_timeout_ms = 60'000;     // keep-alive connections between requests
  uint32_t time_slice_ms = 2;            // a guest yields its thread this often
  bool log_requests = true;              // one JSON line per request on stdout
};

class Server {
 public:
  // Compiles every route's module (once) and binds the listening sockets.
  static Result<std::unique_ptr<Server>> create(ServerConfig config);
  ~Server();
  uint16_t port() const;
  // Serves until stop(); then finishes in-flight requests and returns.
  void run();
  void stop();  // any thread, signal-safe through stop_requested

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace atl::server
