// Opcode enumeration and per-opcode facts, generated from opcodes.def.
#pragma once

#include <array>
#include <cstdint>

#include "wasm/types.h"

namespace atl::wasm {

enum class Op : uint16_t {
#define OP(id, prefix, code, text, imm, params, results, aux) id,
#include "wasm/opcodes.def"
#undef OP
  Invalid,
};
constexpr uint32_t kNumOps = static_cast<uint32_t>(Op::Invalid);

// Layout of an instruction's immediates in the binary format.
enum class ImmKind : uint8_t {
  None,
  Block,         // blocktype
  Label,         // labelidx
  BrTable,       // vec(labelidx) labelidx
  Func,          // funcidx
  CallIndirect,  // typeidx tableidx
  SelectT,       // vec(valtype)
  Local,         // localidx
  Global,        // globalidx
  Table,         // tableidx
  MemArg,        // align offset
  MemZero,       // a reserved 0x00 byte (memory index 0 in 2.0)
  I32,
  I64,
  F32,
  F64,
  RefType,    // reftype byte
  MemInit,    // dataidx 0x00
  Data,       // dataidx
  MemCopy,    // 0x00 0x00
  TableInit,  // elemidx tableidx
  Elem,       // elemidx
  TableCopy,  // tableidx tableidx
  V128,       // 16 bytes
  Shuffle,    // 16 lane bytes
  Lane,       // lane byte
  MemLane,    // memarg lane byte
  Type,       // typeidx (call_ref)
  Tag,        // tagidx
  TryTable,   // blocktype vec(catch)
};

struct OpInfo {
  const char* name;
  uint8_t prefix;
  uint16_t code;  // all defined sub-opcodes are below 0x200
  ImmKind imm;
  bool special;  // typed by hand in the validator
  uint8_t num_params;
  uint8_t num_results;  // 0 or 1 for non-special ops
  uint8_t aux;          // see opcodes.def
  ValType params[3];
  ValType result;
};

extern const OpInfo kOpInfo[kNumOps];

// Immediates that name a memory (memory 0 when multi-memory is off).
inline bool is_exception_op(Op op) {
  return op == Op::Try || op == Op::Catch || op == Op::Throw || op == Op::Rethrow || op == Op::ThrowRef ||
         op == Op::Delegate || op == Op::CatchAll || op == Op::TryTable;
}
inline bool is_memory_imm(ImmKind k) {
  return k == ImmKind::MemArg || k == ImmKind::MemLane || k == ImmKind::MemZero || k == ImmKind::MemInit ||
         k == ImmKind::MemCopy;
}

inline const OpInfo& op_info(Op op) { return kOpInfo[static_cast<uint32_t>(op)]; }
inline const char* op_name(Op op) {
  return op == Op::Invalid ? "<invalid>" : op_info(op).name;
}

// Decoding maps: byte (or sub-opcode) -> Op, Op::Invalid when undefined.
extern const std::array<Op, 256> kOneByteOps;
extern const std::array<Op, 32> kPrefixFCOps;
extern const std::array<Op, 0x200> kPrefixFDOps;

inline Op lookup_fc(uint32_t sub) { return sub < 32 ? kPrefixFCOps[sub] : Op::Invalid; }
inline Op lookup_fd(uint32_t sub) { return sub < kPrefixFDOps.size() ? kPrefixFDOps[sub] : Op::Invalid; }
// Relaxed SIMD: the 0xFD sub-opcodes from 0x100.
inline bool is_relaxed_simd(Op op) {
  return op >= Op::I8x16RelaxedSwizzle && op <= Op::I32x4RelaxedDotI8x16I7x16AddS;
}

}  // namespace atl::wasm
