// The spec-test script runner behind `atoll wast`.
//
// A .wast script is converted by wabt's `wast2json` into a JSON command list plus one binary
// module per `module`/assertion; a .json script already is one (the WebAssembly 3.0 suite in
// ../shared/wasm-testsuite-3.0 comes so, with the extensions its FORMAT.md lists:
// module_definition/module_instance, assert_exception, reference patterns, `either`). The runner
// executes the commands against atoll. Today it checks
// every command: modules are decoded, validated, compiled and instantiated (with the `spectest`
// host module and registered modules as imports), actions run, and results, traps, link and
// instantiation failures are compared. Text-format malformed modules are counted as skipped
// (atoll reads binaries; the text parser is wabt's job).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "compiler/compiler.h"
#include "atoll/features.h"
#include "atoll/result.h"

namespace atl::wast {

struct Options {
  std::string wast2json = "wast2json";  // the converter to run
  bool verbose = false;                 // also print passes and skips
  compiler::BoundsMode bounds = compiler::BoundsMode::GuardPages;
  int opt_level = 2;
  uint64_t chunk_bytes = 64 * 1024;  // see compiler::CompileOptions
  bool epoch_interruption = false;   // compile epoch checks (never triggered: no deadline)
  bool consume_fuel = false;         // compile fuel metering (fuel is unlimited)
  WasmFeatures features;             // -W NAME=y|n; the 2.0 suite runs with all-proposals=n
};

struct Stats {
  uint64_t passed = 0;
  uint64_t failed = 0;
  uint64_t skipped = 0;
};

// Runs one script, adding to `stats` and printing each failure with its line number to `out`.
// An error result means the script could not be run at all (missing file, converter failure);
// the caller counts that as a failure.
Result<void> run_file(const std::string& path, const Options& options, Stats& stats,
                      std::ostream& out);

}  // namespace atl::wast
