// x86-64 disassembly of generated code for people reading it (`atoll explore`), with LLVM's MC
// layer. Lives in the compiler library because it needs LLVM; the CLI reaches it through the
// plugin (atl_plugin_disassemble).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "atoll/result.h"

namespace atl::compiler {

// Calls `emit(address, size, text)` for each instruction of `code`, which is taken to be at
// `address` (branch targets are printed as addresses in that space). Intel syntax, immediates in
// hex. Bytes that do not decode are reported one at a time as "(bad)", so the listing always
// covers the whole range.
Result<void> disassemble(std::span<const uint8_t> code, uint64_t address,
                         const std::function<void(uint64_t, uint32_t, const std::string&)>& emit);

}  // namespace atl::compiler
