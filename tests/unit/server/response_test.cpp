#include "server/response.h"

#include <gtest/gtest.h>

namespace atl::server {
namespace {

std::string head(const ResponseHead& h, const Headers& headers, size_t length) {
  std::string out;
  format_head(out, h, headers, length);
  return out;
}

TEST(ResponseHead, StatusHeadersLengthAndDate) {
  ResponseHead h;
  h.date = "Fri, 04 Dec 2026 22:00:00 GMT";
  EXPECT_EQ(head(h, {{"Content-Type", "text/plain"}, {"X-A", "b"}}, 5),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A: b\r\nContent-Length: 5\r\n"
            "Date: Fri, 04 Dec 2026 22:00:00 GMT\r\n\r\n");
}

TEST(ResponseHead, FramingAndConnectionHeadersAreTheServers) {
  ResponseHead h;
  h.keep_alive = false;
  const Headers handler = {{"content-length", "999"}, {"Transfer-Encoding", "chunked"}, {"CONNECTION", "keep-alive"},
                           {"Keep-Alive", "timeout=5"}, {"Upgrade", "h2c"}, {"Date", "yesterday"}, {"Location", "/x"}};
  EXPECT_EQ(head(h, handler, 0), "HTTP/1.1 200 OK\r\nDate: yesterday\r\nLocation: /x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  h.date = "Fri, 04 Dec 2026 22:00:00 GMT";
  EXPECT_EQ(head(h, {{"Date", "yesterday"}}, 0).find("yesterday"), std::string::npos) << "the server's Date wins";
}

TEST(ResponseHead, Http10KeepAliveIsExplicit) {
  ResponseHead h;
  h.version = 10;
  EXPECT_EQ(head(h, {}, 2), "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n");
  h.keep_alive = false;
  EXPECT_EQ(head(h, {}, 2), "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n");
}

TEST(ResponseHead, BodilessStatusesAndHead) {
  ResponseHead h;
  h.status = 204;
  EXPECT_EQ(head(h, {}, 0), "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_FALSE(response_has_body(h));
  h.status = 304;
  EXPECT_FALSE(response_has_body(h));
  h.status = 200;
  h.head_request = true;
  EXPECT_FALSE(response_has_body(h));
  EXPECT_EQ(head(h, {}, 35), "HTTP/1.1 200 OK\r\nContent-Length: 35\r\n\r\n") << "HEAD: the length GET would get";
  h.head_request = false;
  EXPECT_TRUE(response_has_body(h));
}

TEST(ResponseHead, UnregisteredStatusHasAnEmptyReason) {
  ResponseHead h;
  h.status = 299;
  EXPECT_EQ(head(h, {}, 0).substr(0, 15), "HTTP/1.1 299 \r\n");
  h.status = 418;
  EXPECT_EQ(head(h, {}, 0).substr(0, 15), "HTTP/1.1 418 \r\n") << "a code Beast has no reason for";
}

TEST(HttpDate, ImfFixdate) {
  EXPECT_EQ(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
  EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

}  // namespace
}  // namespace atl::server
