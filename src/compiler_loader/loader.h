// What the loader tells its users beyond atl::compile (atoll.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "atoll/result.h"

namespace atl::compiler_loader {

// Which compiler plugin a compile would load, as "SIZE-MTIME_NS-INODE" of its file (or "none"):
// part of the CLI's cache key, so artifacts another build of the compiler made (before an
// upgrade, in a rebuilt tree) are not reused. One stat; the plugin is not loaded.
std::string plugin_identity();

struct NativeInstruction {
  uint64_t address = 0;
  uint32_t size = 0;
  std::string text;  // Intel syntax; "(bad)" for a byte that does not decode
};
// x86-64 instructions of `code` taken to be at `address`, through the plugin (loads LLVM).
Result<std::vector<NativeInstruction>> disassemble(std::span<const uint8_t> code, uint64_t address);

}  // namespace atl::compiler_loader
