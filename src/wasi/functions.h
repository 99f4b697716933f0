// The wasi_snapshot_preview1 functions, by family. Each returns a WASI errno, or kExit for
// proc_exit.
#pragma once

#include <sys/uio.h>

#include <vector>

#include "wasi/context.h"
#include "wasi/rights.h"

namespace atl::wasi {

constexpr uint16_t kExit = 0xffff;
constexpr uint16_t kCancelled = 0xfffe;  // an async call dropped while suspended in a sleep
constexpr uint32_t kMaxExitStatus = 126;  // proc_exit statuses from here on are reserved
using Handler = uint16_t (*)(Context&, Call&);

struct FunctionDef {
  const char* name;
  const char* params;  // i = i32, I = i64
  bool returns_errno;  // proc_exit returns nothing
  Handler handler;
};

extern const FunctionDef kFdFunctions[];
extern const size_t kNumFdFunctions;
extern const FunctionDef kPathFunctions[];
extern const size_t kNumPathFunctions;
extern const FunctionDef kMiscFunctions[];
extern const size_t kNumMiscFunctions;

// Shared helpers.
// Reads a guest iovec array (pointer, count) into host iovecs pointing at guest memory.
uint16_t guest_iovecs(Call& c, uint32_t ptr, uint32_t count, std::vector<struct iovec>& out);
uint16_t write_filestat(Call& c, uint32_t ptr, const struct stat& st);
uint16_t resolve_errno(int negative_errno);  // -EXDEV from sandboxed resolution -> ENOTCAPABLE

}  // namespace atl::wasi
