// Instructions as text, in the WebAssembly text format's spelling (`i32.load offset=8`,
// `call $fib`, `br_table 0 1 2`), for listings people read (`atoll explore`).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "atoll/result.h"
#include "wasm/instr_reader.h"
#include "wasm/module.h"

namespace atl::wasm {

// `in` as text; `br_targets` are the br_table targets read with it; `m` supplies function names.
std::string instr_text(const Instr& in, std::span<const uint32_t> br_targets, const Module& m);

struct ListedInstr {
  uint64_t offset = 0;  // absolute offset of the opcode in the module's bytes
  uint32_t depth = 0;   // block nesting: 0 for the function body's own instructions
  std::string text;
};

// Every instruction of defined function `func_index` (imports first in the index space), in
// order, the final `end` included. The module must be decoded; a body that does not decode
// is an error naming the offset.
Result<std::vector<ListedInstr>> function_listing(const Module& m, uint32_t func_index);

}  // namespace atl::wasm
