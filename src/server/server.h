// atoll serve: an HTTP/1.1 server (Boost.Beast on Asio) that runs every request in a fresh
// sandbox, WAGI style (wagi.h). One event loop per worker thread, each with its own listening
// socket on the shared address (SO_REUSEPORT); each request gets a new store, in-memory stdio
// and `_start` as an async call on a fiber, resumed from the loop when its epoch time slice ends
// or its sleep is over, so neither a CPU-bound nor a sleeping handler holds a thread; past its
// deadline it is dropped (504). Parts: config.h (settings, TOML), routes.h (compiled routes,
// swapped whole on reload), session.cpp (a connection), admin.h (metrics and health), metrics.h.
#pragma once

#include <memory>
#include <string>

#include "atoll/result.h"
#include "server/config.h"
#include "server/routes.h"

namespace atl::server {

class Metrics;

class Server {
 public:
  // Compiles every route's module (once, with `loader`) and binds the listening sockets.
  static Result<std::unique_ptr<Server>> create(ServerConfig config, ModuleLoader loader = compile_file);
  ~Server();
  uint16_t port() const;
  uint16_t admin_port() const;  // 0 without an admin address
  std::string address() const;  // "HOST:PORT" listened on (the configured one, or systemd's socket)
  std::string admin_address() const;  // empty without one
  unsigned workers() const;  // event-loop threads (config.workers, or one per usable CPU)
  // Serves until stop(), or until a drain() has finished.
  void run();
  // Any thread. drain: report unready (/readyz 503, connections closed after each response) and,
  // drain_delay_ms later, stop accepting, close idle connections, let in-flight requests finish
  // for up to drain_timeout_ms, then end run(). True for the first call; a later one skips what
  // is left of the delay.
  bool drain();
  void stop();  // ends run() now; requests in flight are dropped
  // Any thread: compiles the new routes and switches to them at once; requests in flight finish
  // on the old ones. On any error nothing changes.
  Result<void> reload(const ServerConfig& config);
  // The same with a configuration that may have failed to load (counted as a refused reload).
  Result<void> reload(Result<ServerConfig> config);
  const Metrics& metrics() const;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace atl::server
