// libFuzzer target: what a hostile handler prints (its CGI response) and what a hostile client
// sends (target, headers) through the WAGI translation. Never a crash; a parsed response always
// has a valid status.
#include <cstddef>
#include <cstdint>
#include <string>

#include "server/wagi.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  std::string why;
  if (auto r = atl::server::parse_cgi_response(in, &why)) {
    if (r->status < 100 || r->status > 599) __builtin_trap();
  } else if (why.empty()) {
    __builtin_trap();
  }
  // The same bytes as a request: target up to the first newline, then header lines.
  atl::server::CgiRequest req;
  const size_t nl = in.find('\n');
  req.target = in.substr(0, nl);
  for (size_t pos = nl; pos != std::string::npos && pos < in.size();) {
    const size_t next = in.find('\n', pos + 1);
    const std::string line = in.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) req.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    pos = next;
  }
  (void)atl::server::cgi_environment(req, {"/x/...", "/m.wasm", "/x"});
  (void)atl::server::cgi_arguments(req);
  return 0;
}
