// The admin address of atoll serve: Prometheus metrics (/metrics), liveness (/healthz: the
// process answers) and readiness (/readyz: 200 while accepting requests, 503 once draining).
// Its own thread and event loop, so a scrape is answered even when every worker is busy.
#pragma once

#include <memory>

#include "atoll/result.h"
#include "server/state.h"

namespace atl::server {

class AdminServer {
 public:
  // Listens on `addr`, or on `inherited_fd` (a listening socket from systemd) when it is >= 0.
  static Result<std::unique_ptr<AdminServer>> create(ServerState& state, const std::string& addr, int inherited_fd = -1);
  ~AdminServer();
  uint16_t port() const;
  std::string address() const;
  void start();  // serves on its own thread until stop()
  void stop();

  struct Impl;

 private:
  explicit AdminServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// IPv4 or IPv6 "ADDRESS:PORT" (port 0: any free port).
Result<tcp::endpoint> parse_endpoint(const std::string& addr, const char* what);

// "HOST:PORT", "[V6HOST]:PORT".
std::string to_string(const tcp::endpoint& ep);

// Makes `acceptor` listen on a duplicate of `fd`, an inherited listening socket (server.cpp).
Result<void> adopt(tcp::acceptor& acceptor, int fd);
Result<void> adopt(Acceptor& acceptor, int fd);

}  // namespace atl::server
