// atoll-burst: N concurrent requests, all sent at the same moment, each on its own connection.
// Connections are opened first (a bounded number at a time, so the listen backlog never
// overflows into SYN retries), then every request is written at once; the report says how many
// got a 200 (and, with --echo, exactly their own body back) and how long until the last answer.
//   atoll-burst PORT PATH CONNECTIONS [--echo] [--timeout-ms T] [--host 127.0.0.1]
// Exit status: 0 when every request succeeded, 1 otherwise.
#include <sys/resource.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string path;
  size_t connections = 0;
  bool echo = false;
  unsigned timeout_ms = 30'000;
};

struct Result {
  bool connected = false, ok = false;
  double ms = 0;
  std::string why;
};

class Burst {
 public:
  Burst(net::io_context& io, const Options& o) : io_(io), o_(o), results_(o.connections) {
    endpoint_ = tcp::endpoint(net::ip::make_address(o.host), o.port);
  }

  void run() {
    for (size_t i = 0; i < o_.connections; ++i) conns_.push_back(std::make_unique<Conn>(io_));
    for (size_t i = 0; i < std::min<size_t>(500, o_.connections); ++i) connect_next();
    io_.run();
  }

  const std::vector<Result>& results() const { return results_; }
  double elapsed_ms() const { return last_ms_; }

 private:
  struct Conn {
    explicit Conn(net::io_context& io) : stream(io) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::response<http::string_body> res;
  };
  net::io_context& io_;
  Options o_;
  tcp::endpoint endpoint_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<Result> results_;
  size_t next_connect_ = 0, connected_ = 0;
  Clock::time_point start_;
  double last_ms_ = 0;

  static std::string body_for(size_t i) { return "request-" + std::to_string(i); }

  void connect_next() {
    if (next_connect_ >= conns_.size()) return;
    const size_t i = next_connect_++;
    conns_[i]->stream.async_connect(endpoint_, [this, i](beast::error_code ec) {
      if (ec) {
        results_[i].why = "connect: " + ec.message();
      } else {
        results_[i].connected = true;
      }
      if (++connected_ == conns_.size()) fire();
      connect_next();
    });
  }

  // Every request at once, timed from here.
  void fire() {
    start_ = Clock::now();
    for (size_t i = 0; i < conns_.size(); ++i) {
      if (!results_[i].connected) continue;
      Conn& c = *conns_[i];
      c.req = http::request<http::string_body>(o_.echo ? http::verb::post : http::verb::get, o_.path, 11);
      c.req.set(http::field::host, o_.host + ":" + std::to_string(o_.port));
      if (o_.echo) c.req.body() = body_for(i);
      c.req.prepare_payload();
      c.stream.expires_after(std::chrono::milliseconds(o_.timeout_ms));
      http::async_write(c.stream, c.req, [this, i](beast::error_code ec, size_t) {
        if (ec) return done(i, "write: " + ec.message());
        Conn& c = *conns_[i];
        http::async_read(c.stream, c.buffer, c.res, [this, i](beast::error_code ec2, size_t) {
          if (ec2) return done(i, "read: " + ec2.message());
          const auto& res = conns_[i]->res;
          if (res.result_int() != 200) return done(i, "status " + std::to_string(res.result_int()));
          if (o_.echo && res.body() != body_for(i)) return done(i, "body '" + res.body().substr(0, 40) + "'");
          done(i, "");
        });
      });
    }
  }

  void done(size_t i, std::string why) {
    Result& r = results_[i];
    r.ms = std::chrono::duration<double, std::milli>(Clock::now() - start_).count();
    r.ok = why.empty();
    r.why = std::move(why);
    last_ms_ = std::max(last_ms_, r.ms);
    beast::error_code ec;
    conns_[i]->stream.socket().close(ec);
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: atoll-burst PORT PATH CONNECTIONS [--echo] [--timeout-ms T] [--host ADDR]\n");
    return 2;
  }
  Options o;
  o.port = static_cast<uint16_t>(std::atoi(argv[1]));
  o.path = argv[2];
  o.connections = static_cast<size_t>(std::atol(argv[3]));
  for (int i = 4; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--echo")) {
      o.echo = true;
    } else if (!std::strcmp(argv[i], "--timeout-ms") && i + 1 < argc) {
      o.timeout_ms = static_cast<unsigned>(std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--host") && i + 1 < argc) {
      o.host = argv[++i];
    } else {
      std::fprintf(stderr, "atoll-burst: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  net::io_context io{1};
  Burst burst(io, o);
  burst.run();
  size_t ok = 0;
  std::vector<double> times;
  const Result* first_failure = nullptr;
  for (const Result& r : burst.results()) {
    if (r.ok) {
      ++ok;
      times.push_back(r.ms);
    } else if (!first_failure) {
      first_failure = &r;
    }
  }
  std::sort(times.begin(), times.end());
  auto pct = [&](double p) { return times.empty() ? 0.0 : times[std::min(times.size() - 1, size_t(p * times.size()))]; };
  std::printf("requests %zu ok %zu failed %zu last_answer_ms %.1f p50_ms %.1f p99_ms %.1f\n", o.connections, ok,
              o.connections - ok, burst.elapsed_ms(), pct(0.5), pct(0.99));
  if (first_failure) std::printf("first failure: %s\n", first_failure->why.c_str());
  return ok == o.connections ? 0 : 1;
}
