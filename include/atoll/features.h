// Which WebAssembly proposals beyond 2.0 modules may use (Config::features; `-W NAME=y|n` on the
// CLI, named as in Wasmtime). Each one atoll implements is on by default; turned off, modules are
// judged by the WebAssembly 2.0 rules for it (what the 2.0 spec tests expect).
#pragma once

#include <cstdint>

namespace atl {

struct WasmFeatures {
  // Extended constant expressions: i32/i64 add, sub and mul in global initialisers and segment
  // offsets, and (as WebAssembly 3.0 allows) global.get of any preceding immutable global, not
  // only imported ones.
  bool extended_const = true;
  // Tail calls: return_call and return_call_indirect replace the caller's frame (constant stack
  // in unbounded tail recursion).
  bool tail_call = true;
  // Multi-memory: any number of memories, imported and defined; memory instructions name one.
  bool multi_memory = true;
  // Memory64 (and table64): memories and tables indexed by i64. Accesses to 64-bit memories are
  // always bounds-checked explicitly (no guard region can cover a 64-bit address space).
  bool memory64 = true;
  // Relaxed SIMD: the 20 instructions whose results may differ between platforms. atoll fixes
  // one result for each, the same in every mode and on every CPU (docs/SIMD.md).
  bool relaxed_simd = true;
  // Typed function references: (ref null? $t) types, call_ref, return_call_ref, ref.as_non_null,
  // br_on_null, br_on_non_null, non-nullable locals and tables with initialisers.
  bool function_references = true;
  // Exception handling: tags, throw, throw_ref, try_table, exnref, and the legacy try / catch /
  // catch_all / delegate / rethrow that LLVM emits for C++ exceptions. An exception that
  // reaches the host is an error (TrapCode::UncaughtException); traps are never caught.
  bool exceptions = true;

  // Only what 2.0 has (`-W all-proposals=n`).
  static WasmFeatures wasm2() {
    WasmFeatures f;
    f.extended_const = false;
    f.tail_call = false;
    f.multi_memory = false;
    f.memory64 = false;
    f.relaxed_simd = false;
    f.function_references = false;
    f.exceptions = false;
    return f;
  }
  // Every proposal atoll can decode (for reading what was already judged when compiled).
  static WasmFeatures all() { return WasmFeatures{}; }
  // A compact form for the compiler plugin's C ABI, the compile worker's argv and cache keys.
  uint64_t bits() const {
    return (extended_const ? 1u : 0u) | (tail_call ? 2u : 0u) | (multi_memory ? 4u : 0u) | (memory64 ? 8u : 0u) |
           (relaxed_simd ? 16u : 0u) | (function_references ? 32u : 0u) |
           (exceptions ? 64u : 0u);
  }
  static WasmFeatures from_bits(uint64_t b) {
    WasmFeatures f;
    f.extended_const = (b & 1) != 0;
    f.tail_call = (b & 2) != 0;
    f.multi_memory = (b & 4) != 0;
    f.memory64 = (b & 8) != 0;
    f.relaxed_simd = (b & 16) != 0;
    f.function_references = (b & 32) != 0;
    f.exceptions = (b & 64) != 0;
    return f;
  }
  bool operator==(const WasmFeatures&) const = default;
};

}  // namespace atl
