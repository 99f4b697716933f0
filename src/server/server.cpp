#include "support/process.h"
#include "server/server.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include "server/admin.h"
#include "server/listeners.h"
#include "server/state.h"
#include "server/systemd.h"

namespace atl::server {

struct Server::Impl {
  ServerState state;
  std::unique_ptr<AdminServer> admin;
  std::mutex reload_mu;
  uint64_t generations = 1;
  std::atomic<bool> stopped{false};

  Impl(ServerConfig c, Config ec, ModuleLoader l) : state(std::move(c), ec, std::move(l)) {}

  void accept(Worker& w) {
    w.acceptor->async_accept([this, &w](boost::system::error_code ec, Socket socket) {
      if (ec == net::error::operation_aborted) return;
      w.guests.note_activity();
      if (!ec) {
        take(w, std::move(socket));  // even when draining: a connection in hand is served
        if (!w.drained) accept(w);
        return;
      }
      if (w.drained) return;
      // Out of descriptors or memory: try again shortly instead of spinning.
      w.accept_retry->expires_after(std::chrono::milliseconds(10));
      w.accept_retry->async_wait([this, &w](boost::system::error_code e) {
        if (!e) accept(w);
      });
    });
  }

  // Every sweep_ms: connections past their deadline are cut off. Ends with the worker's loop
  // (drained and no connection left).
  void sweep(Worker& w) {
    const uint32_t shortest = std::min(state.config.header_timeout_ms, state.config.idle_timeout_ms);
    const auto period = std::chrono::milliseconds(std::clamp<uint32_t>(shortest / 10, 5, 1000));
    w.sweep->expires_after(period);
    w.sweep->async_wait([this, &w](boost::system::error_code ec) {
      if (ec) return;
      const auto now = Clock::now();
      // Copied: expiring may close sessions, which erase themselves from the set.
      std::vector<Connection*> conns(w.connections.begin(), w.connections.end());
      for (Connection* c : conns) c->expire_if_due(now);
      if (w.drained && w.connections.empty()) return;
      sweep(w);
    });
  }

  void take(Worker& w, Socket socket) {
    boost::system::error_code ec;
    if (state.metrics.connections.load() >= static_cast<int64_t>(state.config.max_connections)) {
      socket.close(ec);  // over the connection limit: refused at once rather than queued
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    Worker& target = least_loaded(w);
    target.load++;
    if (&target == &w) return start_session(state, w, std::move(socket));
    // Handed to the other loop as a bare descriptor: a socket belongs to one io_context.
    const bool v6 = socket.local_endpoint(ec).address().is_v6();
    const int fd = socket.release(ec);
    if (ec) {
      target.load--;
      return;
    }
    net::post(target.io, [this, &target, fd, v6] {
      boost::system::error_code e;
      Socket moved(target.io);
      moved.assign(v6 ? tcp::v6() : tcp::v4(), fd, e);
      if (e) {
        ::close(fd);
        target.load--;
        return;
      }
      start_session(state, target, std::move(moved));
    });
  }

  // The kernel's SO_REUSEPORT hash spreads connections unevenly (64 keep-alive connections land
  // 28/36 as often as 32/32), and with a closed-loop client the fuller loop sets the tail
  // latency. So each accepted connection goes to the worker holding the fewest (this one on a
  // tie), as Envoy's exact balancing does. Not while draining: a drained loop may have ended.
  Worker& least_loaded(Worker& w) {
    Worker* best = &w;
    if (state.draining.load()) return w;
    for (auto& o : state.workers) {
      if (o->load.load(std::memory_order_relaxed) < best->load.load(std::memory_order_relaxed)) best = o.get();
    }
    return *best;
  }

  // On the worker's thread: drain now, or after `delay_ms` (a second drain cuts a delay short).
  void begin_drain(Worker& w, uint32_t delay_ms) {
    if (delay_ms == 0) return drain(w);
    w.drain_delay->expires_after(std::chrono::milliseconds(delay_ms));
    w.drain_delay->async_wait([this, &w](boost::system::error_code e) {
      if (!e) drain(w);
    });
  }

  // On the worker's thread: no new connections, idle ones closed, and the loop ends once the
  // last connection is gone or the grace period is over.
  void drain(Worker& w) {
    if (w.drained) return;
    w.drained = true;
    state.draining = true;
    w.drain_delay->cancel();
    w.accept_retry->cancel();
    // Connections the kernel has already completed would be reset by the close: take them.
    boost::system::error_code ec;
    w.acceptor->non_blocking(true, ec);
    for (int i = 0; !ec && i < 100'000; ++i) {
      Socket socket(w.io);
      w.acceptor->accept(socket, ec);
      if (!ec) take(w, std::move(socket));
    }
    w.acceptor->close(ec);
    if (w.connections.empty()) {
      w.sweep->cancel();
      return;
    }
    w.drain_deadline->expires_after(std::chrono::milliseconds(state.config.drain_timeout_ms));
    w.drain_deadline->async_wait([&w](boost::system::error_code e) {
      if (!e) w.io.stop();  // grace period over: what is left is dropped
    });
    // Copied: closing may destroy sessions, which erase themselves from the set.
    std::vector<Connection*> conns(w.connections.begin(), w.connections.end());
    for (Connection* c : conns) c->close_if_idle();
  }
};

namespace {

// A duplicate of an inherited listening socket, owned by `acceptor`.
template <class AnyAcceptor>
Result<void> adopt_into(AnyAcceptor& acceptor, int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return make_error(ErrorKind::Io, std::string("inherited socket: ") + std::strerror(errno));
  }
  const int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return make_error(ErrorKind::Io, std::string("inherited socket: ") + std::strerror(errno));
  boost::system::error_code ec;
  acceptor.assign(addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), copy, ec);
  if (ec) {
    close(copy);
    return make_error(ErrorKind::Io, "inherited socket: " + ec.message());
  }
  return {};
}

}  // namespace

Result<void> adopt(tcp::acceptor& acceptor, int fd) { return adopt_into(acceptor, fd); }
Result<void> adopt(Acceptor& acceptor, int fd) { return adopt_into(acceptor, fd); }

namespace {

// Thousands of connections need thousands of descriptors: raise the soft limit to the hard one.
void raise_descriptor_limit() {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// ServerConfig::prewarm: as many sandboxes as the pool holds, alive at once so that each takes
// its own slot, then dropped; their slots and the stacks stay warm in the engine's caches.
void prewarm(ServerState& s, const Generation& g) {
  struct Live {
    std::optional<Store> store;
    std::optional<Instance> instance;
  };
  std::vector<Live> live(s.config.max_instances);
  for (size_t i = 0; i < live.size(); ++i) {
    const Route& r = *g.routes[i % g.routes.size()];
    live[i].store.emplace(s.engine);
    live[i].store->set_epoch_deadline(1000);  // a start function gets a second, then traps
    wasi::Config wc;
    wc.stdin_data = "";
    wc.stdout_sink = [](std::span<const uint8_t>) { return true; };
    wc.stderr_sink = wc.stdout_sink;
    if (!wasi::attach(*live[i].store, wc).ok()) break;
    auto inst = s.linker.instantiate(*live[i].store, r.module);
    if (!inst.ok()) break;  // out of slots or mappings: what is warm stays warm
    live[i].instance.emplace(std::move(inst.value()));
  }
  for (Live& l : live) l.instance.reset();  // before their stores
  s.engine.prewarm_fiber_stacks(s.config.max_instances);
}

}  // namespace

Result<std::unique_ptr<Server>> Server::create(ServerConfig config, ModuleLoader loader) {
  if (config.workers == 0) config.workers = usable_cpus();
  Config ec;
  ec.epoch_interruption = true;  // time slices and deadlines
  ec.memory_pool_slots = config.max_instances;
  ec.pool_instances = config.max_instances;
  // Every sandbox may be suspended at once: keep a stack for each rather than mapping (and page
  // table filling) anew under a burst; an idle stack keeps at most 64 KiB resident.
  ec.fiber_stack_cache = config.max_instances;
  ec.compile_timeout_ms = 300'000;
  ec.compile_memory_limit = 4ull << 30;
  for (const RouteConfig& r : config.routes) ec.consume_fuel |= r.fuel != 0;
  auto impl = std::make_unique<Impl>(config, ec, std::move(loader));
  ServerState& s = impl->state;
  if (!s.engine.state()) return make_error(ErrorKind::Other, "cannot create the engine");
  s.metrics.pool_slots = config.max_instances;
  wasi::add_to_linker(s.linker);
  auto gen = build_generation(config, s.engine, s.loader, s.metrics, 1);
  if (!gen.ok()) return gen.take_error();
  if (config.prewarm) prewarm(s, **gen);
  s.set_generation(std::move(gen.value()));
  raise_descriptor_limit();

  auto inherited = inherited_sockets();
  if (!inherited.ok()) return inherited.take_error();
  tcp::endpoint ep;
  if (inherited->http < 0) {
    auto endpoint = parse_endpoint(config.addr, "the address");
    if (!endpoint.ok()) return endpoint.take_error();
    ep = *endpoint;
  }
  for (unsigned i = 0; i < config.workers; ++i) {
    // A yielded guest waits at most two slices for connection work to drain.
    auto w = std::make_unique<Worker>(std::chrono::milliseconds(2 * config.time_slice_ms));
    w->acceptor = std::make_unique<Acceptor>(w->io);
    w->accept_retry = std::make_unique<Timer>(w->io);
    w->drain_delay = std::make_unique<Timer>(w->io);
    w->drain_deadline = std::make_unique<Timer>(w->io);
    w->sweep = std::make_unique<Timer>(w->io);
    boost::system::error_code err;
    if (inherited->http >= 0) {
      // Socket activation: every worker accepts on its own descriptor of systemd's socket.
      if (auto adopted = adopt(*w->acceptor, inherited->http); !adopted.ok()) return adopted.take_error();
      if (i == 0) s.port = w->acceptor->local_endpoint().port();
      s.workers.push_back(std::move(w));
      continue;
    }
    w->acceptor->open(ep.protocol(), err);
    if (!err) w->acceptor->set_option(net::socket_base::reuse_address(true), err);
    if (!err) {
      const int one = 1;
      if (setsockopt(w->acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        err = boost::system::error_code(errno, boost::system::system_category());
      }
    }
    if (!err) w->acceptor->bind(ep, err);
    if (!err) w->acceptor->listen(net::socket_base::max_listen_connections, err);
    if (err) return make_error(ErrorKind::Io, "cannot listen on " + config.addr + ": " + err.message());
    if (i == 0) {
      ep.port(w->acceptor->local_endpoint().port());  // port 0: the others share the one chosen
      s.port = ep.port();
    }
    s.workers.push_back(std::move(w));
  }
  if (inherited->http >= 0) close(inherited->http);  // each worker holds its own duplicate
  if (!config.admin_addr.empty() || inherited->admin >= 0) {
    auto admin = AdminServer::create(s, config.admin_addr, inherited->admin);
    if (!admin.ok()) return admin.take_error();
    impl->admin = std::move(admin.value());
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;
uint16_t Server::port() const { return impl_->state.port; }
unsigned Server::workers() const { return static_cast<unsigned>(impl_->state.workers.size()); }
std::string Server::address() const {
  boost::system::error_code ec;
  return to_string(impl_->state.workers.front()->acceptor->local_endpoint(ec));
}
std::string Server::admin_address() const { return impl_->admin ? impl_->admin->address() : ""; }
uint16_t Server::admin_port() const { return impl_->admin ? impl_->admin->port() : 0; }
const Metrics& Server::metrics() const { return impl_->state.metrics; }

void Server::run() {
  Impl& impl = *impl_;
  ServerState& s = impl.state;
  if (impl.admin) impl.admin->start();
  // The epoch clock: one tick a millisecond drives time slices and deadlines; every 100 ticks
  // the access log is flushed and deep pages of idle fiber stacks are given back.
  std::atomic<bool> done{false};
  std::thread ticker([&] {
    for (unsigned tick = 1; !done; ++tick) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      s.engine.increment_epoch();
      if (tick % 100 == 0) {
        {
          std::lock_guard<std::mutex> lock(s.log_mu);
          std::fflush(stdout);
        }
        s.engine.trim_fiber_stacks();
      }
    }
  });
  std::vector<std::thread> threads;
  for (auto& w : s.workers) {
    impl.accept(*w);
    impl.sweep(*w);
    threads.emplace_back([&w] { w->io.run(); });
  }
  systemd::notify("READY=1");  // under systemd with Type=notify; nothing otherwise
  for (std::thread& t : threads) t.join();
  done = true;
  ticker.join();
  if (impl.admin) impl.admin->stop();
  std::fflush(stdout);
}

bool Server::drain() {
  Impl& impl = *impl_;
  const bool first = !impl.state.unready.exchange(true);
  if (first) systemd::notify("STOPPING=1");
  const uint32_t delay_ms = first ? impl.state.config.drain_delay_ms : 0;
  for (auto& w : impl.state.workers) {
    Worker* wp = w.get();
    net::post(w->io, [&impl, wp, delay_ms] { impl.begin_drain(*wp, delay_ms); });
  }
  return first;
}

void Server::stop() {
  impl_->state.unready = true;
  impl_->state.draining = true;
  for (auto& w : impl_->state.workers) w->io.stop();
}

Result<void> Server::reload(Result<ServerConfig> config) {
  if (config.ok()) return reload(*config);
  impl_->state.metrics.reload_failures++;
  return make_error(config.error().kind, "reload refused: " + config.error().to_string());
}

Result<void> Server::reload(const ServerConfig& config) {
  Impl& impl = *impl_;
  ServerState& s = impl.state;
  std::lock_guard<std::mutex> lock(impl.reload_mu);
  ServerConfig next = config;
  if (next.workers == 0) next.workers = s.config.workers;
  const std::string why = reload_incompatibility(s.config, next);
  if (!why.empty()) {
    s.metrics.reload_failures++;
    return make_error(ErrorKind::Usage, "reload refused: " + why + " cannot change without a restart");
  }
  auto gen = build_generation(next, s.engine, s.loader, s.metrics, ++impl.generations);
  if (!gen.ok()) {
    s.metrics.reload_failures++;
    return make_error(gen.error().kind, "reload refused: " + gen.error().to_string());
  }
  s.set_generation(std::move(gen.value()));
  s.metrics.reloads++;
  return {};
}

}  // namespace atl::server
