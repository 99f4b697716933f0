// Which functions of a module without tags can return with an exception pending (see
// may_throw.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "wasm/module.h"

namespace atl::compiler {

// Per function index: 1 if a call of it may end with an exception pending. A module without tags
// cannot throw one of its own, but code it calls can: imported functions, and any function
// reached through a table or a reference (call_indirect, call_ref), and so can throw_ref and
// rethrow of what its handlers caught. A function may throw if it does any of these, or calls
// (also in tail position) a function that may. Imports are 1.
std::vector<uint8_t> functions_that_may_throw(const wasm::Module& wm);

}  // namespace atl::compiler
