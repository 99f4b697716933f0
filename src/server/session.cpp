// One client connection: read a request (with size and time limits), run its handler in a fresh
// sandbox on a fiber, write the response, repeat while the connection is kept alive. Everything
// runs on the worker's thread; the guest gives the thread back every time slice, and while it
// sleeps (WASI poll_oneoff on clocks) the session waits on a timer instead.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <optional>

#include "server/response.h"
#include "server/state.h"
#include "server/wagi.h"
#include "support/process.h"

namespace atl::server {

namespace beast = boost::beast;
namespace http = beast::http;

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
  Session(ServerState& s, Worker& w, Socket socket) : s_(s), w_(w), socket_(std::move(socket)), timer_(w.io) {
    w_.connections.insert(this);
    s_.metrics.connections++;
  }
  ~Session() override {
    w_.connections.erase(this);
    w_.load--;
    s_.metrics.connections--;
    // The last connection of a draining worker: nothing is left to wait for.
    if (s_.draining && w_.connections.empty() && w_.drained) {
      if (w_.drain_deadline) w_.drain_deadline->cancel();
      if (w_.sweep) w_.sweep->cancel();
    }
  }

  void start() { read_header(); }

  void close_if_idle() override {
    if (waiting_idle_) {
      beast::error_code ec;
      socket_.cancel(ec);
    }
  }

  void expire_if_due(Clock::time_point now) override {
    if (now < io_deadline_) return;
    io_deadline_ = Clock::time_point::max();
    beast::error_code ec;
    socket_.cancel(ec);  // the pending read or write ends with operation_aborted: closed there
  }

 private:
  static constexpr size_t kReadChunk = 16 << 10;

  ServerState& s_;
  Worker& w_;
  Socket socket_;
  Timer timer_;  // a sleeping guest's wake-up
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool header_seen_ = false;  // on_header ran for the request being read
  // When the read or write in progress is cut off (the worker's sweep checks it).
  Clock::time_point io_deadline_ = Clock::time_point::max();
  bool waiting_idle_ = false;  // kept alive, no byte of the next request yet
  bool served_one_ = false;
  std::optional<std::string> remote_addr_;
  // The response being written: its head and body.
  std::string head_, body_;
  // The request being served.
  std::shared_ptr<const Generation> gen_;
  Route* route_ = nullptr;
  uint64_t id_ = 0;
  Clock::time_point start_, deadline_;
  uint64_t instantiate_us_ = 0;
  Clock::time_point guest_start_;
  std::unique_ptr<Sandbox> box_;
  bool keep_alive_ = false;
  bool head_request_ = false;
  unsigned version_ = 11;
  Failure failure_ = Failure::None;
  uint32_t trap_code_ = 0;

  // A kept-alive connection may wait idle_timeout_ms for its next request; once its first
  // byte is in, the rest of the request must come within header_timeout_ms.
  void read_header() {
    gen_ = s_.generation();
    parser_.emplace();
    parser_->header_limit(s_.config.header_limit);
    parser_->body_limit(gen_->max_request_body);  // narrowed to the route's once it is known
    parser_->eager(false);  // stop after the head: the route decides the body's limit
    header_seen_ = false;
    if (served_one_ && buffer_.size() == 0) {
      if (s_.draining) return close();
      waiting_idle_ = true;
      io_deadline_ = Clock::now() + std::chrono::milliseconds(s_.config.idle_timeout_ms);
      return read_some();
    }
    io_deadline_ = Clock::now() + std::chrono::milliseconds(s_.config.header_timeout_ms);
    if (buffer_.size() > 0) return parse();  // pipelined: the next request is already here
    read_some();
  }

  void read_some() {
    socket_.async_read_some(buffer_.prepare(kReadChunk), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->on_read(ec, n);
    });
  }

  void on_read(beast::error_code ec, size_t n) {
    w_.guests.note_activity();
    if (waiting_idle_) {
      waiting_idle_ = false;
      io_deadline_ = Clock::now() + std::chrono::milliseconds(s_.config.header_timeout_ms);
    }
    // Closed, reset, timed out, or cancelled by a drain: a half-sent request is dropped too.
    if (ec) return close();
    buffer_.commit(n);
    parse();
  }

  // Feeds what has arrived to Beast's parser: the head, then (its limit set by the route) the
  // body; reads more while it needs more.
  void parse() {
    for (;;) {
      beast::error_code ec;
      const size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) break;
      if (ec) return fail_read(ec);
      if (parser_->is_header_done() && !header_seen_) {
        header_seen_ = true;
        if (!on_header()) return;
        parser_->eager(true);
        if (!parser_->is_done() && expects_continue()) return send_continue();
      }
      if (parser_->is_done()) {
        io_deadline_ = Clock::time_point::max();
        return run_request();
      }
      if (used == 0 || buffer_.size() == 0) break;
    }
    read_some();
  }

  // Routes the request once its head is in; false when it was answered (404, 413).
  bool on_header() {
    const auto& req = parser_->get();
    const std::string_view target(req.target().data(), req.target().size());
    const std::string path(target.substr(0, target.find('?')));
    route_ = gen_->route_for(path);
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    head_request_ = req.method() == http::verb::head;
    if (!route_) {
      s_.no_route->record(404, 0);
      send_error(http::status::not_found, "no route for " + path + "\n");
      return false;
    }
    // Checked here as well: the parser compared a declared length with the limit before the
    // route, and so its own, was known.
    const uint64_t limit = route_->config.max_request_body;
    if (parser_->content_length() && *parser_->content_length() > limit) {
      send_error(http::status::payload_too_large, "request body too large\n");
      return false;
    }
    parser_->body_limit(limit);
    return true;
  }

  bool expects_continue() const {
    const auto& req = parser_->get();
    return version_ == 11 && beast::iequals(req[http::field::expect], "100-continue");
  }

  // RFC 9110 10.1.1: the client waits for this before it sends the body.
  void send_continue() {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    io_deadline_ = Clock::now() + std::chrono::milliseconds(s_.config.header_timeout_ms);
    net::async_write(socket_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->w_.guests.note_activity();
                       if (ec) return self->close();
                       if (self->buffer_.size() > 0) return self->parse();
                       self->read_some();
                     });
  }

  // Parse errors: a bad request gets its status and the connection closes.
  void fail_read(beast::error_code ec) {
    keep_alive_ = false;
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
      const auto remote = socket_.remote_endpoint(ec);
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
    auto ctx = wasi::attach(store, std::move(wc));
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
        // The slice is measured in wall-clock ticks, so a short handler whose thread the OS
        // preempted yields too: in its first few slices a guest takes its turn in order with
        // the connection work already queued. Past them it is CPU-bound, and connection work on
        // this thread goes first (see scheduler.h).
        const auto interactive = std::chrono::milliseconds(5 * s_.config.time_slice_ms);
        if (Clock::now() - guest_start_ < interactive) {
          net::post(w_.io, [self = shared_from_this()] { self->drive(); });
        } else {
          w_.guests.schedule([self = shared_from_this()] { self->drive(); });
        }
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
    // An interim status would leave the client waiting for a final response that never comes.
    if (cgi->status < 200) {
      return finish_error(http::status::internal_server_error,
                          "the handler printed an interim Status " + std::to_string(cgi->status));
    }
    send(cgi->status, cgi->headers, std::move(cgi->body));
  }

  // A failure of the handler: the reason goes to the log, a plain status to the client.
  void finish_error(http::status status, const std::string& why) {
    s_.log_guest(route_->config.path, id_, (box_ && !box_->err.empty() ? box_->err : std::string()) + why);
    send_error(status, std::string(http::obsolete_reason(status)) + "\n");
  }

  void send_error(http::status status, std::string body) {
    // After a malformed or oversized request the rest of the stream cannot be trusted.
    if (status == http::status::bad_request || status == http::status::payload_too_large ||
        status == http::status::request_header_fields_too_large) {
      keep_alive_ = false;
    }
    static const Headers kPlain = {{"Content-Type", "text/plain"}};
    send(static_cast<unsigned>(status), kPlain, std::move(body));
  }

  void send(unsigned status, const Headers& headers, std::string body) {
    if (s_.unready) keep_alive_ = false;
    ResponseHead h;
    h.version = version_;
    h.status = status;
    h.keep_alive = keep_alive_;
    h.head_request = head_request_;
    h.date = worker_date();
    head_.clear();
    format_head(head_, h, headers, body.size());
    body_ = response_has_body(h) ? std::move(body) : std::string();
    if (box_ && route_) finish_request(status, body_.size());
    // A client that does not read its response is cut off after idle_timeout_ms.
    io_deadline_ = Clock::now() + std::chrono::milliseconds(s_.config.idle_timeout_ms);
    const std::array<net::const_buffer, 2> out = {net::buffer(head_), net::buffer(body_)};
    net::async_write(socket_, out, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->w_.guests.note_activity();
      self->io_deadline_ = Clock::time_point::max();
      if (ec || !self->keep_alive_) return self->close();
      self->route_ = nullptr;
      self->gen_.reset();
      self->served_one_ = true;
      self->body_.clear();
      self->read_header();
    });
  }

  // The worker's Date header, formatted again when the second changes.
  std::string_view worker_date() {
    const std::time_t now = std::time(nullptr);
    if (now != w_.date_second) {
      w_.date_second = now;
      w_.date = http_date(now);
    }
    return w_.date;
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
    io_deadline_ = Clock::time_point::max();
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    socket_.close(ec);
  }
};

}  // namespace

void start_session(ServerState& s, Worker& w, Socket socket) {
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
