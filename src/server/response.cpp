#include "server/response.h"

#include <boost/beast/http/status.hpp>

#include <charconv>
#include <ostream>
#include <cstdio>

namespace atl::server {

namespace http = boost::beast::http;

bool response_has_body(const ResponseHead& h) {
  return !h.head_request && h.status >= 200 && h.status != 204 && h.status != 304;
}

namespace {

void append_number(std::string& out, uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool server_owned(std::string_view name, bool own_date) {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") || iequals(name, "Connection") ||
         iequals(name, "Keep-Alive") || iequals(name, "Upgrade") || (own_date && iequals(name, "Date"));
}

}  // namespace

void format_head(std::string& out, const ResponseHead& h, const Headers& headers, size_t body_length) {
  out.append(h.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  append_number(out, h.status);
  out.push_back(' ');
  const auto reason = http::obsolete_reason(static_cast<http::status>(h.status));
  // An unregistered code gets an empty reason phrase (RFC 9112 4 allows it).
  if (http::to_status_class(h.status) != http::status_class::unknown && !reason.starts_with("<")) {
    out.append(reason.data(), reason.size());
  }
  out.append("\r\n");
  for (const auto& [name, value] : headers) {
    if (server_owned(name, !h.date.empty())) continue;
    out.append(name).append(": ").append(value).append("\r\n");
  }
  // 1xx, 204 and 304 have no body and so no length; HEAD gets the length GET would have.
  if (h.status >= 200 && h.status != 204 && h.status != 304) {
    out.append("Content-Length: ");
    append_number(out, body_length);
    out.append("\r\n");
  }
  if (h.version == 10 && h.keep_alive) out.append("Connection: keep-alive\r\n");
  if (h.version != 10 && !h.keep_alive) out.append("Connection: close\r\n");
  if (!h.date.empty()) out.append("Date: ").append(h.date).append("\r\n");
  out.append("\r\n");
}

std::string http_date(std::time_t t) {
  // Not strftime: its day and month names follow the process's locale.
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7], tm.tm_mday,
                kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace atl::server
