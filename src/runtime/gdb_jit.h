// GDB's JIT interface (gdb/jit.c; "JIT Compilation Interface" in GDB's manual): each loaded
// module is described to a debugger by an in-memory ELF object holding a symbol per wasm
// function at its loaded address and, when the guest carried DWARF, a line table mapping the
// native code to the guest's file:line. gdb (and lldb) read it from __jit_debug_descriptor
// when __jit_debug_register_code is called, so `break parse` and `step` work on guest code.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/objects.h"

namespace atl::runtime {

// The ELF object describing `m`'s loaded code (exposed for tests; empty if `m` has no code).
std::vector<uint8_t> debugger_object(const LoadedModule& m);

// Registers `m` with an attached or later-attaching debugger; the registration ends when the
// handle is destroyed (it must not outlive the module's code).
std::shared_ptr<void> register_with_debugger(const LoadedModule& m);

}  // namespace atl::runtime
