// How atl::compile() talks to atoll-compile-worker (compile budgets, isolated.cpp): the module
// on the worker's stdin, the settings in argv, and one reply on its stdout:
//   'A' u64 size, artifact bytes               success
//   'E' i32 kind, u64 offset, u32 func, u32 n, message (n bytes)   a compile error
#pragma once

#include <cstdint>

namespace atl::compile_worker {
constexpr char kReplyArtifact = 'A';
constexpr char kReplyError = 'E';
constexpr const char* kExecutableName = "atoll-compile-worker";
// argv: worker opt_level bounds(0|1) target_cpu threads chunk_bytes epochs(0|1) fuel(0|1) memory_limit
//       features (WasmFeatures::bits)
constexpr int kArgc = 10;
}  // namespace atl::compile_worker
