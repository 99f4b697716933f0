// Which functions get the cheap pipeline. LLVM's optimiser and code generator are superlinear on
// shapes a hostile module can take cheaply: the machine scheduler is quadratic in a basic block's
// length, SSA construction and register allocation grow with locals times join points. Such
// functions are compiled as at -O0 (in chunks of their own), which stays near-linear; ordinary
// functions, even large ones, are far below these bounds. The compile budget
// (Config::compile_timeout_ms) bounds whatever this misses.
#pragma once

#include <cstdint>
#include <vector>

#include "wasm/module.h"

namespace atl::compiler {

struct FunctionShape {
  uint32_t longest_straight_run = 0;  // instructions between two control instructions
  uint64_t control_instructions = 0;
  uint64_t locals = 0;                // parameters included
};

FunctionShape measure(const wasm::Module& m, uint32_t func_index);
bool needs_cheap_pipeline(const FunctionShape& s);

// One flag per defined function (index - num_imported_funcs).
std::vector<bool> cheap_functions(const wasm::Module& m);

}  // namespace atl::compiler
