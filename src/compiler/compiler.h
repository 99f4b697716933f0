// The compiler's interface: a validated wasm::Module in, an artifact (bytes) out. No LLVM type
// appears here; only files in src/compiler/ include LLVM headers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "atoll/result.h"
#include "wasm/module.h"

namespace atl::compiler {

enum class BoundsMode : uint8_t {
  GuardPages = 0,  // 8 GiB reservation per memory; no bounds checks in generated code
  Explicit = 1,    // every access checked against the current memory size
};

struct CompileOptions {
  int opt_level = 2;                   // 0..3
  BoundsMode bounds = BoundsMode::GuardPages;
  std::string target_cpu = "x86-64-v2";  // or "native", or an LLVM CPU name
  unsigned threads = 0;                // 0: one per CPU of the affinity mask
  // Modules with more code than this are split into chunks compiled in parallel (at most two
  // per thread). Small values force splitting, which tests use to exercise the merge.
  uint64_t chunk_bytes = 64 * 1024;
  // Interruption (off by default: nothing is emitted). Epoch checks at function entry and loop
  // headers compare the engine's epoch with the store's deadline; fuel metering subtracts each
  // block's instruction count from the store's fuel and traps when it runs out.
  bool epoch_interruption = false;
  bool consume_fuel = false;
};

// Compiles a validated module into an artifact: an ELF relocatable object holding the machine
// code, entry trampolines and host adapters per type, and the atoll metadata sections.
Result<std::vector<uint8_t>> compile(const wasm::Module& module, const CompileOptions& options);

// Identifies the compiler build and the options that affect generated code.
std::string fingerprint(const CompileOptions& options);

}  // namespace atl::compiler
