// What the server's parts share (internal to src/server): the engine and linker, the routes
// being served, the workers' event loops, metrics and the log.
#pragma once

#include <boost/asio.hpp>

#include <atomic>
#include <chrono>
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
using Clock = std::chrono::steady_clock;
// Sockets and timers bound to one io_context's executor: the type-erased default
// (any_io_executor) costs a virtual dispatch and copies on every operation of the hot path.
using Executor = net::io_context::executor_type;
using Socket = net::basic_stream_socket<tcp, Executor>;
using Acceptor = net::basic_socket_acceptor<tcp, Executor>;
using Timer = net::basic_waitable_timer<Clock, net::wait_traits<Clock>, Executor>;

// A client connection, as its worker sees it when draining and when sweeping for timeouts.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual void close_if_idle() = 0;  // between requests: close now; in one: after its response
  // Past its read or write deadline (idle, header or write timeout): cut off.
  virtual void expire_if_due(Clock::time_point now) = 0;
};

// One event loop and its listening socket (SO_REUSEPORT: the kernel spreads connections, and
// `take` evens out what its hashing leaves uneven).
struct Worker {
  explicit Worker(std::chrono::microseconds max_guest_wait) : guests(io, max_guest_wait) {}
  net::io_context io{1};
  GuestScheduler guests;  // yielded guests, behind connection work
  std::unique_ptr<Acceptor> acceptor;
  std::unique_ptr<Timer> accept_retry;  // after EMFILE and the like
  std::unique_ptr<Timer> drain_delay;
  std::unique_ptr<Timer> drain_deadline;
  // Connection timeouts are deadlines the connections keep, checked by one periodic sweep per
  // worker rather than a timer armed and cancelled around every read and write.
  std::unique_ptr<Timer> sweep;
  // The Date header, formatted once a second.
  std::string date;
  int64_t date_second = -1;
  std::unordered_set<Connection*> connections;  // touched only on this worker's thread
  // Connections given to this worker and not yet closed (any thread reads it to balance).
  std::atomic<int64_t> load{0};
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
void start_session(ServerState& s, Worker& w, Socket socket);

}  // namespace atl::server
