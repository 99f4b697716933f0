#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "abi/abi.h"
#include "atoll/atoll.h"
#include "atoll/wasi.h"
#include "cache/cache.h"
#include "commands.h"
#include "compiler_loader/loader.h"
#include "invoke_values.h"
#include "guest_profiler.h"
#include "run_options.h"
#include "support/process.h"
#include "support/units.h"

extern char** environ;

namespace atl::cli {

Config engine_config(const CodegenFlags& flags);

namespace {

constexpr int kUsageExitCode = 2;

int error(const std::string& message, int status = 1) {
  std::fprintf(stderr, "atoll: %s\n", message.c_str());
  return status;
}

// Ends the process once the guest is done, without tearing down what the process is about to
// lose anyway (the store's mappings, the module, the linker, the argument parser): about a tenth
// of a warm `atoll run` of a small program. Sanitizer builds return normally, so their leak check
// still sees the run.
void fast_exit(int status) {
#if !(defined(__SANITIZE_ADDRESS__) || (defined(__has_feature) && __has_feature(address_sanitizer)))
  std::fflush(nullptr);
  _exit(status);
#else
  (void)status;
#endif
}

bool is_artifact(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 4 && bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' && bytes[3] == 'F';
}

Result<std::vector<uint8_t>> read_stdin() {
  if (isatty(0)) return make_error(ErrorKind::Usage, "the module is '-' (read from stdin), but stdin is a terminal");
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(0, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorKind::Io, std::string("reading the module from stdin: ") + std::strerror(errno));
    }
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

// -W timeout: the engine's epoch advances once the time is up, and code compiled with epoch
// checks traps at its next function entry or loop header. A guest blocked in a host call (a
// WASI sleep or read) reaches no check; past a short grace the process ends instead.
class GuestTimeout {
 public:
  GuestTimeout(const Engine& engine, uint64_t ns) : engine_(engine), ns_(ns) {
    thread_ = std::thread([this] { watch(); });
  }
  ~GuestTimeout() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      finished_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  GuestTimeout(const GuestTimeout&) = delete;
  GuestTimeout& operator=(const GuestTimeout&) = delete;
  bool fired() const {
    std::lock_guard<std::mutex> lock(mu_);
    return fired_;
  }
  std::string message() const {
    return "guest exceeded its timeout of " + units::format_duration_ns(ns_) + " (-W timeout)";
  }
  // How long after the deadline the guest stopped (its trap reached the CLI).
  std::string lateness() const {
    std::lock_guard<std::mutex> lock(mu_);
    const auto late = std::chrono::steady_clock::now() - fired_at_;
    return units::format_duration_ns(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(late).count() * 1000));
  }

 private:
  static constexpr auto kGrace = std::chrono::milliseconds(100);

  void watch() {
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, std::chrono::nanoseconds(ns_), [this] { return finished_; })) return;
    fired_ = true;
    fired_at_ = std::chrono::steady_clock::now();
    engine_.increment_epoch();
    if (cv_.wait_for(lock, kGrace, [this] { return finished_; })) return;
    std::fflush(stdout);
    std::fprintf(stderr, "atoll: %s while in a host call; stopped\n", message().c_str());
    std::_Exit(kTrapExitCode);
  }

  Engine engine_;
  const uint64_t ns_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool finished_ = false;
  bool fired_ = false;
  std::chrono::steady_clock::time_point fired_at_;
  std::thread thread_;
};

// The exit status when instantiation (the start function) or the call failed, as Wasmtime has
// it: proc_exit(N) exits N (N < 126); proc_exit with a reserved status exits 1 with a message; a
// trap exits 134 with its backtrace; anything else (a link error) exits 1.
int guest_failed(const Error& e, const wasi::Context* wasi_ctx, const GuestTimeout* timeout) {
  std::fflush(stdout);
  if (wasi_ctx) {
    if (auto code = wasi::exit_code(*wasi_ctx)) return *code;
    if (auto reserved = wasi::reserved_exit_status(*wasi_ctx)) {
      return error("proc_exit(" + std::to_string(*reserved) + "): exit with invalid exit status outside of [0..126)");
    }
  }
  if (e.kind != ErrorKind::Trap) return error(e.to_string());
  if (e.trap() == TrapCode::Interrupted && timeout && timeout->fired()) {
    std::fprintf(stderr, "atoll: %s; stopped %s after it\n", timeout->message().c_str(), timeout->lateness().c_str());
  }
  std::fprintf(stderr, "atoll: wasm trap: %s\n", e.message.c_str());
  // An uncaught exception is seen only once it has left every wasm frame: nothing to list.
  if (!e.backtrace.empty()) std::fprintf(stderr, "wasm backtrace:\n%s", e.backtrace.c_str());
  if (e.trap() == TrapCode::OutOfFuel) std::fprintf(stderr, "(the fuel was set by -W fuel)\n");
  return kTrapExitCode;
}

// An artifact's compile settings are read from it; flags given on the command line must agree.
Result<void> adopt_artifact_settings(const std::vector<uint8_t>& bytes, CodegenFlags& codegen) {
  auto info = read_artifact_info(bytes);
  if (!info.ok()) return info.take_error();
  const std::string bounds = info->bounds == BoundsChecks::Explicit ? "explicit" : "guard";
  if (codegen.bounds_given && codegen.bounds != bounds) {
    return make_error(ErrorKind::Usage, std::string("the artifact was compiled for ") +
                                            (bounds == "explicit" ? "explicit bounds checks" : "guard pages") +
                                            ", not --bounds " + codegen.bounds + " (its settings are read from it)");
  }
  if (codegen.epoch_interruption && !info->epoch_interruption) {
    return make_error(ErrorKind::Usage, "the artifact was compiled without epoch checks, which -W timeout, "
                                        "-W epoch-interruption and --profile guest need; compile it with --epoch-interruption");
  }
  if (codegen.consume_fuel && !info->consume_fuel) {
    return make_error(ErrorKind::Usage, "the artifact was compiled without fuel metering, which -W fuel and "
                                        "-W consume-fuel need; compile it with --consume-fuel");
  }
  codegen.bounds = bounds;
  codegen.epoch_interruption = info->epoch_interruption;
  codegen.consume_fuel = info->consume_fuel;
  return {};
}

std::string base_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// --env NAME=VALUE sets; --env NAME passes the host's value on (nothing when the host has none).
std::vector<std::string> guest_environment(const RunFlags& flags, const WasiOptions& wasi_options) {
  std::vector<std::string> env;
  if (wasi_options.inherit_env) {
    for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  }
  for (const std::string& item : flags.env) {
    const size_t eq = item.find('=');
    std::string entry = item;
    if (eq == std::string::npos) {
      const char* host = std::getenv(item.c_str());
      if (!host) continue;
      entry = item + "=" + host;
    }
    const std::string name = entry.substr(0, entry.find('='));
    std::erase_if(env, [&](const std::string& e) { return e.compare(0, name.size() + 1, name + "=") == 0; });
    env.push_back(std::move(entry));
  }
  return env;
}

struct LoadedInput {
  std::string name;  // for messages
  Module module;
};

Result<LoadedInput> load_input(const Engine& engine, const std::string& path, const RunFlags& flags) {
  auto bytes = path == "-" ? read_stdin() : read_file(path);
  if (!bytes.ok()) return bytes.take_error();
  const std::string name = path == "-" ? "<stdin>" : path;
  // The message then says what kind of failure it was ("malformed module: ...").
  auto fail = [&](Error e) {
    e.message = name + ": " + e.to_string();
    return e;
  };
  if (is_artifact(*bytes)) {
    if (!flags.allow_precompiled) {
      return make_error(ErrorKind::Usage, name + " is a precompiled artifact (native code, whatever its name); run it "
                                                 "only if you compiled it yourself, with --allow-precompiled");
    }
    auto m = Module::from_artifact(engine, std::move(bytes.value()));
    if (!m.ok()) return fail(m.take_error());
    return LoadedInput{name, std::move(m.value())};
  }
  auto m = load_or_compile(engine, *bytes, flags.codegen, flags.no_cache);
  if (!m.ok()) return fail(m.take_error());
  return LoadedInput{name, std::move(m.value())};
}

}  // namespace

// A .wasm is compiled once and its artifact reused from the cache; an entry that fails
// authentication or does not load (corrupt, another format version) is recompiled and replaced.
// A cache that is not safely ours is not used at all (a warning says why).
Result<Module> load_or_compile(const Engine& engine, const std::vector<uint8_t>& wasm, const CodegenFlags& codegen,
                               bool no_cache) {
  if (no_cache) return compile_module(engine, wasm);
  auto dir = cache::default_directory();
  if (!dir.ok()) return dir.take_error();
  auto store = cache::Cache::open(*dir);
  if (!store.ok()) {
    std::fprintf(stderr, "atoll: warning: %s; compiling without the cache\n", store.error().message.c_str());
    return compile_module(engine, wasm);
  }
  const std::string name = cache::entry_name(wasm, cache_settings(codegen));
  // Processes running the same module (atoll serve x N) share its code pages through the cache.
  ArtifactOptions load;
  load.shared_code_file = store->directory() + "/" + name + ".code";
  if (auto cached = store->read(name)) {
    auto m = Module::from_artifact(engine, std::move(*cached), load);
    if (m.ok()) return m;
  }
  auto artifact = compile(engine, wasm);
  if (!artifact.ok()) return artifact.take_error();
  auto written = store->write(name, *artifact);
  if (!written.ok()) std::fprintf(stderr, "atoll: warning: %s\n", written.error().message.c_str());
  return Module::from_artifact(engine, std::move(artifact.value()), written.ok() ? load : ArtifactOptions{});
}

wasi::Preopen parse_preopen(const std::string& flag) {
  const size_t sep = flag.find("::");
  return sep == std::string::npos ? wasi::Preopen{flag, flag} : wasi::Preopen{flag.substr(0, sep), flag.substr(sep + 2)};
}

// No guest may reach the compile cache, even in a run that does not use it: later runs would.
Result<void> check_cache_grants(const std::vector<wasi::Preopen>& dirs) {
  auto dir = cache::default_directory();
  if (!dir.ok()) return {};  // no cache anywhere
  for (const wasi::Preopen& d : dirs) {
    auto ok = cache::check_grant(*dir, d.host_path);
    if (!ok.ok()) return ok;
  }
  return {};
}

std::string cache_settings(const CodegenFlags& flags) {
  return std::string("atoll 0.1.0|artifact ") + std::to_string(abi::kArtifactVersion) + "|llvm " +
         ATOLL_LLVM_VERSION + "|compiler " + compiler_loader::plugin_identity() + "|O" +
         std::to_string(flags.opt_level) + "|" + flags.bounds + "|" + flags.target_cpu +
         (flags.epoch_interruption ? "|epochs" : "") + (flags.consume_fuel ? "|fuel" : "") +
         "|features " + std::to_string(flags.features.bits());
}

int cache_clean() {
  auto dir = cache::default_directory();
  if (!dir.ok()) return error(dir.error().message);
  auto removed = cache::clean(*dir);
  if (!removed.ok()) return error(removed.error().message);
  std::printf("removed %zu cached artifact(s) from %s\n", *removed, dir->c_str());
  return 0;
}

int run(const RunFlags& given) {
  RunFlags flags = given;
  auto wasm_options = parse_wasm_options(flags.wasm_options);
  if (!wasm_options.ok()) return error(wasm_options.error().message, kUsageExitCode);
  auto wasi_options = parse_wasi_options(flags.wasi_options);
  if (!wasi_options.ok()) return error(wasi_options.error().message, kUsageExitCode);
  auto debug_options = parse_debug_options(flags.debug_options);
  if (!debug_options.ok()) return error(debug_options.error().message, kUsageExitCode);
  auto profile = parse_profile_option(flags.profile);
  if (!profile.ok()) return error(profile.error().message, kUsageExitCode);
  const bool guest_profile = profile->kind == ProfileOptions::Kind::Guest;
  flags.codegen.epoch_interruption |= wasm_options->wants_epochs() || guest_profile;
  flags.codegen.consume_fuel |= wasm_options->wants_fuel();
  flags.codegen.features = wasm_options->features;
  struct Preload {
    std::string name, path;
  };
  std::vector<Preload> preloads;
  for (const std::string& p : flags.preloads) {
    const size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == p.size()) {
      return error("--preload '" + p + "' is not NAME=PATH", kUsageExitCode);
    }
    preloads.push_back({p.substr(0, eq), p.substr(eq + 1)});
  }
  if (flags.file == "-") {
    for (const Preload& p : preloads) {
      if (p.path == "-") return error("only one module can be read from stdin", kUsageExitCode);
    }
  }

  std::vector<wasi::Preopen> dirs;
  for (const std::string& d : flags.dirs) dirs.push_back(parse_preopen(d));
  if (auto granted = check_cache_grants(dirs); !granted.ok()) return error(granted.error().message);

  // An artifact's settings decide the engine's; peek at the main module first (not at stdin:
  // there, the bytes can be read once only, and artifacts need --allow-precompiled anyway).
  if (flags.allow_precompiled && flags.file != "-") {
    auto head = read_file(flags.file);
    if (head.ok() && is_artifact(*head)) {
      if (auto adopted = adopt_artifact_settings(*head, flags.codegen); !adopted.ok()) {
        return error(flags.file + ": " + adopted.error().message);
      }
    }
  }
  Config config = engine_config(flags.codegen);
  if (wasm_options->max_wasm_stack) config.max_wasm_stack = *wasm_options->max_wasm_stack;
  if (profile->kind == ProfileOptions::Kind::PerfMap) config.profiler = Profiler::PerfMap;
  if (profile->kind == ProfileOptions::Kind::JitDump) config.profiler = Profiler::JitDump;
  config.debug_info = debug_options->debug_info;
  Engine engine(config);
  auto main = load_input(engine, flags.file, flags);
  if (!main.ok()) return error(main.error().message);
  std::vector<LoadedInput> preloaded;
  for (const Preload& p : preloads) {
    auto m = load_input(engine, p.path, flags);
    if (!m.ok()) return error("--preload " + p.name + ": " + m.error().message);
    preloaded.push_back(std::move(m.value()));
  }

  Store store(engine);
  Store::Limits limits;
  if (wasm_options->max_memory_size) limits.max_memory_bytes = *wasm_options->max_memory_size;
  if (wasm_options->max_table_elements) limits.max_table_elements = *wasm_options->max_table_elements;
  store.set_limits(limits);
  if (flags.codegen.consume_fuel) store.set_fuel(wasm_options->fuel.value_or(UINT64_MAX));
  if (wasm_options->timeout_ns) store.set_epoch_deadline(1);

  // Imports come from WASI and from the preloaded modules, by name.
  bool wants_wasi = false;
  auto check_imports = [&](const LoadedInput& in, size_t visible_preloads) -> Result<void> {
    if (auto ok = wasi::check_module(in.module); !ok.ok()) return make_error(ok.error().kind, in.name + ": " + ok.error().message);
    for (const ImportType& imp : in.module.imports()) {
      if (imp.module == "wasi_snapshot_preview1") {
        wants_wasi = true;
        continue;
      }
      bool found = false;
      for (size_t i = 0; i < visible_preloads; ++i) found |= preloads[i].name == imp.module;
      if (!found) {
        return make_error(ErrorKind::Link, in.name + " imports " + imp.module + "." + imp.name +
                                               ", which neither WASI nor a --preload NAME=PATH before it provides");
      }
    }
    return {};
  };
  for (size_t i = 0; i < preloaded.size(); ++i) {
    if (auto ok = check_imports(preloaded[i], i); !ok.ok()) return error(ok.error().message);
  }
  if (auto ok = check_imports(*main, preloads.size()); !ok.ok()) return error(ok.error().message);

  Linker linker(store);
  std::shared_ptr<wasi::Context> wasi_ctx;
  const bool command = flags.invoke.empty();
  if (wants_wasi) {
    wasi::Config wasi_config;
    wasi_config.args.push_back(flags.argv0_given ? flags.argv0 : base_name(flags.file));
    if (command) wasi_config.args.insert(wasi_config.args.end(), flags.args.begin(), flags.args.end());
    wasi_config.env = guest_environment(flags, *wasi_options);
    wasi_config.tcp_listen = flags.tcp_listen;
    wasi_config.tcp_listen.insert(wasi_config.tcp_listen.end(), wasi_options->tcp_listen.begin(),
                                  wasi_options->tcp_listen.end());
    wasi_config.preopens = dirs;
    auto ctx = wasi::add_to_linker(linker, wasi_config);
    if (!ctx.ok()) return error(ctx.error().message);
    wasi_ctx = *ctx;
  }

  std::optional<GuestTimeout> timeout;
  // Instantiation and the call; every way out returns the process's exit status.
  auto run_guest = [&]() -> int {
    const auto failed = [&](const Error& e) { return guest_failed(e, wasi_ctx.get(), timeout ? &*timeout : nullptr); };
    for (size_t i = 0; i < preloaded.size(); ++i) {
      auto inst = linker.instantiate(preloaded[i].module);
      if (!inst.ok()) {
        if (inst.error().kind != ErrorKind::Trap) return error("--preload " + preloads[i].name + ": " + inst.error().to_string());
        return failed(inst.error());
      }
      if (auto init = inst->func("_initialize"); init.ok()) {
        auto r = init->call({});
        if (!r.ok()) return failed(r.error());
      }
      linker.define_instance(preloads[i].name, *inst);
    }
    auto instance = linker.instantiate(main->module);
    if (!instance.ok()) return failed(instance.error());
    // Reactors (libraries) export _initialize, which must run before anything else.
    if (!command) {
      if (auto init = instance->func("_initialize"); init.ok()) {
        auto r = init->call({});
        if (!r.ok()) return failed(r.error());
      }
    }
    const std::string name = command ? "_start" : flags.invoke;
    auto func = instance->func(name);
    if (!func.ok()) {
      return error(main->name + ": " + func.error().message + (command ? " (use --invoke NAME to call an export)" : ""));
    }
    const FuncType type = func->type();
    const std::vector<std::string> call_args = command ? std::vector<std::string>{} : flags.args;
    if (call_args.size() != type.params.size()) {
      return error(name + " takes " + std::to_string(type.params.size()) + " argument(s) " + type.to_string() +
                   ", got " + std::to_string(call_args.size()));
    }
    std::vector<Val> args;
    for (size_t i = 0; i < call_args.size(); ++i) {
      auto v = parse_value(call_args[i], type.params[i]);
      if (!v.ok()) return error("argument " + std::to_string(i + 1) + ": " + v.error().message);
      args.push_back(*v);
    }
    auto results = func->call(args);
    std::fflush(stdout);
    if (!results.ok()) return failed(results.error());
    timeout.reset();
    for (const Val& v : *results) std::printf("%s\n", format_value(v).c_str());
    return 0;
  };
  std::unique_ptr<GuestProfiler> profiler;
  if (guest_profile) {
    auto started = GuestProfiler::start(engine, profile->path, profile->interval_ns);
    if (!started.ok()) return error(started.error().message);
    profiler = std::move(started.value());
    profiler->attach(store, [&timeout] { return timeout && timeout->fired(); });
  }
  if (wasm_options->timeout_ns) timeout.emplace(engine, *wasm_options->timeout_ns);
  const int status = run_guest();
  if (!profiler) fast_exit(status);
  if (profiler) {
    auto written = profiler->finish();
    if (!written.ok()) return error(written.error().message);
    std::fprintf(stderr, "atoll: guest profile: %llu samples in %s\n",
                 static_cast<unsigned long long>(profiler->samples()), profiler->path().c_str());
  }
  return status;
}

}  // namespace atl::cli
