#include "server/server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "atoll/atoll.h"
#include "server/wagi.h"
#include "support/process.h"

namespace atl::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

uint64_t micros(Clock::time_point a, Clock::time_point b) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(b - a).count());
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

// "/x" matches exactly; "/x/..." matches /x and everything below; "/..." matches everything.
struct Route {
  RouteConfig config;
  std::string prefix;  // for "/x/...": "/x"
  bool wildcard = false;
  std::optional<Module> module;
  std::atomic<uint32_t> in_flight{0};
  bool matches(std::string_view path) const {
    if (!wildcard) return path == config.path;
    if (prefix.empty()) return true;
    return path.substr(0, prefix.size()) == prefix && (path.size() == prefix.size() || path[prefix.size()] == '/');
  }
};

}  // namespace

struct Server::Impl {
  ServerConfig config;
  Engine engine;
  Linker linker;
  std::vector<std::unique_ptr<Route>> routes;
  struct Worker {
    net::io_context io{1};
    std::unique_ptr<tcp::acceptor> acceptor;
  };
  std::vector<std::unique_ptr<Worker>> workers;
  uint16_t port = 0;
  uint64_t max_request_body = 0;  // the largest of the routes'
  std::atomic<uint64_t> next_request{1};
  std::atomic<bool> stopping{false};
  std::mutex log_mu;

  explicit Impl(ServerConfig c, Config engine_config) : config(std::move(c)), engine(engine_config) {}

  Route* route_for(std::string_view path) const {
    Route* best = nullptr;
    for (const auto& r : routes) {
      if (!r->matches(path)) continue;
      if (!r->wildcard) return r.get();
      if (!best || r->prefix.size() > best->prefix.size()) best = r.get();
    }
    return best;
  }

  void log_line(const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mu);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
  }
  void log_guest(const Route& r, uint64_t id, std::string_view text) {
    std::lock_guard<std::mutex> lock(log_mu);
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      std::fprintf(stderr, "[%s #%llu] %.*s\n", r.config.path.c_str(), static_cast<unsigned long long>(id),
                   static_cast<int>(nl - pos), text.data() + pos);
      pos = nl + 1;
    }
  }

  void accept(Worker& w);
};

namespace {

// One request's sandbox: a store, WASI with in-memory stdio, `_start` as an async call.
struct Sandbox {
  std::optional<TempDir> scratch;  // removed with the sandbox
  std::optional<Store> store;
  std::optional<Instance> instance;
  std::optional<AsyncCall> call;
  std::shared_ptr<wasi::Context> wasi_ctx;
  std::string out, err;
  bool out_too_large = false;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Server::Impl& s, tcp::socket socket) : s_(s), stream_(std::move(socket)) {}

  void start() { read_header(); }

 private:
  Server::Impl& s_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Route* route_ = nullptr;
  // The request being served.
  uint64_t id_ = 0;
  Clock::time_point start_, deadline_;
  uint64_t instantiate_us_ = 0;
  Clock::time_point guest_start_;
  std::unique_ptr<Sandbox> box_;
  bool keep_alive_ = false;
  unsigned version_ = 11;

  void read_header() {
    parser_.emplace();
    parser_->header_limit(s_.config.header_limit);
    parser_->body_limit(s_.max_request_body);  // narrowed to the route's once it is known
    stream_.expires_after(std::chrono::milliseconds(s_.config.header_timeout_ms));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, size_t) {
    if (ec) return fail_read(ec);
    const auto& req = parser_->get();
    const std::string_view target(req.target().data(), req.target().size());
    const std::string path(target.substr(0, target.find('?')));
    route_ = s_.route_for(path);
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    if (!route_) return send_error(http::status::not_found, "no route for " + path + "\n");
    parser_->body_limit(route_->config.max_request_body);
    stream_.expires_after(std::chrono::milliseconds(s_.config.header_timeout_ms));
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_body, shared_from_this()));
  }

  void on_body(beast::error_code ec, size_t) {
    if (ec) return fail_read(ec);
    stream_.expires_never();
    run_request();
  }

  // Read errors: a closed or idle connection ends quietly; a bad request gets its status.
  void fail_read(beast::error_code ec) {
    keep_alive_ = false;
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::eof ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset) {
      return close();
    }
    if (ec == http::error::body_limit) return send_error(http::status::payload_too_large, "request body too large\n");
    if (ec == http::error::header_limit) {
      return send_error(http::status::request_header_fields_too_large, "request header too large\n");
    }
    if (ec.category() == beast::error_code(http::error::bad_target).category()) {
      return send_error(http::status::bad_request, "malformed request\n");
    }
    close();
  }

  void run_request() {
    const auto& req = parser_->get();
    Route& route = *route_;
    id_ = s_.next_request++;
    start_ = Clock::now();
    deadline_ = start_ + std::chrono::milliseconds(route.config.deadline_ms);
    if (route.config.max_concurrency && route.in_flight.load() >= route.config.max_concurrency) {
      return send_error(http::status::service_unavailable, "too many concurrent requests for this route\n");
    }
    route.in_flight++;
    box_ = std::make_unique<Sandbox>();
    Sandbox& box = *box_;

    CgiRequest cgi;
    cgi.method = std::string(req.method_string());
    cgi.target = std::string(req.target());
    cgi.protocol = version_ == 10 ? "HTTP/1.0" : "HTTP/1.1";
    for (const auto& f : req) cgi.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    beast::error_code ec;
    const auto remote = stream_.socket().remote_endpoint(ec);
    cgi.remote_addr = ec ? "" : remote.address().to_string();
    const std::string host(req[http::field::host]);
    cgi.server_name = host.substr(0, host.rfind(':') == std::string::npos ? host.size() : host.rfind(':'));
    if (cgi.server_name.empty()) cgi.server_name = "localhost";
    cgi.server_port = s_.port;
    cgi.content_length = req.body().size();
    const CgiRoute cgi_route{route.config.path, route.config.module, route.prefix};

    box.store.emplace(s_.engine);
    Store& store = *box.store;
    Store::Limits limits;
    limits.max_memory_bytes = route.config.max_memory_bytes;
    store.set_limits(std::move(limits));
    store.set_epoch_yield(s_.config.time_slice_ms);
    store.set_epoch_deadline(s_.config.time_slice_ms);
    if (route.config.fuel) store.set_fuel(route.config.fuel);
    wasi::Config wc;
    wc.args = cgi_arguments(cgi);
    wc.env = cgi_environment(cgi, cgi_route);
    wc.env.insert(wc.env.end(), route.config.env.begin(), route.config.env.end());
    wc.preopens = route.config.dirs;
    if (route.config.scratch) {
      auto dir = TempDir::create("atoll-scratch-");
      if (!dir.ok()) return finish_error(http::status::internal_server_error, "no scratch directory: " + dir.error().message);
      box.scratch.emplace(std::move(dir.value()));
      wc.preopens.push_back({box.scratch->path(), "/scratch"});
    }
    wc.stdin_data = req.body();
    const uint64_t max_out = route.config.max_response;
    Sandbox* bp = &box;
    wc.stdout_sink = [bp, max_out](std::span<const uint8_t> b) {
      if (bp->out.size() + b.size() > max_out) {
        bp->out_too_large = true;
        return false;
      }
      bp->out.append(b.begin(), b.end());
      return true;
    };
    wc.stderr_sink = [bp](std::span<const uint8_t> b) {
      if (bp->err.size() < (1 << 20)) bp->err.append(b.begin(), b.end());
      return true;
    };
    auto ctx = wasi::attach(store, wc);
    if (!ctx.ok()) return finish_error(http::status::internal_server_error, "cannot set up WASI: " + ctx.error().message);
    box.wasi_ctx = *ctx;
    auto inst = s_.linker.instantiate(store, *route.module);
    instantiate_us_ = micros(start_, Clock::now());
    if (!inst.ok()) {
      if (wasi::exit_code(*box.wasi_ctx)) return respond();  // proc_exit in the start function
      // All sandboxes in use is the server's limit, not the handler's fault.
      const bool full = inst.error().message.find("exhausted") != std::string::npos;
      return finish_error(full ? http::status::service_unavailable : http::status::internal_server_error,
                          "instantiation failed: " + inst.error().to_string());
    }
    box.instance.emplace(std::move(inst.value()));
    auto f = box.instance->func("_start");
    if (!f.ok()) return finish_error(http::status::internal_server_error, "the module has no _start");
    auto call = f->call_async({});
    if (!call.ok()) return finish_error(http::status::internal_server_error, call.error().to_string());
    box.call.emplace(std::move(call.value()));
    guest_start_ = Clock::now();
    drive();
  }

  // Runs the guest for one time slice; yields the thread between slices.
  void drive() {
    Sandbox& box = *box_;
    auto state = box.call->resume();
    if (state.ok() && *state == AsyncCall::State::Suspended) {
      if (Clock::now() >= deadline_) {
        box.call.reset();  // cancels the call
        return finish_error(http::status::gateway_timeout, "the handler ran past its deadline");
      }
      net::post(stream_.get_executor(), beast::bind_front_handler(&Session::drive, shared_from_this()));
      return;
    }
    if (!state.ok()) {
      const bool exited = box.wasi_ctx && wasi::exit_code(*box.wasi_ctx);
      if (!exited) {
        if (box.out_too_large) return finish_error(http::status::internal_server_error, "the response is over its size limit");
        const Error& e = state.error();
        return finish_error(http::status::internal_server_error,
                            "the handler trapped: " + e.message + (e.backtrace.empty() ? "" : "\n" + e.backtrace));
      }
    }
    if (box.out_too_large) return finish_error(http::status::internal_server_error, "the response is over its size limit");
    respond();
  }

  void respond() {
    Sandbox& box = *box_;
    if (!box.err.empty()) s_.log_guest(*route_, id_, box.err);
    std::string why;
    auto cgi = parse_cgi_response(box.out, &why);
    if (!cgi) return finish_error(http::status::internal_server_error, why);
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(cgi->status), version_);
    for (const auto& [k, v] : cgi->headers) {
      // Framing and connection headers are the server's: a handler must not be able to make
      // the response lie about its length or take over the connection.
      if (beast::iequals(k, "Content-Length") || beast::iequals(k, "Transfer-Encoding") ||
          beast::iequals(k, "Connection") || beast::iequals(k, "Keep-Alive") || beast::iequals(k, "Upgrade")) {
        continue;
      }
      res->insert(k, v);
    }
    res->body() = std::move(cgi->body);
    send(res);
  }

  // A failure of the handler: the reason goes to the log, a plain status to the client.
  void finish_error(http::status status, const std::string& why) {
    s_.log_guest(*route_, id_, (box_ && !box_->err.empty() ? box_->err : std::string()) + why);
    send_error(status, std::string(http::obsolete_reason(status)) + "\n");
  }

  void send_error(http::status status, std::string body) {
    auto res = std::make_shared<http::response<http::string_body>>(status, version_);
    res->set(http::field::content_type, "text/plain");
    res->body() = std::move(body);
    // After a malformed or oversized request the rest of the stream cannot be trusted.
    if (status == http::status::bad_request || status == http::status::payload_too_large ||
        status == http::status::request_header_fields_too_large) {
      keep_alive_ = false;
    }
    send(res);
  }

  void send(const std::shared_ptr<http::response<http::string_body>>& res) {
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    const auto status = res->result_int();
    const size_t bytes = res->body().size();
    if (box_ && route_) {
      route_->in_flight--;
      if (s_.config.log_requests) {
        const auto now = Clock::now();
        char line[512];
        std::snprintf(line, sizeof line,
                      "{\"time\":%lld,\"id\":%llu,\"route\":\"%s\",\"status\":%u,\"bytes\":%zu,\"total_us\":%llu,"
                      "\"instantiate_us\":%llu,\"guest_us\":%llu}\n",
                      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch())
                                                 .count()),
                      static_cast<unsigned long long>(id_), json_escape(route_->config.path).c_str(), status, bytes,
                      static_cast<unsigned long long>(micros(start_, now)),
                      static_cast<unsigned long long>(instantiate_us_),
                      static_cast<unsigned long long>(box_->call ? micros(guest_start_, now) : 0));
        s_.log_line(line);
      }
      box_.reset();  // the sandbox goes back to the pool before the response is written
    }
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec || !res->keep_alive() || self->s_.stopping) return self->close();
      self->route_ = nullptr;
      self->read_header();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }
};

Result<tcp::endpoint> parse_addr(const std::string& addr) {
  const size_t colon = addr.rfind(':');
  if (colon == std::string::npos) return make_error(ErrorKind::Usage, "--addr wants ADDRESS:PORT, got '" + addr + "'");
  boost::system::error_code ec;
  const auto ip = net::ip::make_address(addr.substr(0, colon), ec);
  char* end = nullptr;
  const unsigned long port = std::strtoul(addr.c_str() + colon + 1, &end, 10);
  if (ec || !end || *end || port > 65535 || colon + 1 == addr.size()) {
    return make_error(ErrorKind::Usage, "--addr wants ADDRESS:PORT, got '" + addr + "'");
  }
  return tcp::endpoint(ip, static_cast<uint16_t>(port));
}

}  // namespace

void Server::Impl::accept(Worker& w) {
  w.acceptor->async_accept(w.io, [this, &w](beast::error_code ec, tcp::socket socket) {
    if (stopping) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(*this, std::move(socket))->start();
    }
    accept(w);
  });
}

Result<std::unique_ptr<Server>> Server::create(ServerConfig config) {
  if (config.routes.empty()) return make_error(ErrorKind::Usage, "no routes: give a module or a config with routes");
  if (config.workers == 0) config.workers = std::max(1u, std::thread::hardware_concurrency());
  Config ec;
  ec.epoch_interruption = true;  // time slices and deadlines
  ec.memory_pool_slots = config.max_instances;
  ec.pool_instances = config.max_instances;
  ec.compile_timeout_ms = 300'000;
  ec.compile_memory_limit = 4ull << 30;
  for (const RouteConfig& r : config.routes) ec.consume_fuel |= r.fuel != 0;
  auto impl = std::make_unique<Impl>(config, ec);
  if (!impl->engine.state()) return make_error(ErrorKind::Other, "cannot create the engine");
  wasi::add_to_linker(impl->linker);
  for (const RouteConfig& rc : config.routes) {
    auto route = std::make_unique<Route>();
    route->config = rc;
    if (rc.path.empty() || rc.path[0] != '/') return make_error(ErrorKind::Usage, "route '" + rc.path + "' must start with /");
    if (rc.path.size() >= 4 && rc.path.compare(rc.path.size() - 4, 4, "/...") == 0) {
      route->wildcard = true;
      route->prefix = rc.path.substr(0, rc.path.size() - 4);
    }
    auto bytes = read_file(rc.module);
    if (!bytes.ok()) return bytes.take_error();
    auto m = compile_module(impl->engine, *bytes);
    if (!m.ok()) return make_error(m.error().kind, rc.module + ": " + m.error().to_string());
    route->module.emplace(std::move(m.value()));
    impl->max_request_body = std::max(impl->max_request_body, rc.max_request_body);
    impl->routes.push_back(std::move(route));
  }
  auto endpoint = parse_addr(config.addr);
  if (!endpoint.ok()) return endpoint.take_error();
  tcp::endpoint ep = *endpoint;
  for (unsigned i = 0; i < config.workers; ++i) {
    auto w = std::make_unique<Impl::Worker>();
    w->acceptor = std::make_unique<tcp::acceptor>(w->io);
    boost::system::error_code err;
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
      impl->port = ep.port();
    }
    impl->workers.push_back(std::move(w));
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;
uint16_t Server::port() const { return impl_->port; }

void Server::run() {
  Impl& s = *impl_;
  // The epoch clock: one tick a millisecond drives time slices and deadlines.
  std::thread ticker([&s] {
    while (!s.stopping) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      s.engine.increment_epoch();
    }
  });
  std::vector<std::thread> threads;
  for (auto& w : s.workers) {
    s.accept(*w);
    threads.emplace_back([&w] { w->io.run(); });
  }
  for (std::thread& t : threads) t.join();
  s.stopping = true;
  ticker.join();
}

void Server::stop() {
  impl_->stopping = true;
  for (auto& w : impl_->workers) w->io.stop();
}

}  // namespace atl::server
