#include "support/units.h"

#include <cmath>
#include <cstdio>

namespace atl::units {

namespace {

Error refused(std::string_view text, const char* expected) {
  return make_error(ErrorKind::Usage, "'" + std::string(text) + "' is not " + expected);
}

bool is_lower(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

// Digits of `base` with '_' only between two digits; false on anything else or on overflow.
bool accumulate(std::string_view digits, unsigned base, uint64_t& out) {
  if (digits.empty() || digits.front() == '_' || digits.back() == '_') return false;
  uint64_t v = 0;
  char prev = 0;
  for (char c : digits) {
    if (c == '_') {
      if (prev == '_') return false;
      prev = c;
      continue;
    }
    unsigned d;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    else return false;
    if (d >= base) return false;
    if (v > (UINT64_MAX - d) / base) return false;
    v = v * base + d;
    prev = c;
  }
  out = v;
  return true;
}

// The magnitude of an unsigned decimal or 0x number.
bool magnitude(std::string_view text, uint64_t& out) {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) return accumulate(text.substr(2), 16, out);
  return accumulate(text, 10, out);
}

}  // namespace

Result<uint64_t> parse_integer(std::string_view text, unsigned bits) {
  const char* what = bits == 32 ? "a 32-bit integer (decimal, or hex after 0x)" : "a 64-bit integer (decimal, or hex after 0x)";
  std::string_view body = text;
  bool negative = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  uint64_t m = 0;
  if (!magnitude(body, m)) return refused(text, what);
  const uint64_t unsigned_max = bits >= 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
  const uint64_t negative_max = uint64_t{1} << (bits - 1);  // |INT_MIN|
  if (negative ? m > negative_max : m > unsigned_max) {
    return make_error(ErrorKind::Usage, "'" + std::string(text) + "' is out of range for a " + std::to_string(bits) +
                                            "-bit integer");
  }
  uint64_t v = negative ? ~m + 1 : m;
  if (bits < 64) v &= unsigned_max;
  return v;
}

Result<uint64_t> parse_count(std::string_view text, uint64_t max) {
  uint64_t v = 0;
  if (!magnitude(text, v)) return refused(text, "a whole number");
  if (v > max) return make_error(ErrorKind::Usage, "'" + std::string(text) + "' is more than " + std::to_string(max));
  return v;
}

Result<uint64_t> parse_bytes(std::string_view text) {
  size_t split = text.size();
  while (split > 0 && ((text[split - 1] >= 'a' && text[split - 1] <= 'z') || (text[split - 1] >= 'A' && text[split - 1] <= 'Z'))) {
    --split;
  }
  // "0x10" ends in digits, never in a suffix; "0x1G" is refused as hex with junk.
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) split = text.size();
  const std::string_view number = text.substr(0, split), suffix = text.substr(split);
  uint64_t v = 0;
  if (!magnitude(number, v)) return refused(text, "a size in bytes (e.g. 65536, 64KiB, 4MiB, 1GiB)");
  unsigned shift = 0;
  if (suffix.empty() || is_lower(suffix, "b")) shift = 0;
  else if (is_lower(suffix, "k") || is_lower(suffix, "kb") || is_lower(suffix, "kib")) shift = 10;
  else if (is_lower(suffix, "m") || is_lower(suffix, "mb") || is_lower(suffix, "mib")) shift = 20;
  else if (is_lower(suffix, "g") || is_lower(suffix, "gb") || is_lower(suffix, "gib")) shift = 30;
  else if (is_lower(suffix, "t") || is_lower(suffix, "tb") || is_lower(suffix, "tib")) shift = 40;
  else return refused(text, "a size in bytes (suffixes: B, KiB, MiB, GiB, TiB)");
  if (shift && v > (UINT64_MAX >> shift)) return make_error(ErrorKind::Usage, "'" + std::string(text) + "' is too large");
  return v << shift;
}

Result<uint64_t> parse_duration_ns(std::string_view text) {
  const char* what = "a duration (e.g. 500ms, 2s, 1.5s, 1m; a bare number is seconds)";
  size_t split = 0;
  bool dot = false;
  while (split < text.size() && ((text[split] >= '0' && text[split] <= '9') || (text[split] == '.' && !dot))) {
    dot |= text[split] == '.';
    ++split;
  }
  const std::string number(text.substr(0, split));
  const std::string_view unit = text.substr(split);
  if (number.empty() || number == ".") return refused(text, what);
  double scale;
  if (unit.empty() || unit == "s") scale = 1e9;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "us" || unit == "\xc2\xb5s") scale = 1e3;
  else if (unit == "ns") scale = 1;
  else if (unit == "m" || unit == "min") scale = 60e9;
  else if (unit == "h") scale = 3600e9;
  else return refused(text, what);
  const double ns = std::strtod(number.c_str(), nullptr) * scale;
  if (!std::isfinite(ns) || ns > 366.0 * 86400e9) return make_error(ErrorKind::Usage, "'" + std::string(text) + "' is longer than a year");
  return static_cast<uint64_t>(std::llround(ns));
}

Result<bool> parse_switch(std::string_view text) {
  for (const char* yes : {"", "y", "yes", "true", "on", "1"}) {
    if (is_lower(text, yes)) return true;
  }
  for (const char* no : {"n", "no", "false", "off", "0"}) {
    if (is_lower(text, no)) return false;
  }
  return refused(text, "y or n");
}

std::string format_duration_ns(uint64_t ns) {
  char buf[48];
  if (ns % 1'000'000'000 == 0) std::snprintf(buf, sizeof buf, "%llus", static_cast<unsigned long long>(ns / 1'000'000'000));
  else if (ns >= 1'000'000'000) std::snprintf(buf, sizeof buf, "%gs", static_cast<double>(ns) / 1e9);
  else if (ns % 1'000'000 == 0) std::snprintf(buf, sizeof buf, "%llums", static_cast<unsigned long long>(ns / 1'000'000));
  else if (ns >= 1'000'000) std::snprintf(buf, sizeof buf, "%gms", static_cast<double>(ns) / 1e6);
  else if (ns % 1'000 == 0) std::snprintf(buf, sizeof buf, "%lluus", static_cast<unsigned long long>(ns / 1'000));
  else std::snprintf(buf, sizeof buf, "%lluns", static_cast<unsigned long long>(ns));
  return buf;
}

}  // namespace atl::units
