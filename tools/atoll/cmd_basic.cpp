// validate, inspect and wast.
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "support/process.h"
#include "wasm/decoder.h"
#include "wasm/inspect.h"

namespace atl::cli {

int validate(const std::string& file) {
  auto bytes = read_file(file);
  if (!bytes.ok()) {
    std::fprintf(stderr, "atoll: %s\n", bytes.error().message.c_str());
    return 1;
  }
  auto module = wasm::decode_and_validate(std::move(bytes.value()));
  if (!module.ok()) {
    std::fprintf(stderr, "%s: %s\n", file.c_str(), module.error().to_string().c_str());
    return 1;
  }
  return 0;
}

int inspect(const std::string& file) {
  auto bytes = read_file(file);
  if (!bytes.ok()) {
    std::fprintf(stderr, "atoll: %s\n", bytes.error().message.c_str());
    return 1;
  }
  wasm::DecodeOutcome out = wasm::decode_module(std::move(bytes.value()));
  if (out.malformed) {
    std::fprintf(stderr, "%s: %s\n", file.c_str(), out.malformed->to_string().c_str());
    return 1;
  }
  wasm::print_module(out.module, file, std::cout);
  if (out.invalid) {
    std::cout.flush();
    std::fprintf(stderr, "%s: warning: %s\n", file.c_str(), out.invalid->to_string().c_str());
    return 1;
  }
  return 0;
}

int wast(const std::vector<std::string>& files, const wast::Options& options) {
  wast::Stats stats;
  for (const std::string& f : files) {
    auto r = wast::run_file(f, options, stats, std::cout);
    if (!r.ok()) {
      std::cout << f << ": FAIL: " << r.error().message << "\n";
      ++stats.failed;
    }
  }
  std::cout << stats.passed << " passed, " << stats.failed << " failed, " << stats.skipped << " skipped\n";
  return stats.failed == 0 ? 0 : 1;
}

}  // namespace atl::cli
