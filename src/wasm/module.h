// The decoded module: plain data, produced by the decoder, read by the validator's consumers
// (inspector now; compiler and runtime later).
//
// Index spaces follow the spec: imported entities come first, so `func_types[i]` is the type of
// function i whether it is imported or defined. Function bodies and data payloads are not copied;
// they are (offset, size) ranges into `bytes`, which the module owns.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "wasm/types.h"

namespace atl::wasm {

// A constant expression. In WebAssembly 2.0 every valid one is a single instruction, and most
// are in 3.0 too: extended constants without global.get are folded to a single I32/I64 by the
// decoder. The rest are a Sequence: `ops` in order (leaves push, the arithmetic kinds pop two
// and push one), evaluated at instantiation.
struct ConstExpr {
  enum class Kind : uint8_t {
    I32, I64, F32, F64, V128, RefNull, RefFunc, GlobalGet,
    Sequence,                                         // ops
    I32Add, I32Sub, I32Mul, I64Add, I64Sub, I64Mul,  // only inside a Sequence
  };
  Kind kind = Kind::I32;
  ValType type = ValType::I32;  // the type it produces
  uint64_t bits = 0;            // i32/i64 value, f32/f64 bit pattern
  uint32_t index = 0;           // function (ref.func) or global (global.get) index
  std::array<uint8_t, 16> v128{};
  std::vector<ConstExpr> ops;   // Sequence only
};

struct Import {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t func_type = 0;  // kind == Func
  TableType table;         // kind == Table
  MemoryType memory;       // kind == Memory
  GlobalType global;       // kind == Global
  uint32_t tag_type = 0;   // kind == Tag: a function type with no results (the payload)
};

struct Export {
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t index = 0;
};

enum class SegmentMode : uint8_t { Active, Passive, Declarative };
const char* segment_mode_name(SegmentMode m);

struct ElemSegment {
  SegmentMode mode = SegmentMode::Active;
  uint32_t table = 0;
  ConstExpr offset;  // Active only
  ValType type = ValType::FuncRef;
  std::vector<ConstExpr> items;  // ref.func / ref.null / global.get, one per element
};

struct DataSegment {
  SegmentMode mode = SegmentMode::Active;
  uint32_t memory = 0;
  ConstExpr offset;          // Active only
  uint64_t data_offset = 0;  // payload position in Module::bytes
  uint32_t size = 0;
};

struct FunctionBody {
  uint64_t offset = 0;       // start of the body (its locals) in Module::bytes
  uint32_t size = 0;         // body size, from the size prefix
  uint64_t code_offset = 0;  // first instruction
  uint32_t num_locals = 0;   // declared locals, parameters excluded
  std::vector<std::pair<uint32_t, ValType>> local_groups;  // as encoded: (count, type)
};

struct SectionInfo {
  uint8_t id = 0;
  uint64_t offset = 0;  // first byte of the section contents
  uint32_t size = 0;
  uint32_t count = 0;   // items in the section's vector, where it has one
  std::string name;     // custom sections
};

struct Names {
  std::optional<std::string> module;
  std::map<uint32_t, std::string> functions;
  std::map<uint32_t, std::map<uint32_t, std::string>> locals;
};

struct Module {
  std::vector<uint8_t> bytes;

  std::vector<FuncType> types;
  // Per type index, the first index of an equivalent type (typed references make structurally
  // equal function types one type: subtyping.h).
  std::vector<uint32_t> type_canon;
  // Recursion groups (3.0): per type index, the first index of its group and the group's size
  // (1 for a type written outside `rec`), and whether it is final (`sub` without `final` is not;
  // declared supertypes are GC's, which atoll does not implement).
  std::vector<uint32_t> type_group;
  std::vector<uint32_t> type_group_size;
  std::vector<uint8_t> type_final;
  std::vector<Import> imports;

  std::vector<uint32_t> func_types;  // type index per function, imports first
  std::vector<TableType> tables;
  // Per table index: the initial element of a defined table that declares one (3.0, needed for
  // non-nullable element types); otherwise null.
  std::vector<std::optional<ConstExpr>> table_inits;
  std::vector<MemoryType> memories;
  std::vector<GlobalType> globals;
  std::vector<ConstExpr> global_inits;  // defined globals only
  uint32_t num_imported_funcs = 0;
  uint32_t num_imported_tables = 0;
  uint32_t num_imported_memories = 0;
  uint32_t num_imported_globals = 0;
  std::vector<uint32_t> tags;  // exception handling: type index per tag, imports first
  uint32_t num_imported_tags = 0;

  std::vector<Export> exports;
  std::optional<uint32_t> start;
  std::vector<ElemSegment> elems;
  std::optional<uint32_t> data_count;
  std::vector<FunctionBody> bodies;  // defined functions, in order
  std::vector<DataSegment> datas;

  std::vector<SectionInfo> sections;  // in file order, custom sections included
  Names names;

  const FuncType& func_type(uint32_t func_index) const { return types[func_types[func_index]]; }
  uint32_t num_funcs() const { return static_cast<uint32_t>(func_types.size()); }
  // The name-section name of a function, or "" when it has none.
  const std::string& func_name(uint32_t func_index) const;
  // For people reading profiles and backtraces: the name-section name, else the name of the
  // function's first export, else "".
  const std::string& func_display_name(uint32_t func_index) const;
};

}  // namespace atl::wasm
