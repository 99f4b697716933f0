#include "server/wagi.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace atl::server {
namespace {

bool has(const std::vector<std::string>& env, const std::string& line) {
  return std::find(env.begin(), env.end(), line) != env.end();
}

CgiRequest sample() {
  CgiRequest r;
  r.method = "POST";
  r.target = "/app/sub/p%20q?greet=matt+x&foo=b%26r&&empty=";
  r.headers = {{"Host", "foo.example.com:8080"}, {"User-Agent", "curl/8"}, {"X-Request-Id", "abc"},
               {"Content-Type", "text/plain"}, {"Authorization", "secret"}, {"Bad Name", "x"}};
  r.remote_addr = "127.0.0.1";
  r.server_name = "foo.example.com";
  r.server_port = 8080;
  r.content_length = 5;
  return r;
}

TEST(Wagi, EnvironmentHasEveryCgiVariable) {
  const auto env = cgi_environment(sample(), {"/app/...", "/srv/app.wasm", "/app"});
  for (const char* want :
       {"REQUEST_METHOD=POST", "PATH_INFO=/sub/p q", "X_RAW_PATH_INFO=/sub/p%20q", "QUERY_STRING=greet=matt+x&foo=b%26r&&empty=",
        "SCRIPT_NAME=/srv/app.wasm", "SERVER_NAME=foo.example.com", "SERVER_PORT=8080", "SERVER_PROTOCOL=HTTP/1.1",
        "CONTENT_LENGTH=5", "CONTENT_TYPE=text/plain", "REMOTE_ADDR=127.0.0.1", "GATEWAY_INTERFACE=CGI/1.1",
        "X_MATCHED_ROUTE=/app/...", "X_FULL_URL=http://foo.example.com:8080/app/sub/p%20q?greet=matt+x&foo=b%26r&&empty=",
        "HTTP_HOST=foo.example.com:8080", "HTTP_USER_AGENT=curl/8", "HTTP_X_REQUEST_ID=abc"}) {
    EXPECT_TRUE(has(env, want)) << want;
  }
  for (const auto& line : env) {
    EXPECT_EQ(line.find("secret"), std::string::npos) << "Authorization leaked: " << line;
    EXPECT_NE(line.rfind("HTTP_BAD", 0), 0u) << line;
    EXPECT_NE(line.rfind("HTTP_CONTENT_TYPE", 0), 0u) << line;
  }
}

TEST(Wagi, ExactRouteKeepsTheWholePath) {
  CgiRequest r = sample();
  r.target = "/env";
  const auto env = cgi_environment(r, {"/env", "/m.wasm", ""});
  EXPECT_TRUE(has(env, "PATH_INFO=/env"));
  EXPECT_TRUE(has(env, "QUERY_STRING="));
}

TEST(Wagi, ArgumentsArePathThenQueryParameters) {
  const auto args = cgi_arguments(sample());
  ASSERT_EQ(args.size(), 4u);
  EXPECT_EQ(args[0], "/app/sub/p q");
  EXPECT_EQ(args[1], "greet=matt x");
  EXPECT_EQ(args[2], "foo=b&r");
  EXPECT_EQ(args[3], "empty=");
}

TEST(Wagi, PercentDecodingKeepsInvalidEscapes) {
  EXPECT_EQ(percent_decode("a%2"), "a%2");
  EXPECT_EQ(percent_decode("%zz%41"), "%zzA");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
}

TEST(Wagi, ParsesDocumentRedirectAndStatusResponses) {
  std::string why;
  auto r = parse_cgi_response("Content-Type: text/plain\n\nhello\n", &why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body, "hello\n");
  ASSERT_EQ(r->headers.size(), 1u);
  EXPECT_EQ(r->headers[0].second, "text/plain");

  r = parse_cgi_response("Location: /elsewhere\r\nX-A: 1\r\n\r\n", &why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->status, 302u);

  r = parse_cgi_response("status: 418 I'm a teapot\ncontent-type: application/octet-stream\n\n\x01\x00\x02", &why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->status, 418u);
  EXPECT_EQ(r->headers.size(), 1u);  // Status is not passed on as a header
  EXPECT_EQ(r->body, std::string("\x01", 1));  // string_view literal stops at NUL: the rest is the test's
}

TEST(Wagi, RefusesResponsesWithoutAValidHeaderBlock) {
  for (const char* bad : {"", "hello world", "Content-Type: text/plain\nno blank line", "X-Only: 1\n\nbody",
                          ": empty name\n\n", "Status: 99\n\n", "Status: 2000\n\n", "Status: abc\n\n",
                          "Bad Header: x\n\n", "Content-Type: a\rb\n\n"}) {
    std::string why;
    EXPECT_FALSE(parse_cgi_response(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

}  // namespace
}  // namespace atl::server
