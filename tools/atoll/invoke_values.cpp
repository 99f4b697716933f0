#include "invoke_values.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "support/units.h"

namespace atl::cli {

namespace {

Error not_a(const std::string& text, ValType type, const std::string& hint = "") {
  return make_error(ErrorKind::Usage, "'" + text + "' is not a valid " + to_string(type) + hint);
}

// Bits of an f32 (width 32) or f64 (width 64) spelt as text.
Result<uint64_t> parse_float_bits(const std::string& text, unsigned width) {
  const ValType type = width == 32 ? ValType::F32 : ValType::F64;
  std::string_view body = text;
  bool negative = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  const unsigned mantissa_bits = width == 32 ? 23 : 52;
  const uint64_t exponent_all = width == 32 ? 0x7f800000u : 0x7ff0000000000000u;
  const uint64_t sign = negative ? uint64_t{1} << (width - 1) : 0;
  if (body == "inf" || body == "infinity") return sign | exponent_all;
  if (body == "nan") return sign | exponent_all | (uint64_t{1} << (mantissa_bits - 1));
  if (body.substr(0, 4) == "nan:") {
    auto payload = units::parse_count(body.substr(4), (uint64_t{1} << mantissa_bits) - 1);
    if (!payload.ok() || *payload == 0 || body.substr(4, 2) != "0x") {
      return not_a(text, type, " (a NaN payload is nan:0x1 .. nan:0x" +
                                   std::string(width == 32 ? "7fffff" : "fffffffffffff") + ")");
    }
    return sign | exponent_all | *payload;
  }
  // Digits, '.', exponents and hex floats only: strtod would also skip spaces and take "nan(...)".
  if (body.empty() || !((body[0] >= '0' && body[0] <= '9') || body[0] == '.')) return not_a(text, type);
  char* end = nullptr;
  errno = 0;
  if (width == 32) {
    const float f = std::strtof(text.c_str(), &end);
    if (*end || end == text.c_str()) return not_a(text, type);
    if (errno == ERANGE && std::isinf(f)) return not_a(text, type, " (out of range)");
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return b;
  }
  const double d = std::strtod(text.c_str(), &end);
  if (*end || end == text.c_str()) return not_a(text, type);
  if (errno == ERANGE && std::isinf(d)) return not_a(text, type, " (out of range)");
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

Val with_bits(ValType type, uint64_t lo, uint64_t hi = 0) {
  Val v;
  v.type = type;
  v.bits[0] = lo;
  v.bits[1] = hi;
  return v;
}

std::string format_float(uint64_t bits, unsigned width) {
  const unsigned mantissa_bits = width == 32 ? 23 : 52;
  const uint64_t mantissa = bits & ((uint64_t{1} << mantissa_bits) - 1);
  const bool negative = (bits >> (width - 1)) & 1;
  const uint64_t exponent = (bits >> mantissa_bits) & (width == 32 ? 0xff : 0x7ff);
  const uint64_t exponent_all = width == 32 ? 0xff : 0x7ff;
  if (exponent == exponent_all && mantissa != 0) {
    std::string s = negative ? "-nan" : "nan";
    if (mantissa != uint64_t{1} << (mantissa_bits - 1)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, ":0x%llx", static_cast<unsigned long long>(mantissa));
      s += buf;
    }
    return s;
  }
  char buf[64];
  std::to_chars_result r;
  if (width == 32) {
    float f;
    const uint32_t b = static_cast<uint32_t>(bits);
    std::memcpy(&f, &b, 4);
    r = std::to_chars(buf, buf + sizeof buf, f);
  } else {
    double d;
    std::memcpy(&d, &bits, 8);
    r = std::to_chars(buf, buf + sizeof buf, d);
  }
  return std::string(buf, r.ptr);
}

}  // namespace

Result<Val> parse_value(const std::string& text, ValType type) {
  switch (type) {
    case ValType::I32:
    case ValType::I64: {
      auto bits = units::parse_integer(text, type == ValType::I32 ? 32 : 64);
      if (!bits.ok()) return make_error(ErrorKind::Usage, bits.error().message + " (for an " + to_string(type) + ")");
      return with_bits(type, *bits);
    }
    case ValType::F32:
    case ValType::F64: {
      auto bits = parse_float_bits(text, type == ValType::F32 ? 32 : 64);
      if (!bits.ok()) return bits.take_error();
      return with_bits(type, *bits);
    }
    case ValType::V128: {
      if (text.size() < 3 || text.size() > 34 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
        return not_a(text, type, " (0x and up to 32 hex digits)");
      }
      uint64_t lo = 0, hi = 0;
      for (size_t i = 2; i < text.size(); ++i) {
        const char c = text[i];
        unsigned d;
        if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
        else return not_a(text, type, " (0x and up to 32 hex digits)");
        hi = (hi << 4) | (lo >> 60);
        lo = (lo << 4) | d;
      }
      return with_bits(type, lo, hi);
    }
    default:
      if (text == "null") return with_bits(type, 0);
      return make_error(ErrorKind::Usage, std::string("a ") + to_string(type) +
                                              " argument can only be null from the command line, not '" + text + "'");
  }
}

std::string format_value(const Val& v) {
  char buf[80];
  switch (v.type) {
    case ValType::I32: {
      const int32_t s = v.i32();
      if (s >= 0) return std::to_string(s);
      std::snprintf(buf, sizeof buf, "%d (0x%08x)", s, static_cast<uint32_t>(s));
      return buf;
    }
    case ValType::I64: {
      const int64_t s = v.i64();
      if (s >= 0) return std::to_string(s);
      std::snprintf(buf, sizeof buf, "%lld (0x%016llx)", static_cast<long long>(s), static_cast<unsigned long long>(s));
      return buf;
    }
    case ValType::F32: return format_float(v.bits[0] & 0xffffffffu, 32);
    case ValType::F64: return format_float(v.bits[0], 64);
    default: return v.to_string();
  }
}

}  // namespace atl::cli
