// `atoll run`'s grouped options, spelt as Wasmtime's: -W for the engine and its limits, -S for
// WASI. Each flag holds a comma-separated list of NAME or NAME=VALUE; a flag may repeat.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "atoll/features.h"
#include "atoll/result.h"

namespace atl::cli {

struct WasmOptions {
  std::optional<uint64_t> fuel;                // -W fuel=N (implies consume-fuel)
  std::optional<uint64_t> timeout_ns;          // -W timeout=DURATION (implies epoch-interruption)
  std::optional<uint64_t> max_memory_size;     // bytes, per linear memory
  std::optional<uint32_t> max_table_elements;  // per table
  std::optional<uint64_t> max_wasm_stack;      // bytes
  std::optional<bool> epoch_interruption;
  std::optional<bool> consume_fuel;
  WasmFeatures features;  // -W extended-const=n, all-proposals=n, ...

  // What the code must be compiled with, after the implications above.
  bool wants_epochs() const { return epoch_interruption.value_or(false) || timeout_ns.has_value(); }
  bool wants_fuel() const { return consume_fuel.value_or(false) || fuel.has_value(); }
};

struct WasiOptions {
  bool inherit_env = false;             // -S inherit-env: the whole host environment
  std::vector<std::string> tcp_listen;  // -S tcplisten=ADDR:PORT
};

struct DebugOptions {
  bool debug_info = false;  // -D debug-info: describe the guest's code to gdb (JIT interface)
};

// --profile KIND[,...]: perfmap, jitdump (for perf) or guest[,PATH[,INTERVAL]] (atoll samples
// the guest's wasm frames every INTERVAL of its running and writes collapsed stacks to PATH).
struct ProfileOptions {
  enum class Kind { None, PerfMap, JitDump, Guest } kind = Kind::None;
  std::string path = "atoll-guest-profile.folded";  // guest
  uint64_t interval_ns = 1'000'000;                   // guest
};
Result<ProfileOptions> parse_profile_option(const std::string& text);

// The lists of every -W (or -S, -D) flag, in order; a later setting of a name wins. Errors name the
// option and list the known ones.
Result<WasmOptions> parse_wasm_options(const std::vector<std::string>& flags);
// -W of the commands that compile but do not run (compile, explore, wast): proposals only.
Result<WasmFeatures> parse_feature_options(const std::vector<std::string>& flags);
Result<WasiOptions> parse_wasi_options(const std::vector<std::string>& flags);
Result<DebugOptions> parse_debug_options(const std::vector<std::string>& flags);

}  // namespace atl::cli
