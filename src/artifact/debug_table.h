// The artifact's debug table (section .atoll.debug): what turns a native return address into
// frames a person can act on, without LLVM at run time.
//
//   native -> wasm:   for each defined function, ranges of native code offsets, each naming the
//                     chain of wasm frames it belongs to (innermost first: the function LLVM
//                     inlined, at its wasm bytecode offset, then the function it was inlined into,
//                     at the offset of the call, ...). Taken from the DWARF LLVM emits for the
//                     locations the compiler gives every instruction (line = wasm offset).
//   wasm -> source:   when the guest carried DWARF (clang -g), ranges of wasm offsets, each
//                     naming a chain of source frames (function, file, line, column), innermost
//                     first, so functions the guest's own compiler inlined show up too.
//
// Layout (little-endian u32 throughout):
//   header   magic 'ADBG', version, n_funcs, n_ranges, n_nodes, n_src_ranges, n_src_nodes,
//            strings_size, first_body_func, n_bodies
//   bodies   n_bodies x body_offset: where defined function first_body_func + i starts in the
//            module's bytes (its locals), for offsets relative to a function
//   funcs    n_funcs x {func_index, first_range, range_count}, sorted by func_index
//   ranges   n_ranges x {native_offset, node}, sorted within each function
//   nodes    n_nodes x {func_index, wasm_offset, parent}
//   sranges  n_src_ranges x {wasm_offset, src_node}, sorted
//   snodes   n_src_nodes x {function, file, line, column, parent} (function, file: string offsets)
//   strings  NUL-terminated
// A node or src_node of kNone means "nothing known here"; a parent always precedes its child, so
// every chain ends. The parser checks all of it: an artifact is input like any other.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "atoll/result.h"

namespace atl::artifact {

constexpr const char* kDebugSection = ".atoll.debug";
constexpr uint32_t kDebugNone = ~uint32_t{0};

struct WasmFrameInfo {
  uint32_t func_index = 0;
  uint32_t wasm_offset = 0;  // absolute offset in the module's bytes; 0 when unknown
};

struct SourceFrameInfo {
  std::string function;  // "" when unknown
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
};

class DebugTableBuilder {
 public:
  // From `native_offset` of defined function `func_index` on, code belongs to `chain` (innermost
  // first; empty: unknown). Calls for one function come in increasing offset order.
  void add_native(uint32_t func_index, uint32_t native_offset, std::span<const WasmFrameInfo> chain);
  // From wasm offset `wasm_offset` on, code belongs to the source chain (innermost first).
  void add_source(uint32_t wasm_offset, std::span<const SourceFrameInfo> chain);
  // Where each defined function's body starts in the module's bytes, the first being function
  // `first_func` (the number of imported functions).
  void set_bodies(uint32_t first_func, std::vector<uint32_t> offsets) {
    first_body_ = first_func;
    bodies_ = std::move(offsets);
  }
  bool empty() const { return funcs_.empty() && src_ranges_.empty(); }
  std::vector<uint8_t> finish() const;

 private:
  uint32_t node(std::span<const WasmFrameInfo> chain);
  uint32_t src_node(std::span<const SourceFrameInfo> chain);
  uint32_t string(const std::string& s);

  struct Range {
    uint32_t offset, node;
  };
  std::map<uint32_t, std::vector<Range>> funcs_;
  std::vector<std::array<uint32_t, 3>> nodes_;
  std::map<std::tuple<uint32_t, uint32_t, uint32_t>, uint32_t> node_ids_;
  std::vector<Range> src_ranges_;
  std::vector<std::array<uint32_t, 5>> src_nodes_;
  std::map<std::array<uint32_t, 5>, uint32_t> src_node_ids_;
  std::string strings_;
  std::map<std::string, uint32_t> string_ids_;
  uint32_t first_body_ = 0;
  std::vector<uint32_t> bodies_;
};

class DebugTable {
 public:
  DebugTable() = default;
  // `num_funcs`: the module's function count (imports included), for checking indices.
  static Result<DebugTable> parse(std::span<const uint8_t> bytes, uint32_t num_funcs);

  // The wasm frames at `native_offset` in defined function `func_index`, innermost first; empty
  // when the table knows nothing there.
  std::vector<WasmFrameInfo> wasm_frames(uint32_t func_index, uint64_t native_offset) const;
  // The native offsets in defined function `func_index` where what wasm_frames says changes.
  std::vector<uint32_t> native_starts(uint32_t func_index) const;
  // The guest's source frames at a wasm offset, innermost first; empty without guest DWARF.
  std::vector<SourceFrameInfo> source_frames(uint32_t wasm_offset) const;
  bool has_source() const { return !src_ranges_.empty(); }
  // Where defined function `func_index`'s body starts in the module's bytes; kDebugNone if unknown.
  uint32_t body_offset(uint32_t func_index) const {
    return func_index >= first_body_ && func_index - first_body_ < bodies_.size() ? bodies_[func_index - first_body_]
                                                                                 : kDebugNone;
  }

 private:
  struct Func {
    uint32_t index, first, count;
  };
  struct Range {
    uint32_t offset, node;
  };
  std::vector<Func> funcs_;
  std::vector<Range> ranges_;
  std::vector<std::array<uint32_t, 3>> nodes_;
  std::vector<Range> src_ranges_;
  std::vector<std::array<uint32_t, 5>> src_nodes_;
  std::string strings_;
  uint32_t first_body_ = 0;
  std::vector<uint32_t> bodies_;
};

}  // namespace atl::artifact
