// Telling profilers about loaded code: perf's map file (/tmp/perf-PID.map: names only) and
// its jitdump format (jit-PID.dump: names and the machine code, so `perf inject --jit` and
// `perf annotate` show each wasm function's instructions).
#pragma once

#include <string>

#include "atoll/atoll.h"
#include "runtime/objects.h"

namespace atl::runtime {

// The name a profiler shows for a code symbol: "wasm[3] name" for wasm functions.
std::string profile_label(const LoadedModule& m, const std::string& symbol);

// Describes `m`'s code to the profiler `p` (ATOLL_PERF_MAP=1 in the environment also asks for
// a perf map). Failures to write are ignored: profiling must never stop a program.
void announce_code(const LoadedModule& m, Profiler p);

}  // namespace atl::runtime
