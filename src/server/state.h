// What the server's parts share (internal to src/server): the engine and linker, the routes
// being served, the workers' event loops, metrics and the log.
#pragma once

#include <boost/asio.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "atoll/atoll.h"
#include "server/config.h"
#include "server/metrics.h"
#include "server/routes.h"
#include "server/scheduler.h"

namespace atl::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// A client connection, as its worker sees it when draining.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual void close_if_idle() = 0;  // between requests: close now; in one: after its response
};

// One event loop and its listening socket (SO_REUSEPORT: the kernel spreads connections).
struct Worker {
  explicit Worker(std::chrono::microseconds max_guest_wait) : guests(io, max_guest_wait) {}
  net::io_context io{1};
  GuestScheduler guests;  // yielded guests, behind connection work
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<net::steady_timer> accept_retry;  // after EMFILE and the like
  std::unique_ptr<net::steady_timer> drain_delay;
  std::unique_ptr<net::steady_timer> drain_deadline;
  std::unordered_set<Connection*> connections;  // touched only on this worker's thread
  bool drained = false;  // listener closed (this worker's thread only)
};

struct ServerState {
  ServerConfig config;
  Engine engine;
  Linker linker;
  ModuleLoader loader;
  Metrics metrics;
  RouteMetrics* no_route = &metrics.route("");  // requests no route matched (404)
  std::vector<std::unique_ptr<Worker>> workers;
  uint16_t port = 0;
  std::atomic<uint64_t> next_request{1};
  // A drain was asked for: /readyz says 503 and responses close their connections. `draining`
  // follows drain_delay_ms later: listeners closed, idle connections closed.
  std::atomic<bool> unready{false};
  std::atomic<bool> draining{false};
  std::mutex log_mu;

  ServerState(ServerConfig c, Config engine_config, ModuleLoader l)
      : config(std::move(c)), engine(engine_config), loader(std::move(l)) {}

  std::shared_ptr<const Generation> generation() const { return std::atomic_load(&generation_); }
  void set_generation(std::shared_ptr<const Generation> g) { std::atomic_store(&generation_, std::move(g)); }

  void log_access(std::string_view line);
  // A handler's stderr and failures, one line each, tagged with the route and request id.
  void log_guest(std::string_view route, uint64_t id, std::string_view text);

 private:
  std::shared_ptr<const Generation> generation_;
};

// Starts serving one accepted connection (session.cpp).
void start_session(ServerState& s, Worker& w, tcp::socket socket);

}  // namespace atl::server
