// The spec-test script runner behind `atoll wast`.
//
// A .wast script is converted by wabt's `wast2json` into a JSON command list plus one binary
// module per `module`/assertion; the runner executes the commands against atoll. Today it checks
// module decoding and validation (`module`, `assert_malformed`, `assert_invalid`); commands that
// need execution are counted as skipped, as are text-format modules (atoll reads binaries).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "support/result.h"

namespace atl::wast {

struct Options {
  std::string wast2json = "wast2json";  // the converter to run
  bool verbose = false;                 // also print passes and skips
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
