// A tiny WebAssembly binary writer for tests: enough to build modules byte by byte, including
// deliberately broken ones.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace atl::test {

using Bytes = std::vector<uint8_t>;

inline Bytes uleb(uint64_t v) {
  Bytes out;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(b);
  } while (v);
  return out;
}

inline Bytes sleb(int64_t v) {
  Bytes out;
  bool more = true;
  while (more) {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if ((v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40))) {
      more = false;
    } else {
      b |= 0x80;
    }
    out.push_back(b);
  }
  return out;
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes str(const std::string& s) {
  Bytes out = uleb(s.size());
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

inline Bytes section(uint8_t id, const Bytes& contents) {
  return cat({{id}, uleb(contents.size()), contents});
}

inline Bytes header() { return {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}; }

inline Bytes module(std::initializer_list<Bytes> sections) {
  Bytes out = header();
  for (const Bytes& s : sections) out.insert(out.end(), s.begin(), s.end());
  return out;
}

// vec(items) with a count prefix.
inline Bytes vec(std::initializer_list<Bytes> items) {
  Bytes out = uleb(items.size());
  for (const Bytes& i : items) out.insert(out.end(), i.begin(), i.end());
  return out;
}

constexpr uint8_t I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b, FUNCREF = 0x70,
                  EXTERNREF = 0x6f;

inline Bytes functype(Bytes params, Bytes results) {
  return cat({{0x60}, uleb(params.size()), params, uleb(results.size()), results});
}

// A module with one function of type `type` whose body is `locals` + `code` (code must end with
// 0x0b), plus optional extra sections placed by id order around them.
inline Bytes func_body(const Bytes& locals_and_code) {
  return cat({uleb(locals_and_code.size()), locals_and_code});
}

inline Bytes one_function_module(const Bytes& type, const Bytes& code, const Bytes& locals = {0x00},
                                 const Bytes& memory_section = {}) {
  return cat({header(), section(1, vec({type})), section(3, vec({{0x00}})), memory_section,
              section(10, vec({func_body(cat({locals, code}))}))});
}

}  // namespace atl::test
