// Debug information for backtraces (artifact/debug_table.h holds the format).
//
// Going in: every LLVM instruction gets a DILocation whose line is the wasm bytecode offset of
// the instruction it came from, in a DISubprogram per wasm function, so LLVM's inliner records
// inline chains like any C compiler's would. Coming out: the DWARF LLVM emitted into the chunk's
// object is read back (DWARFContext) into native-offset -> wasm-frames ranges, and the guest's own
// DWARF (the .debug_* custom sections clang -g leaves) into wasm-offset -> source ranges. The
// object's .debug_* sections are dropped when chunks are merged; only the compact table ships.
#pragma once

#include <llvm/IR/DIBuilder.h>
#include <llvm/IR/Module.h>

#include <cstdint>
#include <memory>
#include <span>

#include "artifact/debug_table.h"
#include "wasm/module.h"

namespace atl::compiler {

class DebugLocations {
 public:
  explicit DebugLocations(llvm::Module& mod);
  // A subprogram for a wasm function's LLVM function, attached to it.
  llvm::DISubprogram* attach(llvm::Function* f);
  // Before verification: resolves the builder's temporaries.
  void finalize() { dib_.finalize(); }

 private:
  llvm::DIBuilder dib_;
  llvm::DIFile* file_;
  llvm::DISubroutineType* type_;
};

// Adds the native -> wasm ranges of every wasm function in `object` (an ELF object emitted from
// a module with DebugLocations).
Result<void> read_native_ranges(std::span<const uint8_t> object, const wasm::Module& wm,
                                artifact::DebugTableBuilder& out);

// Adds the source ranges of the guest's DWARF, if it has any. Malformed or partial DWARF gives
// fewer ranges, never an error: debug info must not stop a program from compiling.
void read_guest_dwarf(const wasm::Module& wm, artifact::DebugTableBuilder& out);

}  // namespace atl::compiler
