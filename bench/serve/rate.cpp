// atoll-rate: an open-loop load generator. Requests are scheduled at a fixed rate over N
// keep-alive connections (each carries one request at a time); a request that finds every
// connection busy waits, and its latency counts from when it was due, so a slow server cannot
// hide its queueing (no coordinated omission, unlike a closed loop such as wrk's).
//   atoll-rate PORT PATH CONNECTIONS RATE SECONDS [--host 127.0.0.1]
// Prints: achieved req/s, p50/p99/p99.9/max latency in ms, errors (a failed connection, a
// status other than 200, no answer within 10 s), and the count of requests answered with 200.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

class Rate {
 public:
  Rate(net::io_context& io, tcp::endpoint ep, std::string host, std::string path, size_t conns, double rate,
       double seconds)
      : io_(io), ep_(ep), host_(std::move(host)), path_(std::move(path)), rate_(rate), seconds_(seconds),
        ticker_(io) {
    for (size_t i = 0; i < conns; ++i) conns_.push_back(std::make_unique<Conn>(io));
  }

  void run() {
    connected_ = 0;
    for (size_t i = 0; i < conns_.size(); ++i) {
      conns_[i]->stream.async_connect(ep_, [this, i](beast::error_code ec) {
        if (ec) {
          ++errors_;
        } else {
          idle_.push_back(i);
        }
        if (++connected_ == conns_.size()) start();
      });
    }
    io_.run();
  }

  void report() const {
    std::vector<double> l = latencies_;
    std::sort(l.begin(), l.end());
    auto pct = [&](double p) { return l.empty() ? 0.0 : l[std::min(l.size() - 1, static_cast<size_t>(p * l.size()))]; };
    std::printf("RESULT rps=%.0f p50=%.2f p99=%.2f p999=%.2f max=%.2f errors=%zu ok=%zu\n", l.size() / seconds_,
                pct(0.5), pct(0.99), pct(0.999), l.empty() ? 0.0 : l.back(), errors_, l.size());
  }

 private:
  struct Conn {
    explicit Conn(net::io_context& io) : stream(io) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::empty_body> req;
    http::response<http::string_body> res;
  };
  net::io_context& io_;
  tcp::endpoint ep_;
  std::string host_, path_;
  double rate_, seconds_;
  net::steady_timer ticker_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::deque<size_t> idle_;
  std::deque<Clock::time_point> due_;  // requests waiting for a connection
  std::vector<double> latencies_;
  size_t connected_ = 0, errors_ = 0, issued_ = 0, in_flight_ = 0;
  bool finished_ = false;
  Clock::time_point start_, end_;

  void start() {
    start_ = Clock::now();
    end_ = start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds_));
    tick();
  }

  // Every 100 us: the requests that have come due since the last tick, each with its own time.
  void tick() {
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double>(std::min(now, end_) - start_).count();
    const auto target = static_cast<size_t>(elapsed * rate_);
    for (; issued_ < target; ++issued_) {
      due_.push_back(start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(issued_ / rate_)));
    }
    dispatch();
    if (now >= end_) {
      // Done when everything due is answered, or 10 s after the end (what is left: errors).
      if ((in_flight_ == 0 && due_.empty()) || now >= end_ + std::chrono::seconds(10)) {
        errors_ += due_.size() + in_flight_;
        return finish();
      }
    }
    ticker_.expires_after(std::chrono::microseconds(100));
    ticker_.async_wait([this](beast::error_code ec) {
      if (!ec) tick();
    });
  }

  void dispatch() {
    while (!due_.empty() && !idle_.empty()) {
      const size_t i = idle_.front();
      idle_.pop_front();
      const auto due = due_.front();
      due_.pop_front();
      send(i, due);
    }
  }

  void send(size_t i, Clock::time_point due) {
    Conn& c = *conns_[i];
    ++in_flight_;
    c.req = http::request<http::empty_body>(http::verb::get, path_, 11);
    c.req.set(http::field::host, host_);
    c.res = {};
    c.stream.expires_after(std::chrono::seconds(10));
    http::async_write(c.stream, c.req, [this, i, due](beast::error_code ec, size_t) {
      if (ec) return done(i, due, false);
      Conn& c = *conns_[i];
      http::async_read(c.stream, c.buffer, c.res, [this, i, due](beast::error_code ec2, size_t) {
        done(i, due, !ec2 && conns_[i]->res.result_int() == 200);
      });
    });
  }

  void done(size_t i, Clock::time_point due, bool ok) {
    --in_flight_;
    if (finished_) return;
    if (ok) latencies_.push_back(std::chrono::duration<double, std::milli>(Clock::now() - due).count());
    if (!ok) ++errors_;
    if (ok && conns_[i]->res.keep_alive()) {
      idle_.push_back(i);
      return dispatch();
    }
    // Closed by the server (nginx ends a connection after keepalive_requests) or failed: a new
    // connection takes its place; its setup counts in the latency of what waits meanwhile.
    Conn& c = *conns_[i];
    beast::error_code ec;
    c.stream.socket().close(ec);
    c.buffer.clear();
    c.stream.async_connect(ep_, [this, i](beast::error_code e) {
      if (finished_) return;
      if (e) {
        ++errors_;
        return;
      }
      idle_.push_back(i);
      dispatch();
    });
  }

  void finish() {
    finished_ = true;
    ticker_.cancel();
    for (auto& c : conns_) {
      beast::error_code ec;
      c->stream.socket().close(ec);
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: atoll-rate PORT PATH CONNECTIONS RATE SECONDS [--host ADDR]\n");
    return 2;
  }
  std::string host = "127.0.0.1";
  if (argc == 8 && !std::strcmp(argv[6], "--host")) host = argv[7];
  const auto port = static_cast<uint16_t>(std::atoi(argv[1]));
  net::io_context io{1};
  Rate r(io, tcp::endpoint(net::ip::make_address(host), port), host + ":" + argv[1], argv[2],
         static_cast<size_t>(std::atol(argv[3])), std::atof(argv[4]), std::atof(argv[5]));
  r.run();
  r.report();
  return 0;
}
