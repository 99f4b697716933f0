#include "atoll/result.h"

#include <cstdio>

namespace atl {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Malformed: return "malformed module";
    case ErrorKind::Invalid: return "invalid module";
    case ErrorKind::Io: return "i/o error";
    case ErrorKind::Usage: return "usage error";
    case ErrorKind::Link: return "link error";
    case ErrorKind::Trap: return "trap";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::Other: return "error";
  }
  return "error";
}

std::string Error::to_string() const {
  std::string out = error_kind_name(kind);
  char buf[64];
  if (func != kNoFunc) {
    std::snprintf(buf, sizeof buf, ": function %u", func);
    out += buf;
  }
  if (offset != kNoOffset) {
    std::snprintf(buf, sizeof buf, "%s at offset 0x%llx", func != kNoFunc ? "" : ":",
                  static_cast<unsigned long long>(offset));
    out += buf;
  }
  out += ": ";
  out += message;
  return out;
}

void throw_bad_result_access(const Error* error) {
  if (error) throw BadResultAccess("atoll: the value of a failed Result was used: " + error->to_string());
  throw BadResultAccess("atoll: the error of a successful Result was asked for");
}

}  // namespace atl
