#include "server/admin.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <unistd.h>

#include <thread>

namespace atl::server {

namespace beast = boost::beast;
namespace http = beast::http;

Result<tcp::endpoint> parse_endpoint(const std::string& addr, const char* what) {
  const size_t colon = addr.rfind(':');
  auto bad = [&] { return make_error(ErrorKind::Usage, std::string(what) + " wants ADDRESS:PORT, got '" + addr + "'"); };
  if (colon == std::string::npos || colon + 1 == addr.size()) return bad();
  std::string host = addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  const auto ip = net::ip::make_address(host, ec);
  char* end = nullptr;
  const unsigned long port = std::strtoul(addr.c_str() + colon + 1, &end, 10);
  if (ec || !end || *end || port > 65535) return bad();
  return tcp::endpoint(ip, static_cast<uint16_t>(port));
}

namespace {

class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  AdminSession(ServerState& s, tcp::socket socket) : s_(s), stream_(std::move(socket)) {}
  void start() {
    stream_.expires_after(std::chrono::seconds(10));
    http::async_read(stream_, buffer_, req_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (!ec) self->answer();
    });
  }

 private:
  ServerState& s_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;

  void answer() {
    const std::string_view target(req_.target().data(), req_.target().size());
    res_.version(req_.version());
    res_.keep_alive(false);
    res_.set(http::field::content_type, "text/plain; charset=utf-8");
    if (target == "/metrics") {
      res_.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res_.body() = s_.metrics.render();
    } else if (target == "/healthz") {
      res_.body() = "ok\n";
    } else if (target == "/readyz") {
      const bool ready = !s_.unready && s_.generation();
      res_.result(ready ? http::status::ok : http::status::service_unavailable);
      res_.body() = ready ? "ready\n" : "draining\n";
    } else {
      res_.result(http::status::not_found);
      res_.body() = "atoll admin: /metrics, /healthz, /readyz\n";
    }
    res_.prepare_payload();
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code, size_t) {
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    });
  }
};

}  // namespace

struct AdminServer::Impl {
  ServerState& state;
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
  explicit Impl(ServerState& s) : state(s) {}
  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) std::make_shared<AdminSession>(state, std::move(socket))->start();
      accept();
    });
  }
};

Result<std::unique_ptr<AdminServer>> AdminServer::create(ServerState& state, const std::string& addr, int inherited_fd) {
  if (inherited_fd >= 0) {
    auto impl = std::make_unique<Impl>(state);
    if (auto adopted = adopt(impl->acceptor, inherited_fd); !adopted.ok()) return adopted.take_error();
    close(inherited_fd);
    return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
  }
  auto ep = parse_endpoint(addr, "the admin address");
  if (!ep.ok()) return ep.take_error();
  auto impl = std::make_unique<Impl>(state);
  boost::system::error_code ec;
  impl->acceptor.open(ep->protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(*ep, ec);
  if (!ec) impl->acceptor.listen(64, ec);
  if (ec) return make_error(ErrorKind::Io, "cannot listen on " + addr + " (admin): " + ec.message());
  return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AdminServer::~AdminServer() { stop(); }
uint16_t AdminServer::port() const { return impl_->acceptor.local_endpoint().port(); }
std::string AdminServer::address() const {
  boost::system::error_code ec;
  return to_string(impl_->acceptor.local_endpoint(ec));
}

std::string to_string(const tcp::endpoint& ep) {
  const std::string host = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(ep.port());
}

void AdminServer::start() {
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

void AdminServer::stop() {
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace atl::server
