// atl::compile() for programs that must not load LLVM until they compile: the compiler plugin
// (libatoll-compiler.so, next to the executable or at $ATOLL_COMPILER) is dlopen'ed on first use.
// Link this library or the in-process compiler (atoll_compiler), not both.
#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <mutex>
#include <string>

#include "atoll/atoll.h"
#include "compiler/plugin_abi.h"
#include "compiler_loader/isolated.h"
#include "compiler_loader/worker_protocol.h"

namespace atl {
namespace {

struct Plugin {
  decltype(&atl_plugin_compile) compile = nullptr;
  decltype(&atl_plugin_free) release = nullptr;
  std::string error;
};

std::string exe_dir() {
  char exe[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return ".";
  exe[n] = 0;
  const std::string path = exe;
  return path.substr(0, path.rfind('/'));
}

std::string plugin_path() {
  if (const char* env = std::getenv("ATOLL_COMPILER")) return env;
  return exe_dir() + "/" + compiler::kPluginFileName;
}

// $ATOLL_COMPILE_WORKER, else beside the executable (the CLI's), else beside the plugin. The
// worker finds the plugin the same way this process does ($ATOLL_COMPILER is inherited).
std::string worker_path() {
  if (const char* env = std::getenv("ATOLL_COMPILE_WORKER")) return env;
  const std::string beside_exe = exe_dir() + "/" + compile_worker::kExecutableName;
  if (access(beside_exe.c_str(), X_OK) == 0) return beside_exe;
  const std::string plugin = plugin_path();
  const size_t slash = plugin.rfind('/');
  return (slash == std::string::npos ? std::string(".") : plugin.substr(0, slash)) + "/" +
         compile_worker::kExecutableName;
}

const Plugin& plugin() {
  static Plugin p;
  static std::once_flag once;
  std::call_once(once, [] {
    const std::string path = plugin_path();
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      p.error = "cannot load the compiler (" + path + "): " + dlerror();
      return;
    }
    auto version = reinterpret_cast<decltype(&atl_plugin_abi_version)>(dlsym(h, "atl_plugin_abi_version"));
    if (!version || version() != compiler::kPluginAbiVersion) {
      p.error = "the compiler at " + path + " is from another atoll version";
      return;
    }
    p.compile = reinterpret_cast<decltype(&atl_plugin_compile)>(dlsym(h, "atl_plugin_compile"));
    p.release = reinterpret_cast<decltype(&atl_plugin_free)>(dlsym(h, "atl_plugin_free"));
    if (!p.compile || !p.release) p.error = "the compiler at " + path + " lacks its entry points";
  });
  return p;
}

}  // namespace

Result<std::vector<uint8_t>> compile(const Engine& engine, std::span<const uint8_t> wasm) {
  if (engine.config().compile_timeout_ms || engine.config().compile_memory_limit) {
    return compile_isolated(engine.config(), wasm, worker_path());
  }
  const Plugin& p = plugin();
  if (!p.error.empty()) return make_error(ErrorKind::Other, p.error);
  const Config& c = engine.config();
  atl_plugin_options o{c.opt_level, c.bounds == BoundsChecks::Explicit ? 1 : 0, c.target_cpu.c_str(),
                       c.compile_threads, c.compile_chunk_bytes, c.epoch_interruption ? 1u : 0u,
                       c.consume_fuel ? 1u : 0u};
  atl_plugin_result r;
  p.compile(wasm.data(), wasm.size(), &o, &r);
  if (!r.artifact) {
    Error e = make_error(static_cast<ErrorKind>(r.error_kind), r.error_message ? r.error_message : "compile failed",
                         r.error_offset, r.error_func);
    p.release(r.error_message);
    return e;
  }
  std::vector<uint8_t> out(r.artifact, r.artifact + r.artifact_size);
  p.release(r.artifact);
  return out;
}

}  // namespace atl
