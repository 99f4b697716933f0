// Test helper: WebAssembly text to binary through wabt's wat2wasm.
#pragma once

#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "support/process.h"

namespace atl::test {

// `flags` go to wat2wasm (--enable-..., --no-check for what wabt does not know is valid).
inline std::vector<uint8_t> wat(const std::string& text, const std::vector<std::string>& flags = {}) {
  auto dir = TempDir::create("atoll-test-");
  if (!dir.ok()) return {};
  const std::string in = dir->path() + "/m.wat";
  const std::string out = dir->path() + "/m.wasm";
  std::ofstream(in) << text;
  std::string log;
  std::vector<std::string> argv = {"wat2wasm", "--debug-names", in, "-o", out};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto rc = run_process(argv, log);
  if (!rc.ok() || *rc != 0) return {};
  auto bytes = read_file(out);
  return bytes.ok() ? std::move(bytes.value()) : std::vector<uint8_t>{};
}

// Resident set size of this process, in KiB.
inline long resident_kib() {
  std::ifstream statm("/proc/self/statm");
  long total = 0, resident = 0;
  statm >> total >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

}  // namespace atl::test
