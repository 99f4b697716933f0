// The CLI's commands; each lives in its own file and only calls atoll's libraries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "atoll/atoll.h"
#include "atoll/wasi.h"
#include "wast/runner.h"

namespace atl::cli {

int validate(const std::string& file);
int inspect(const std::string& file, bool json);
// What --version prints: atoll's, LLVM's and the artifact format's versions, the host CPU level.
std::string version_text();
// The highest x86-64 level (x86-64-v4, -v3, -v2, x86-64) this CPU has every feature of: `atoll
// run`'s default target, since what it compiles is cached per machine (a named level, not
// "native", so the cache key says what the code needs).
std::string host_cpu_level();
int wast(const std::vector<std::string>& files, const wast::Options& options);

struct CodegenFlags {
  int opt_level = 2;
  std::string bounds = "guard";
  std::string target_cpu = "x86-64-v2";
  bool epoch_interruption = false;
  bool consume_fuel = false;
  WasmFeatures features;                      // the proposals modules may use
  std::vector<std::string> feature_options;  // -W of compile, explore and wast (run has its own)
  bool bounds_given = false;  // --bounds was on the command line (an artifact's own must agree)
  // The compile budget (Config::compile_timeout_ms/compile_memory_limit); 0 and 0: in-process.
  double compile_timeout_s = 300;
  uint64_t compile_memory_mib = 4096;
};

int compile(const std::string& input, std::string output, const CodegenFlags& flags);
// `atoll explore`: writes the explorer page (default: input with .html).
int explore_module(const std::string& input, std::string output, const CodegenFlags& flags);

struct RunFlags {
  CodegenFlags codegen;
  bool no_cache = false;
  bool allow_precompiled = false;
  std::vector<std::string> dirs;  // HOST[::GUEST]
  std::vector<std::string> env;   // KEY=VALUE
  std::vector<std::string> tcp_listen;
  std::vector<std::string> wasm_options;  // -W, parsed by run_options.h
  std::vector<std::string> wasi_options;  // -S
  std::vector<std::string> preloads;      // NAME=PATH
  std::string argv0;
  bool argv0_given = false;
  std::string profile;  // --profile: see ProfileOptions (run_options.h)
  std::vector<std::string> debug_options;  // -D
  std::string invoke;
  std::string file;
  std::vector<std::string> args;
};
int run(const RunFlags& flags);

struct ServeFlags {
  std::string module;
  std::string config;      // a TOML file instead of MODULE and the per-route flags
  std::string admin_addr;
  uint32_t drain_timeout_ms = 30'000;
  std::optional<uint32_t> drain_delay_ms;  // given: overrides a config's
  bool no_cache = false;
  bool prewarm = false;
  bool watch = false;
  std::string addr = "127.0.0.1:8080";
  bool addr_given = false;  // --addr overrides a config's
  unsigned workers = 0;
  std::vector<std::string> dirs;
  std::vector<std::string> env;
  uint32_t deadline_ms = 10'000;
  uint64_t max_request_body = 1 << 20;
  uint64_t max_response = 16 << 20;
  uint64_t max_memory_mib = 256;
  uint32_t max_instances = 1000;
  uint32_t header_timeout_ms = 10'000;
  bool scratch = false;
  bool quiet = false;
};
int serve(const ServeFlags& flags);
int cache_clean();

// A --dir flag, HOST[::GUEST] (GUEST defaults to HOST).
wasi::Preopen parse_preopen(const std::string& flag);
// Refuses a grant of the compile cache's directory (or one above it) to a guest.
Result<void> check_cache_grants(const std::vector<wasi::Preopen>& dirs);

// The part of a compile-cache key that identifies the compiler and its settings.
std::string cache_settings(const CodegenFlags& flags);
// A .wasm compiled for `engine` (whose settings `codegen` describes), from the cache when it
// holds a good artifact, else compiled and cached.
Result<Module> load_or_compile(const Engine& engine, const std::vector<uint8_t>& wasm, const CodegenFlags& codegen,
                               bool no_cache);

// Exit status of `atoll run` when the guest traps: distinct from any normal exit (as with an
// abort signal).
constexpr int kTrapExitCode = 134;

}  // namespace atl::cli
