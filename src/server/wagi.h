// WAGI: CGI 1.1 (RFC 3875) over WASI, as deislabs' WAGI defines it. Pure functions, no I/O:
// from a request to the guest's environment and arguments, and from the guest's stdout to a
// response.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace atl::server {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct CgiRequest {
  std::string method;            // "GET"
  std::string target;            // "/env/x?greet=matt" as sent
  std::string protocol = "HTTP/1.1";
  Headers headers;
  std::string remote_addr;
  std::string server_name;       // the Host header without its port, else the listening address
  uint16_t server_port = 0;
  uint64_t content_length = 0;
};

struct CgiRoute {
  std::string matched_route;     // the route as configured ("/env" or "/static/...")
  std::string script_name;       // the module's path
  std::string prefix;            // the route's fixed part ("/static" for "/static/...")
};

// KEY=VALUE lines for the guest: the CGI meta-variables, WAGI's X_FULL_URL, X_MATCHED_ROUTE and
// X_RAW_PATH_INFO, and one HTTP_* per header (upper case, '-' as '_'; Authorization and
// Proxy-Authorization are withheld, as RFC 3875 4.1.18 allows, and headers whose names would
// collide with the meta-variables are dropped).
std::vector<std::string> cgi_environment(const CgiRequest& r, const CgiRoute& route);

// argv for the guest: the path, then each query parameter ("key=value", percent-decoded).
std::vector<std::string> cgi_arguments(const CgiRequest& r);

// %XX escapes decoded (invalid ones kept as they are); '+' is a space in query strings only.
std::string percent_decode(std::string_view s, bool plus_is_space = false);

struct CgiResponse {
  unsigned status = 200;
  Headers headers;  // as the guest gave them, minus Status
  std::string body;
};

// The guest's stdout as a CGI response (RFC 3875 6): header lines (LF or CRLF), a blank line,
// the body. Needs at least one of Content-Type, Location or Status; a Location without a Status
// is a 302. nullopt and a reason for anything else.
std::optional<CgiResponse> parse_cgi_response(std::string_view out, std::string* why);

}  // namespace atl::server
