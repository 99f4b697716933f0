// Evaluating a constant expression (ConstExpr) into a 16-byte value cell, the layout globals and
// table elements use: i32/f32 in the low 4 bytes, i64/f64 in the low 8, v128 whole, references
// as a pointer; the rest zero. Shared by the decoder (folding sequences of constants) and the
// runtime (instantiation, where global.get and ref.func have values).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "wasm/module.h"

namespace atl::wasm {

using ValueCell = std::array<uint8_t, 16>;

// `leaf(c)` gives the cell of a single instruction (a constant, global.get, ref.func, ref.null).
// In a valid Sequence every operand is an i32 or i64; a malformed one evaluates to zeros rather
// than reading past its stack.
template <class Leaf>
ValueCell evaluate_const(const ConstExpr& c, Leaf&& leaf) {
  if (c.kind != ConstExpr::Kind::Sequence) return leaf(c);
  std::vector<uint64_t> stack;
  stack.reserve(c.ops.size());
  for (const ConstExpr& op : c.ops) {
    using K = ConstExpr::Kind;
    if (op.kind < K::Sequence) {
      const ValueCell v = leaf(op);
      uint64_t bits;
      std::memcpy(&bits, v.data(), 8);
      stack.push_back(bits);
      continue;
    }
    if (stack.size() < 2) return ValueCell{};
    const uint64_t b = stack.back();
    stack.pop_back();
    const uint64_t a = stack.back();
    uint64_t r = 0;
    switch (op.kind) {
      case K::I32Add: r = static_cast<uint32_t>(a + b); break;
      case K::I32Sub: r = static_cast<uint32_t>(a - b); break;
      case K::I32Mul: r = static_cast<uint32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b)); break;
      case K::I64Add: r = a + b; break;
      case K::I64Sub: r = a - b; break;
      case K::I64Mul: r = a * b; break;
      default: return ValueCell{};
    }
    stack.back() = r;
  }
  ValueCell out{};
  if (stack.size() != 1) return out;
  if (c.type == ValType::I32) {
    const uint32_t v = static_cast<uint32_t>(stack[0]);
    std::memcpy(out.data(), &v, 4);
  } else {
    std::memcpy(out.data(), &stack[0], 8);
  }
  return out;
}

// The cell of a constant instruction (no global.get or ref.func: those need an instance).
inline ValueCell constant_cell(const ConstExpr& c) {
  ValueCell out{};
  switch (c.kind) {
    case ConstExpr::Kind::I32:
    case ConstExpr::Kind::F32: {
      const uint32_t v = static_cast<uint32_t>(c.bits);
      std::memcpy(out.data(), &v, 4);
      break;
    }
    case ConstExpr::Kind::I64:
    case ConstExpr::Kind::F64: std::memcpy(out.data(), &c.bits, 8); break;
    case ConstExpr::Kind::V128: std::memcpy(out.data(), c.v128.data(), 16); break;
    default: break;
  }
  return out;
}

}  // namespace atl::wasm
