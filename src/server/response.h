// An HTTP/1.x response head, written straight into a buffer: the server's responses are a
// status, a handful of headers the handler gave (already checked by parse_cgi_response: names
// are tokens, values hold no CR, LF or NUL) and a body of known length, so Beast's general
// serializer (a buffer sequence walked piece by piece) is more than they need.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "server/wagi.h"

namespace atl::server {

struct ResponseHead {
  unsigned version = 11;   // of the request: 10 or 11
  unsigned status = 200;
  bool keep_alive = true;
  bool head_request = false;  // HEAD: the length of the body that a GET would get, no body
  std::string_view date;      // an IMF-fixdate, or empty for no Date header
};

// Whether a response with this status and request method carries a body (RFC 9110 6.4.1).
bool response_has_body(const ResponseHead& h);

// Appends the status line, `headers` (minus the framing and connection ones, which are the
// server's: Content-Length, Transfer-Encoding, Connection, Keep-Alive, Upgrade; and Date when
// `h.date` is given), Content-Length, Connection and Date, and the blank line.
void format_head(std::string& out, const ResponseHead& h, const Headers& headers, size_t body_length);

// RFC 9110 5.6.7: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::time_t t);

}  // namespace atl::server
