// One client connection: read a request (with size and time limits), run its handler in a fresh
// sandbox on a fiber, write the response, repeat while the connection is kept alive. Everything
// runs on the worker's thread; the guest gives the thread back every time slice, and while it
// sleeps (WASI poll_oneoff on clocks) the session waits on a timer instead.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdio>
#include <optional>

#include "server/state.h"
#include "server/wagi.h"
#include "support/process.h"

namespace atl::server {

namespace beast = boost::beast;
namespace http = beast::http;
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

// One request's sandbox: a store, WASI with in-memory stdio, `_start` as an async call.
struct Sandbox {
  explicit Sandbox(Metrics& m) : metrics(m) {}
  ~Sandbox() {
    call.reset();  // cancels an unfinished call while its store is alive
    instance.reset();
    if (store) metrics.live_instances--;
  }
  Metrics& metrics;
  std::optional<TempDir> scratch;  // removed with the sandbox (declared first: destroyed last)
  std::optional<Store> store;
  std::optional<Instance> instance;
  std::optional<AsyncCall> call;
  std::shared_ptr<wasi::Context> wasi_ctx;
  std::string out, err;
  bool out_too_large = false;
};

enum class Failure { None, Trap, Deadline };

class Session : public Connection, public std::enable_shared_from_this<Session> {
 public:
  Session(ServerState& s, Worker& w, tcp::socket socket)
      : s_(s), w_(w), stream_(std::move(socket)), timer_(w.io) {
    w_.connections.insert(this);
    s_.metrics.connections++;
  }
  ~Session() override {
    w_.connections.erase(this);
    s_.metrics.connections--;
    // The last connection of a draining worker: nothing is left to wait for.
    if (s_.draining && w_.connections.empty() && w_.drain_deadline) w_.drain_deadline->cancel();
  }

  void start() { read_header(); }

  void close_if_idle() override {
    if (waiting_idle_) {
      beast::error_code ec;
      stream_.socket().cancel(ec);
    }
  }

 private:
  ServerState& s_;
  Worker& w_;
  beast::tcp_stream stream_;
  net::steady_timer timer_;  // a sleeping guest's wake-up
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool waiting_idle_ = false;  // kept alive, no byte of the next request yet
  bool served_one_ = false;
  std::optional<std::string> remote_addr_;
  // The request being served.
  std::shared_ptr<const Generation> gen_;
  Route* route_ = nullptr;
  uint64_t id_ = 0;
  Clock::time_point start_, deadline_;
  uint64_t instantiate_us_ = 0;
  Clock::time_point guest_start_;
  std::unique_ptr<Sandbox> box_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
  Failure failure_ = Failure::None;
  uint32_t trap_code_ = 0;

  // A kept-alive connection may wait idle_timeout_ms for its next request; once its first
  // byte is in, the rest of the head must come within header_timeout_ms.
  void read_header() {
    if (served_one_ && buffer_.size() == 0) {
      if (s_.draining) return close();
      waiting_idle_ = true;
      stream_.expires_after(std::chrono::milliseconds(s_.config.idle_timeout_ms));
      stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, size_t n) {
        self->w_.guests.note_activity();
        self->waiting_idle_ = false;
        if (ec) return self->close();
        self->buffer_.commit(n);
        self->read_head();
      });
      return;
    }
    read_head();
  }

  void read_head() {
    gen_ = s_.generation();
    parser_.emplace();
    parser_->header_limit(s_.config.header_limit);
    parser_->body_limit(gen_->max_request_body);  // narrowed to the route's once it is known
    stream_.expires_after(std::chrono::milliseconds(s_.config.header_timeout_ms));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, size_t) {
    w_.guests.note_activity();
    if (ec) return fail_read(ec);
    const auto& req = parser_->get();
    const std::string_view target(req.target().data(), req.target().size());
    const std::string path(target.substr(0, target.find('?')));
    route_ = gen_->route_for(path);
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    if (!route_) {
      s_.no_route->record(404, 0);
      return send_error(http::status::not_found, "no route for " + path + "\n");
    }
    // Checked here as well: the parser compared a declared length with the limit before the
    // route, and so its own, was known.
    const uint64_t limit = route_->config.max_request_body;
    if (parser_->content_length() && *parser_->content_length() > limit) {
      return send_error(http::status::payload_too_large, "request body too large\n");
    }
    parser_->body_limit(limit);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_body, shared_from_this()));
  }

  void on_body(beast::error_code ec, size_t) {
    w_.guests.note_activity();
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
    failure_ = Failure::None;
    guest_start_ = {};
    if (route.config.max_concurrency && route.in_flight.load() >= route.config.max_concurrency) {
      route.metrics->record(503, 0);
      return send_error(http::status::service_unavailable, "too many concurrent requests for this route\n");
    }
    route.in_flight++;
    s_.metrics.in_flight++;
    box_ = std::make_unique<Sandbox>(s_.metrics);
    Sandbox& box = *box_;

    CgiRequest cgi;
    cgi.method = std::string(req.method_string());
    cgi.target = std::string(req.target());
    cgi.protocol = version_ == 10 ? "HTTP/1.0" : "HTTP/1.1";
    for (const auto& f : req) cgi.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    if (!remote_addr_) {  // once per connection
      beast::error_code ec;
      const auto remote = stream_.socket().remote_endpoint(ec);
      remote_addr_ = ec ? "" : remote.address().to_string();
    }
    cgi.remote_addr = *remote_addr_;
    const std::string host(req[http::field::host]);
    cgi.server_name = host.substr(0, host.rfind(':') == std::string::npos ? host.size() : host.rfind(':'));
    if (cgi.server_name.empty()) cgi.server_name = "localhost";
    cgi.server_port = s_.port;
    cgi.content_length = req.body().size();
    const CgiRoute cgi_route{route.config.path, route.config.module, route.prefix};

    box.store.emplace(s_.engine);
    s_.metrics.live_instances++;
    Store& store = *box.store;
    Store::Limits limits;
    limits.max_memory_bytes = route.config.max_memory_bytes;
    store.set_limits(std::move(limits));
    store.set_epoch_yield(s_.config.time_slice_ms);
    store.set_epoch_deadline(s_.config.time_slice_ms);
    // A server started with metering for some routes meters all; the others get all they want.
    if (s_.engine.config().consume_fuel) store.set_fuel(route.config.fuel ? route.config.fuel : ~uint64_t{0} >> 1);
    wasi::Config wc;
    wc.args = cgi_arguments(cgi);
    wc.env = cgi_environment(cgi, cgi_route);
    wc.env.insert(wc.env.end(), route.config.env.begin(), route.config.env.end());
    wc.preopens = route.config.dirs;
    wc.suspend_sleeps = true;
    if (route.config.scratch) {
      auto dir = TempDir::create("atoll-scratch-");
      if (!dir.ok()) return finish_error(http::status::internal_server_error, "no scratch directory: " + dir.error().message);
      box.scratch.emplace(std::move(dir.value()));
      wc.preopens.push_back({box.scratch->path(), "/scratch"});
    }
    wc.stdin_data = std::move(parser_->get().body());
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
    auto inst = s_.linker.instantiate(store, route.module);
    instantiate_us_ = micros(start_, Clock::now());
    route.metrics->instantiate_us.fetch_add(instantiate_us_, std::memory_order_relaxed);
    route.metrics->instantiations.fetch_add(1, std::memory_order_relaxed);
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

  // Runs the guest until it yields (its time slice is over), sleeps or ends.
  void drive() {
    Sandbox& box = *box_;
    auto state = box.call->resume();
    if (state.ok() && *state == AsyncCall::State::Suspended) {
      if (Clock::now() >= deadline_) return deadline_passed();
      const uint64_t value = box.call->suspended_value();
      if (value == AsyncCall::kEpochYield) {
        // Its slice is over: connection work on this thread goes first.
        w_.guests.schedule([self = shared_from_this()] { self->drive(); });
        return;
      }
      // A sleep until `value` (CLOCK_MONOTONIC ns, which is steady_clock's) or the deadline.
      const auto wake = Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(value)));
      timer_.expires_at(std::min(wake, deadline_));
      timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (ec) return;  // the connection is going away; the sandbox goes with it
        if (Clock::now() >= self->deadline_) return self->deadline_passed();
        self->drive();
      });
      return;
    }
    if (!state.ok()) {
      const bool exited = box.wasi_ctx && wasi::exit_code(*box.wasi_ctx);
      if (!exited) {
        if (box.out_too_large) return finish_error(http::status::internal_server_error, "the response is over its size limit");
        const Error& e = state.error();
        failure_ = Failure::Trap;
        trap_code_ = e.kind == ErrorKind::Trap ? e.trap_code : 0;
        return finish_error(http::status::internal_server_error,
                            "the handler trapped: " + e.message + (e.backtrace.empty() ? "" : "\n" + e.backtrace));
      }
    }
    if (box.out_too_large) return finish_error(http::status::internal_server_error, "the response is over its size limit");
    respond();
  }

  void deadline_passed() {
    box_->call.reset();  // cancels the call
    failure_ = Failure::Deadline;
    finish_error(http::status::gateway_timeout, "the handler ran past its deadline");
  }

  void respond() {
    Sandbox& box = *box_;
    if (!box.err.empty()) s_.log_guest(route_->config.path, id_, box.err);
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
    s_.log_guest(route_->config.path, id_, (box_ && !box_->err.empty() ? box_->err : std::string()) + why);
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
    if (s_.unready) keep_alive_ = false;
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    if (box_ && route_) finish_request(res->result_int(), res->body().size());
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      self->w_.guests.note_activity();
      if (ec || !res->keep_alive()) return self->close();
      self->route_ = nullptr;
      self->gen_.reset();
      self->served_one_ = true;
      self->read_header();
    });
  }

  // Accounts for the request and gives its sandbox back to the pool before the response is
  // written (a slow reader must not hold a sandbox).
  void finish_request(unsigned status, size_t bytes) {
    const auto now = Clock::now();
    const uint64_t total_us = micros(start_, now);
    const uint64_t guest_us = guest_start_ != Clock::time_point{} ? micros(guest_start_, now) : 0;
    RouteMetrics& m = *route_->metrics;
    m.record(status, total_us);
    if (failure_ == Failure::Trap) m.traps[trap_code_ < RouteMetrics::kTrapKinds ? trap_code_ : 0]++;
    if (failure_ == Failure::Deadline) m.deadlines++;
    route_->in_flight--;
    s_.metrics.in_flight--;
    if (s_.config.log_requests) {
      char line[512];
      const auto wall = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::system_clock::now().time_since_epoch());
      std::snprintf(line, sizeof line,
                    "{\"time\":%lld.%06lld,\"id\":%llu,\"route\":\"%s\",\"status\":%u,\"bytes\":%zu,\"total_us\":%llu,"
                    "\"instantiate_us\":%llu,\"guest_us\":%llu}\n",
                    static_cast<long long>(wall.count() / 1000000), static_cast<long long>(wall.count() % 1000000),
                    static_cast<unsigned long long>(id_), json_escape(route_->config.path).c_str(), status, bytes,
                    static_cast<unsigned long long>(total_us), static_cast<unsigned long long>(instantiate_us_),
                    static_cast<unsigned long long>(guest_us));
      s_.log_access(line);
    }
    box_.reset();
  }

  void close() {
    beast::error_code ec;
    timer_.cancel();
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }
};

}  // namespace

void start_session(ServerState& s, Worker& w, tcp::socket socket) {
  std::make_shared<Session>(s, w, std::move(socket))->start();
}

void ServerState::log_access(std::string_view line) {
  std::lock_guard<std::mutex> lock(log_mu);
  std::fwrite(line.data(), 1, line.size(), stdout);  // flushed by the ticker, every 100 ms
}

void ServerState::log_guest(std::string_view route, uint64_t id, std::string_view text) {
  std::lock_guard<std::mutex> lock(log_mu);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::fprintf(stderr, "[%.*s #%llu] %.*s\n", static_cast<int>(route.size()), route.data(),
                 static_cast<unsigned long long>(id), static_cast<int>(nl - pos), text.data() + pos);
    pos = nl + 1;
  }
}

}  // namespace atl::server
