// Reads one instruction (opcode + immediates) at a time from a function body or constant
// expression. It knows only the binary grammar of single instructions; nesting, types and index
// bounds belong to the body decoder and the validator. Shared by every consumer of code bytes so
// immediates are parsed in exactly one place.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "atoll/features.h"
#include "support/reader.h"
#include "wasm/opcodes.h"
#include "wasm/types.h"

namespace atl::wasm {

// A heap type (s33): an abstract one (func, extern, nofunc, noextern, exn, noexn) or a type index.
// False, with the Reader failed, when it is none of these.
inline bool read_heap_type(Reader& r, uint32_t& out) {
  const uint64_t at = r.offset();
  const int64_t v = r.s33();
  if (!r.ok()) return false;
  if (v >= 0) {
    if (v > heap::kMaxTypeIndex) {
      r.fail("unknown type " + std::to_string(v), at);
      return false;
    }
    out = heap::of_index(static_cast<uint32_t>(v));
    return true;
  }
  const uint32_t b = static_cast<uint32_t>(v + 0x80);  // the single byte it was written as
  switch (b) {
    case heap::Func: case heap::Extern: case heap::NoFunc: case heap::NoExtern: case heap::Exn: case heap::NoExn:
      out = b;
      return true;
    case 0x6e: case 0x6d: case 0x6c: case 0x6b: case 0x6a: case 0x71:
      r.fail("heap types of the GC proposal (any, eq, i31, struct, array, none) are not supported", at);
      return false;
    default: r.fail("malformed heap type", at); return false;
  }
}

// A value type: the 2.0 bytes, and with function references (3.0) `(ref null? ht)` (0x63, 0x64)
// and the nullfuncref/nullexternref shorthands.
inline bool read_value_type(Reader& r, ValType& out, bool typed_refs, const char* what = "malformed value type") {
  const uint64_t at = r.offset();
  const uint8_t b = r.u8();
  if (!r.ok()) return false;
  if (is_valid_valtype_byte(b)) {
    out = static_cast<ValType>(b);
    return true;
  }
  if (typed_refs && (b == kRefNullPrefix || b == kRefPrefix)) {
    uint32_t h = 0;
    if (!read_heap_type(r, h)) return false;
    out = make_ref(h, b == kRefNullPrefix);
    return true;
  }
  if (typed_refs && (b == heap::NoFunc || b == heap::NoExtern || b == heap::Exn || b == heap::NoExn)) {
    out = make_ref(b, true);
    return true;
  }
  r.fail(what, at);
  return false;
}

struct BlockType {
  enum class Kind : uint8_t { Empty, Value, Index };
  Kind kind = Kind::Empty;
  ValType type = ValType::I32;  // Kind::Value
  uint32_t index = 0;           // Kind::Index (a type index)
};

// A try_table clause: catch (tag, label), catch_ref, catch_all (label), catch_all_ref.
struct CatchClause {
  enum Kind : uint8_t { Catch = 0, CatchRef = 1, CatchAll = 2, CatchAllRef = 3 };
  Kind kind = Catch;
  uint32_t tag = 0;
  uint32_t label = 0;
};

struct MemArg {
  uint32_t align = 0;   // log2, as encoded (without the multi-memory flag bit)
  uint32_t memory = 0;  // also the memory of memory.size/grow/fill/init and memory.copy's destination
  uint64_t offset = 0;
};

struct Instr {
  Op op = Op::Invalid;
  uint64_t offset = 0;  // absolute offset of the opcode
  uint32_t index = 0;   // label, func, local, global, table, type, data or elem index
  uint32_t index2 = 0;  // call_indirect/table.init table; table.copy source; memory.copy source memory
  BlockType block;
  MemArg mem;
  uint8_t lane = 0;
  ValType ref_type = ValType::FuncRef;  // ref.null (its nullable reference type); select t (first type)
  uint32_t select_count = 0;            // number of types in select t*
  uint64_t bits = 0;                    // i32/i64/f32/f64 immediate
  std::array<uint8_t, 16> v128{};       // v128.const, i8x16.shuffle
};

class InstrReader {
 public:
  // Without multi-memory, memory immediates are 0x00 bytes and memarg alignments take all bits;
  // without memory64, memarg offsets are u32; without function references, value types are the
  // 2.0 bytes. Every encoding valid without them reads the same with them, so readers of already
  // validated code can use the defaults.
  explicit InstrReader(Reader& r, const WasmFeatures& f = {})
      : r_(r), multi_memory_(f.multi_memory), memory64_(f.memory64), typed_refs_(f.function_references) {}

  // Targets of the last br_table read (the default target is in Instr::index).
  const std::vector<uint32_t>& br_targets() const { return targets_; }
  // Clauses of the last try_table read.
  const std::vector<CatchClause>& catches() const { return catches_; }

  // Reads the next instruction into `in`. Returns false on a malformed encoding (the error is in
  // the Reader).
  bool next(Instr& in) {
    in.offset = r_.offset();
    const uint8_t byte = r_.u8();
    Op op;
    if (byte == 0xfc) {
      op = lookup_fc(r_.u32());
    } else if (byte == 0xfd) {
      op = lookup_fd(r_.u32());
    } else {
      op = kOneByteOps[byte];
    }
    if (!r_.ok()) return false;
    if (op == Op::Invalid) {
      r_.fail("illegal opcode", in.offset);
      return false;
    }
    in.op = op;
    switch (op_info(op).imm) {
      case ImmKind::None: break;
      case ImmKind::Block: read_block_type(in.block); break;
      case ImmKind::Label:
      case ImmKind::Func:
      case ImmKind::Local:
      case ImmKind::Global:
      case ImmKind::Table:
      case ImmKind::Data:
      case ImmKind::Elem:
      case ImmKind::Type:
      case ImmKind::Tag: in.index = r_.u32(); break;
      case ImmKind::TryTable:
        read_block_type(in.block);
        read_catches();
        break;
      case ImmKind::BrTable: read_br_table(in); break;
      case ImmKind::CallIndirect:
      case ImmKind::TableInit:
      case ImmKind::TableCopy:
        in.index = r_.u32();
        in.index2 = r_.u32();
        break;
      case ImmKind::SelectT: read_select_types(in); break;
      case ImmKind::MemArg: read_memarg(in.mem); break;
      case ImmKind::MemZero: in.mem.memory = memory_index(); break;
      case ImmKind::I32: in.bits = static_cast<uint32_t>(r_.s32()); break;
      case ImmKind::I64: in.bits = static_cast<uint64_t>(r_.s64()); break;
      case ImmKind::F32: in.bits = r_.fixed_u32(); break;
      case ImmKind::F64: in.bits = r_.fixed_u64(); break;
      case ImmKind::RefType: in.ref_type = read_ref_type(); break;
      case ImmKind::MemInit:
        in.index = r_.u32();
        in.mem.memory = memory_index();
        break;
      case ImmKind::MemCopy:
        in.mem.memory = memory_index();
        in.index2 = memory_index();
        break;
      case ImmKind::V128:
      case ImmKind::Shuffle: {
        const uint8_t* p;
        if (r_.bytes(16, &p)) std::memcpy(in.v128.data(), p, 16);
        break;
      }
      case ImmKind::Lane: in.lane = r_.u8(); break;
      case ImmKind::MemLane:
        read_memarg(in.mem);
        in.lane = r_.u8();
        break;
    }
    return r_.ok();
  }

  // ref.null's heap type: the nullable reference to it.
  ValType read_ref_type() {
    if (typed_refs_) {
      uint32_t h = heap::Func;
      read_heap_type(r_, h);
      return make_ref(h, true);
    }
    const uint64_t at = r_.offset();
    const uint8_t b = r_.u8();
    if (b == 0x70) return ValType::FuncRef;
    if (b == 0x6f) return ValType::ExternRef;
    r_.fail("malformed reference type", at);
    return ValType::FuncRef;
  }

 private:
  void zero_byte() {
    const uint64_t at = r_.offset();
    if (r_.u8() != 0) r_.fail("zero byte expected", at);
  }

  void read_block_type(BlockType& bt) {
    const uint8_t b = r_.peek_u8();
    if (b == 0x40) {
      r_.u8();
      bt.kind = BlockType::Kind::Empty;
    } else if (is_valid_valtype_byte(b) || (typed_refs_ && (b == kRefNullPrefix || b == kRefPrefix || b == heap::NoFunc ||
                                                             b == heap::NoExtern || b == heap::Exn || b == heap::NoExn))) {
      bt.kind = BlockType::Kind::Value;
      read_value_type(r_, bt.type, typed_refs_);
    } else {
      const uint64_t at = r_.offset();
      const int64_t v = r_.s33();
      if (!r_.ok()) return;
      if (v < 0) {
        r_.fail("malformed block type", at);
        return;
      }
      bt.kind = BlockType::Kind::Index;
      bt.index = v > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(v);
    }
  }

  void read_br_table(Instr& in) {
    const uint32_t n = r_.u32();
    // Each target takes at least one byte; this bounds the loop before allocating.
    if (n > r_.remaining()) {
      r_.fail("unexpected end");
      return;
    }
    targets_.resize(n);
    for (uint32_t i = 0; i < n; ++i) targets_[i] = r_.u32();
    in.index = r_.u32();
  }

  void read_catches() {
    const uint32_t n = r_.u32();
    if (n > r_.remaining()) {
      r_.fail("unexpected end");
      return;
    }
    catches_.resize(n);
    for (uint32_t i = 0; i < n && r_.ok(); ++i) {
      const uint64_t at = r_.offset();
      const uint8_t kind = r_.u8();
      if (kind > CatchClause::CatchAllRef) {
        r_.fail("malformed catch clause", at);
        return;
      }
      catches_[i].kind = static_cast<CatchClause::Kind>(kind);
      catches_[i].tag = kind <= CatchClause::CatchRef ? r_.u32() : 0;
      catches_[i].label = r_.u32();
    }
  }

  void read_select_types(Instr& in) {
    const uint32_t n = r_.u32();
    if (n > r_.remaining()) {
      r_.fail("unexpected end");
      return;
    }
    in.select_count = n;
    for (uint32_t i = 0; i < n && r_.ok(); ++i) {
      ValType t = ValType::I32;
      if (!read_value_type(r_, t, typed_refs_)) return;
      if (i == 0) in.ref_type = t;
    }
  }

  uint32_t memory_index() {
    if (multi_memory_) return r_.u32();
    zero_byte();
    return 0;
  }

  // Alignment flags with bit 6 set carry a memory index (multi-memory); an alignment above the
  // natural one is the validator's to reject.
  void read_memarg(MemArg& m) {
    const uint64_t at = r_.offset();
    m.align = r_.u32();
    m.memory = 0;
    if (multi_memory_ && m.align >= 0x80) {  // 3.0 defines flags below 128 only
      r_.fail("malformed memop flags", at);
      return;
    }
    if (multi_memory_ && (m.align & 0x40)) {
      m.align &= ~0x40u;
      m.memory = r_.u32();
    }
    m.offset = memory64_ ? r_.u64() : r_.u32();
  }

  Reader& r_;
  bool multi_memory_ = true;
  bool memory64_ = true;
  bool typed_refs_ = true;
  std::vector<uint32_t> targets_;
  std::vector<CatchClause> catches_;
};

}  // namespace atl::wasm
