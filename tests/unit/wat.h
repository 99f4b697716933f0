// Test helper: WebAssembly text to binary through wabt's wat2wasm.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include "support/process.h"

namespace atl::test {

inline std::vector<uint8_t> wat(const std::string& text) {
  auto dir = TempDir::create("atoll-test-");
  if (!dir.ok()) return {};
  const std::string in = dir->path() + "/m.wat";
  const std::string out = dir->path() + "/m.wasm";
  std::ofstream(in) << text;
  std::string log;
  auto rc = run_process({"wat2wasm", "--debug-names", in, "-o", out}, log);
  if (!rc.ok() || *rc != 0) return {};
  auto bytes = read_file(out);
  return bytes.ok() ? std::move(bytes.value()) : std::vector<uint8_t>{};
}

}  // namespace atl::test
