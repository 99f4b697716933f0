// atl::compile() for programs that must not load LLVM until they compile: the compiler plugin
// (libatoll-compiler.so: see plugin_path for where it is looked for) is dlopen'ed on first use.
// Link this library or the in-process compiler (atoll_compiler), not both.
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <mutex>
#include <string>

#include "atoll/atoll.h"
#include "compiler/plugin_abi.h"
#include "compiler_loader/isolated.h"
#include "compiler_loader/loader.h"
#include "compiler_loader/worker_protocol.h"

namespace atl {
namespace {

struct Plugin {
  decltype(&atl_plugin_compile) compile = nullptr;
  decltype(&atl_plugin_free) release = nullptr;
  decltype(&atl_plugin_disassemble) disassemble = nullptr;
  std::string error;
};

std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string exe_dir() {
  char exe[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return ".";
  exe[n] = 0;
  return dir_of(exe);
}

// The directory of the object this code is in: libatoll.so's when a program links the shared
// library, else the executable's.
std::string library_dir() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&library_dir), &info) == 0 || !info.dli_fname) return exe_dir();
  char real[PATH_MAX];
  return realpath(info.dli_fname, real) ? dir_of(real) : dir_of(info.dli_fname);
}

bool exists(const std::string& path, int mode) { return access(path.c_str(), mode) == 0; }

// $ATOLL_COMPILER, else the first that exists of: beside the executable (the build tree),
// beside libatoll.so (an installed library), the executable's ../lib (an installed CLI), the
// configured install directory (a program linking libatoll.a); the install-relative parts come
// from the build (ATOLL_BIN_TO_LIB: e.g. "../lib/x86_64-linux-gnu").
std::string plugin_path() {
  if (const char* env = std::getenv("ATOLL_COMPILER")) return env;
  const std::string name = compiler::kPluginFileName;
  // Asked in order and only as far as needed: every warm `atoll run` comes here for the cache
  // key, and each of /proc/self/exe and realpath costs system calls.
  const std::string exe = exe_dir();
  if (std::string c = exe + "/" + name; exists(c, R_OK)) return c;
  if (std::string c = library_dir() + "/" + name; exists(c, R_OK)) return c;
  if (std::string c = exe + "/" ATOLL_BIN_TO_LIB "/" + name; exists(c, R_OK)) return c;
  if (std::string c = ATOLL_INSTALL_LIBDIR "/" + name; exists(c, R_OK)) return c;
  return exe + "/" + name;
}

// $ATOLL_COMPILE_WORKER, else beside the executable (the CLI's, the build tree), else the
// install's libexec directory seen from the plugin's (ATOLL_LIB_TO_LIBEXEC), else beside the
// plugin. The worker finds the plugin the same way this process does ($ATOLL_COMPILER is
// inherited).
std::string worker_path() {
  if (const char* env = std::getenv("ATOLL_COMPILE_WORKER")) return env;
  const std::string name = compile_worker::kExecutableName;
  const std::string plugin_dir = dir_of(plugin_path());
  const std::string candidates[] = {exe_dir() + "/" + name, plugin_dir + "/" ATOLL_LIB_TO_LIBEXEC "/" + name,
                                    plugin_dir + "/" + name};
  for (const std::string& c : candidates) {
    if (exists(c, X_OK)) return c;
  }
  return candidates[2];
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
    p.disassemble = reinterpret_cast<decltype(&atl_plugin_disassemble)>(dlsym(h, "atl_plugin_disassemble"));
    if (!p.compile || !p.release || !p.disassemble) p.error = "the compiler at " + path + " lacks its entry points";
  });
  return p;
}

}  // namespace

Result<std::vector<uint8_t>> compile(const Engine& engine, std::span<const uint8_t> wasm) {
  if (engine.config().compile_timeout_ms || engine.config().compile_memory_limit) {
    return compile_isolated(engine.config(), wasm, worker_path(), plugin_path());
  }
  const Plugin& p = plugin();
  if (!p.error.empty()) return make_error(ErrorKind::Other, p.error);
  const Config& c = engine.config();
  atl_plugin_options o{c.opt_level, c.bounds == BoundsChecks::Explicit ? 1 : 0, c.target_cpu.c_str(),
                       c.compile_threads, c.compile_chunk_bytes, c.epoch_interruption ? 1u : 0u,
                       c.consume_fuel ? 1u : 0u, c.features.bits()};
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

namespace atl::compiler_loader {

std::string plugin_identity() {
  struct stat st {};
  if (stat(plugin_path().c_str(), &st) != 0) return "none";
  const long long mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return std::to_string(st.st_size) + "-" + std::to_string(mtime_ns) + "-" + std::to_string(st.st_ino);
}

Result<std::vector<NativeInstruction>> disassemble(std::span<const uint8_t> code, uint64_t address) {
  const Plugin& p = plugin();
  if (!p.error.empty()) return make_error(ErrorKind::Other, p.error);
  std::vector<NativeInstruction> out;
  auto emit = [](void* user, uint64_t at, uint32_t size, const char* text) {
    static_cast<std::vector<NativeInstruction>*>(user)->push_back({at, size, text});
  };
  if (char* error = p.disassemble(code.data(), code.size(), address, emit, &out)) {
    Error e = make_error(ErrorKind::Other, error);
    p.release(error);
    return e;
  }
  return out;
}

}  // namespace atl::compiler_loader
