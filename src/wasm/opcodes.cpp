#include "wasm/opcodes.h"

#include <array>

namespace atl::wasm {
namespace {

constexpr ValType letter_type(char c) {
  switch (c) {
    case 'i': return ValType::I32;
    case 'l': return ValType::I64;
    case 'f': return ValType::F32;
    case 'd': return ValType::F64;
    case 'v': return ValType::V128;
    default: return ValType::Bottom;
  }
}

constexpr uint8_t length(const char* s) {
  uint8_t n = 0;
  while (s[n]) ++n;
  return n;
}

constexpr OpInfo make(const char* name, uint8_t prefix, uint32_t code, ImmKind imm,
                      const char* params, const char* results, uint8_t aux) {
  OpInfo info{name, prefix, static_cast<uint16_t>(code), imm, false, 0, 0, aux, {}, ValType::Bottom};
  if (params[0] == '*') {
    info.special = true;
    return info;
  }
  info.num_params = length(params);
  for (uint8_t i = 0; i < info.num_params; ++i) info.params[i] = letter_type(params[i]);
  info.num_results = length(results);
  if (info.num_results) info.result = letter_type(results[0]);
  return info;
}

}  // namespace

const OpInfo kOpInfo[kNumOps] = {
#define OP(id, prefix, code, text, imm, params, results, aux) \
  make(text, prefix, code, ImmKind::imm, params, results, aux),
#include "wasm/opcodes.def"
#undef OP
};

namespace {

template <size_t N>
constexpr std::array<Op, N> build_map(uint8_t want_prefix) {
  std::array<Op, N> map{};
  for (auto& op : map) op = Op::Invalid;
  struct Entry {
    uint8_t prefix;
    uint32_t code;
    Op op;
  };
  constexpr Entry entries[] = {
#define OP(id, prefix, code, text, imm, params, results, aux) {prefix, code, Op::id},
#include "wasm/opcodes.def"
#undef OP
  };
  for (const Entry& e : entries) {
    if (e.prefix == want_prefix && e.code < N) map[e.code] = e.op;
  }
  return map;
}

}  // namespace

// Constant-initialised from the table above; extern via the header.
const std::array<Op, 256> kOneByteOps = build_map<256>(0);
const std::array<Op, 32> kPrefixFCOps = build_map<32>(0xfc);
const std::array<Op, 0x200> kPrefixFDOps = build_map<0x200>(0xfd);

}  // namespace atl::wasm
