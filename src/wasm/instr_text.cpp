#include "wasm/instr_text.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace atl::wasm {
namespace {

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

// Shortest text that reads back as the same value; NaNs with their payload, as wat writes them.
template <typename F, typename Bits>
std::string float_text(Bits bits) {
  const F v = std::bit_cast<F>(bits);
  constexpr int kMantissa = sizeof(F) == 4 ? 23 : 52;
  const Bits payload = bits & ((Bits{1} << kMantissa) - 1);
  const bool negative = bits >> (sizeof(F) * 8 - 1);
  if (std::isnan(v)) {
    const bool canonical = payload == Bits{1} << (kMantissa - 1);
    return std::string(negative ? "-" : "") + (canonical ? "nan" : "nan:" + hex(payload));
  }
  if (std::isinf(v)) return negative ? "-inf" : "inf";
  char b[64];
  auto [end, ec] = std::to_chars(b, b + sizeof b, v);
  return ec == std::errc() ? std::string(b, end) : "?";
}

std::string block_type(const BlockType& bt) {
  switch (bt.kind) {
    case BlockType::Kind::Empty: return "";
    case BlockType::Kind::Value: return std::string(" (result ") + valtype_name(bt.type) + ")";
    case BlockType::Kind::Index: return " (type " + std::to_string(bt.index) + ")";
  }
  return "";
}

// The text format names a memory other than 0 right after the opcode.
std::string memory_index(uint32_t memory) { return memory ? " " + std::to_string(memory) : ""; }

std::string memarg(const Instr& in) {
  std::string s = memory_index(in.mem.memory);
  if (in.mem.offset) s += " offset=" + std::to_string(in.mem.offset);
  if (in.mem.align != op_info(in.op).aux) s += " align=" + std::to_string(uint64_t{1} << std::min(in.mem.align, 63u));
  return s;
}

std::string func_ref(uint32_t index, const Module& m) {
  const std::string name = index < m.num_funcs() ? m.func_display_name(index) : std::string();
  return name.empty() ? std::to_string(index) : "$" + name;
}

}  // namespace

std::string instr_text(const Instr& in, std::span<const uint32_t> br_targets, const Module& m) {
  std::string s = op_name(in.op);
  switch (op_info(in.op).imm) {
    case ImmKind::None: break;
    case ImmKind::MemZero: s += memory_index(in.mem.memory); break;
    case ImmKind::MemCopy:
      if (in.mem.memory || in.index2) s += " " + std::to_string(in.mem.memory) + " " + std::to_string(in.index2);
      break;
    case ImmKind::Block: s += block_type(in.block); break;
    case ImmKind::Label:
    case ImmKind::Local:
    case ImmKind::Global:
    case ImmKind::Table:
    case ImmKind::Data:
    case ImmKind::Elem: s += " " + std::to_string(in.index); break;
    case ImmKind::Type: s += " (type " + std::to_string(in.index) + ")"; break;
    case ImmKind::Tag: s += " " + std::to_string(in.index); break;
    case ImmKind::TryTable: s += block_type(in.block); break;  // the clauses are not kept in Instr
    case ImmKind::MemInit: s += memory_index(in.mem.memory) + " " + std::to_string(in.index); break;
    case ImmKind::Func: s += " " + func_ref(in.index, m); break;
    case ImmKind::BrTable:
      for (uint32_t t : br_targets) s += " " + std::to_string(t);
      s += " " + std::to_string(in.index);
      break;
    case ImmKind::CallIndirect:
      if (in.index2) s += " " + std::to_string(in.index2);
      s += " (type " + std::to_string(in.index) + ")";
      break;
    case ImmKind::SelectT: s += std::string(" (result ") + valtype_name(in.ref_type) + ")"; break;
    case ImmKind::TableInit:
    case ImmKind::TableCopy: s += " " + std::to_string(in.index) + " " + std::to_string(in.index2); break;
    case ImmKind::MemArg: s += memarg(in); break;
    case ImmKind::MemLane: s += memarg(in) + " " + std::to_string(in.lane); break;
    case ImmKind::Lane: s += " " + std::to_string(in.lane); break;
    case ImmKind::I32: s += " " + std::to_string(static_cast<int32_t>(in.bits)); break;
    case ImmKind::I64: s += " " + std::to_string(static_cast<int64_t>(in.bits)); break;
    case ImmKind::F32: s += " " + float_text<float>(static_cast<uint32_t>(in.bits)); break;
    case ImmKind::F64: s += " " + float_text<double>(in.bits); break;
    case ImmKind::RefType: s += " " + heap_type_name(heap_type(in.ref_type)); break;
    case ImmKind::V128: {
      s += " i32x4";
      for (int i = 0; i < 4; ++i) {
        uint32_t lane;
        std::memcpy(&lane, in.v128.data() + 4 * i, 4);
        s += " " + hex(lane);
      }
      break;
    }
    case ImmKind::Shuffle:
      for (uint8_t lane : in.v128) s += " " + std::to_string(lane);
      break;
  }
  return s;
}

Result<std::vector<ListedInstr>> function_listing(const Module& m, uint32_t func_index) {
  if (func_index < m.num_imported_funcs || func_index - m.num_imported_funcs >= m.bodies.size()) {
    return make_error(ErrorKind::Other, "function " + std::to_string(func_index) + " has no body");
  }
  const FunctionBody& body = m.bodies[func_index - m.num_imported_funcs];
  if (body.offset + body.size > m.bytes.size() || body.code_offset > body.offset + body.size) {
    return make_error(ErrorKind::Malformed, "function body outside the module", body.offset, func_index);
  }
  Reader r(m.bytes.data() + body.code_offset, m.bytes.data() + body.offset + body.size, body.code_offset);
  InstrReader ir(r);
  std::vector<ListedInstr> out;
  uint32_t depth = 0;
  Instr in;
  while (r.remaining() > 0) {
    if (!ir.next(in)) return make_error(ErrorKind::Malformed, r.error(), r.error_offset(), func_index);
    // catch and catch_all sit where else does; delegate ends its try as end does.
    const bool closes = in.op == Op::End || in.op == Op::Else || in.op == Op::Catch || in.op == Op::CatchAll ||
                        in.op == Op::Delegate;
    const bool opens = in.op == Op::Block || in.op == Op::Loop || in.op == Op::If || in.op == Op::Else ||
                       in.op == Op::Try || in.op == Op::TryTable || in.op == Op::Catch || in.op == Op::CatchAll;
    if (closes && depth > 0) --depth;
    out.push_back({in.offset, depth, instr_text(in, ir.br_targets(), m)});
    if (opens) ++depth;
  }
  return out;
}

}  // namespace atl::wasm
