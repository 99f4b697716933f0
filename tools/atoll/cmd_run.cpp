#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "abi/abi.h"
#include "atoll/atoll.h"
#include "atoll/wasi.h"
#include "cache/cache.h"
#include "commands.h"
#include "support/process.h"

namespace atl::cli {

Config engine_config(const CodegenFlags& flags);

namespace {

int error(const std::string& message) {
  std::fprintf(stderr, "atoll: %s\n", message.c_str());
  return 1;
}

Result<Val> parse_arg(const std::string& text, ValType type) {
  errno = 0;
  char* end = nullptr;
  const char* s = text.c_str();
  Val v;
  switch (type) {
    case ValType::I32:
    case ValType::I64: {
      const bool neg = !text.empty() && text[0] == '-';
      long long sv = 0;
      unsigned long long uv = 0;
      if (neg) sv = std::strtoll(s, &end, 0); else uv = std::strtoull(s, &end, 0);
      const bool range_ok = type == ValType::I64 || (neg ? sv >= INT32_MIN : uv <= UINT32_MAX);
      if (errno || end == s || *end || !range_ok) break;
      const uint64_t bits = neg ? static_cast<uint64_t>(sv) : uv;
      v = type == ValType::I32 ? Val::i32(static_cast<int32_t>(bits)) : Val::i64(static_cast<int64_t>(bits));
      return v;
    }
    case ValType::F32:
    case ValType::F64: {
      const double d = std::strtod(s, &end);
      if (end == s || *end) break;
      return type == ValType::F32 ? Val::f32(static_cast<float>(d)) : Val::f64(d);
    }
    default:
      return make_error(ErrorKind::Usage, std::string("cannot pass a ") + to_string(type) + " from the command line");
  }
  return make_error(ErrorKind::Usage, "'" + text + "' is not a valid " + to_string(type));
}

bool is_artifact(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 4 && bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' && bytes[3] == 'F';
}


// The exit status when instantiation (the start function) or the call failed, as Wasmtime has
// it: proc_exit(N) exits N (N < 126); proc_exit with a reserved status exits 1 with a message; a
// trap exits 134 with its backtrace; anything else (a link error) exits 1.
int guest_failed(const Error& e, const wasi::Context* wasi_ctx) {
  std::fflush(stdout);
  if (wasi_ctx) {
    if (auto code = wasi::exit_code(*wasi_ctx)) return *code;
    if (auto reserved = wasi::reserved_exit_status(*wasi_ctx)) {
      return error("proc_exit(" + std::to_string(*reserved) + "): exit with invalid exit status outside of [0..126)");
    }
  }
  if (e.kind != ErrorKind::Trap) return error(e.to_string());
  std::fprintf(stderr, "atoll: wasm trap: %s\nwasm backtrace:\n%s", e.message.c_str(), e.backtrace.c_str());
  return kTrapExitCode;
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
         ATOLL_LLVM_VERSION + "|O" + std::to_string(flags.opt_level) + "|" + flags.bounds + "|" + flags.target_cpu +
         (flags.epoch_interruption ? "|epochs" : "") + (flags.consume_fuel ? "|fuel" : "");
}

int cache_clean() {
  auto dir = cache::default_directory();
  if (!dir.ok()) return error(dir.error().message);
  auto removed = cache::clean(*dir);
  if (!removed.ok()) return error(removed.error().message);
  std::printf("removed %zu cached artifact(s) from %s\n", *removed, dir->c_str());
  return 0;
}

int run(const RunFlags& flags) {
  std::vector<wasi::Preopen> dirs;
  for (const std::string& d : flags.dirs) dirs.push_back(parse_preopen(d));
  if (auto granted = check_cache_grants(dirs); !granted.ok()) return error(granted.error().message);
  auto bytes = read_file(flags.file);
  if (!bytes.ok()) return error(bytes.error().message);
  const bool precompiled = is_artifact(*bytes);
  if (precompiled && !flags.allow_precompiled) {
    return error(flags.file + " is a precompiled artifact (native code, whatever its name); run it only if you "
                 "compiled it yourself, with --allow-precompiled");
  }
  Engine engine(engine_config(flags.codegen));
  auto module = precompiled ? Module::from_artifact(engine, std::move(bytes.value()))
                            : load_or_compile(engine, *bytes, flags.codegen, flags.no_cache);
  if (!module.ok()) return error(flags.file + ": " + module.error().to_string());
  Store store(engine);
  Linker linker(store);
  std::shared_ptr<wasi::Context> wasi_ctx;
  bool wants_wasi = false;
  for (const ImportType& imp : module->imports()) {
    if (imp.module != "wasi_snapshot_preview1") {
      return error(flags.file + " imports " + imp.module + "." + imp.name + ", which `atoll run` does not provide");
    }
    wants_wasi = true;
  }
  const bool command = flags.invoke.empty();
  if (wants_wasi) {
    wasi::Config config;
    const size_t slash = flags.file.rfind('/');
    config.args.push_back(slash == std::string::npos ? flags.file : flags.file.substr(slash + 1));
    if (command) config.args.insert(config.args.end(), flags.args.begin(), flags.args.end());
    config.env = flags.env;
    config.tcp_listen = flags.tcp_listen;
    config.preopens = dirs;
    auto ctx = wasi::add_to_linker(linker, config);
    if (!ctx.ok()) return error(ctx.error().message);
    wasi_ctx = *ctx;
  }
  auto instance = linker.instantiate(*module);
  if (!instance.ok()) return guest_failed(instance.error(), wasi_ctx.get());
  // Reactors (libraries) export _initialize, which must run before anything else.
  if (!command) {
    if (auto init = instance->func("_initialize"); init.ok()) {
      auto r = init->call({});
      if (!r.ok()) return error("_initialize: " + r.error().to_string());
    }
  }
  const std::string name = command ? "_start" : flags.invoke;
  auto func = instance->func(name);
  if (!func.ok()) {
    return error(flags.file + ": " + func.error().message + (command ? " (use --invoke NAME to call an export)" : ""));
  }
  const FuncType type = func->type();
  const std::vector<std::string> call_args = command ? std::vector<std::string>{} : flags.args;
  if (call_args.size() != type.params.size()) {
    return error(name + " takes " + std::to_string(type.params.size()) + " argument(s) " + type.to_string() +
                 ", got " + std::to_string(call_args.size()));
  }
  std::vector<Val> args;
  for (size_t i = 0; i < call_args.size(); ++i) {
    auto v = parse_arg(call_args[i], type.params[i]);
    if (!v.ok()) return error("argument " + std::to_string(i + 1) + ": " + v.error().message);
    args.push_back(*v);
  }
  auto results = func->call(args);
  std::fflush(stdout);
  if (!results.ok()) return guest_failed(results.error(), wasi_ctx.get());
  for (const Val& v : *results) std::printf("%s\n", v.to_string().c_str());
  return 0;
}

}  // namespace atl::cli
