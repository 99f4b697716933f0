// Plain calls inside modules that make no tail calls (see call_entries.cpp).
#pragma once

#include <llvm/IR/Function.h>

#include "wasm/module.h"

namespace atl::compiler {

class ModuleContext;

// Whether any function of the module has return_call, return_call_indirect or return_call_ref
// (or does not decode: assume so).
bool uses_tail_calls(const wasm::Module& wm);

// For function `index`, whose body `body` uses the plain convention: defines atl_wrap_<index>
// in the wasm convention, calling the body.
void emit_wrapper(ModuleContext& mc, uint32_t index, llvm::Function* body);

}  // namespace atl::compiler
