// libFuzzer target: decode + validate arbitrary bytes, then print the module as `atoll inspect`
// does. Any crash, sanitizer report, leak or hang is a finding; rejection is the normal outcome.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <vector>

#include "wasm/decoder.h"
#include "wasm/inspect.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  atl::wasm::DecodeOutcome out =
      atl::wasm::decode_module(std::vector<uint8_t>(data, data + size));
  if (!out.malformed) {
    std::ostringstream sink;
    atl::wasm::print_module(out.module, "fuzz", sink);
  }
  // The strict entry point must agree with the lenient one.
  auto strict = atl::wasm::decode_and_validate(std::vector<uint8_t>(data, data + size));
  if (strict.ok() != (!out.malformed && !out.invalid)) __builtin_trap();
  return 0;
}
