// atoll_fuzz_exec: runs a module the way binaryen's `wasm-opt --fuzz-exec-before` does, for the
// differential fuzzer (difftest.sh): every exported function in export order, with zero
// arguments and the hang limit reset before each, the `fuzzing-support` logging imports printing their arguments, state kept from
// call to call. Output, one line per event, normalised for comparison:
//   call NAME | log V... | result V... | trap MESSAGE
// Floats are printed with 17 significant digits; NaN as "nan" (bit patterns are not compared).
//   atoll_fuzz_exec [--bounds guard|explicit] [-O N] [--target-cpu CPU] MODULE.wasm
// Exit status: 0 ran, 2 usage or the module cannot run here (not an atoll bug by itself), 1
// compile or instantiation error.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "atoll/atoll.h"
#include "support/process.h"

namespace {

std::string number(double d) {
  if (std::isnan(d)) return "nan";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

std::string value(const atl::Val& v) {
  switch (v.type) {
    case atl::ValType::I32: return std::to_string(v.i32());
    case atl::ValType::I64: return std::to_string(v.i64());
    case atl::ValType::F32: return number(v.f32());
    case atl::ValType::F64: return number(v.f64());
    default: return "ref";
  }
}

atl::Val zero(atl::ValType t) {
  switch (t) {
    case atl::ValType::I64: return atl::Val::i64(0);
    case atl::ValType::F32: return atl::Val::f32(0);
    case atl::ValType::F64: return atl::Val::f64(0);
    default: {
      atl::Val v = atl::Val::i32(0);
      v.type = t;  // v128 zero, null references
      return v;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  atl::Config config;
  std::string file;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--bounds" && i + 1 < argc) {
      config.bounds = std::string(argv[++i]) == "explicit" ? atl::BoundsChecks::Explicit : atl::BoundsChecks::GuardPages;
    } else if (a == "-O" && i + 1 < argc) {
      config.opt_level = std::atoi(argv[++i]);
    } else if (a == "--target-cpu" && i + 1 < argc) {
      config.target_cpu = argv[++i];
    } else {
      file = a;
    }
  }
  if (file.empty()) {
    std::fprintf(stderr, "usage: atoll_fuzz_exec [--bounds guard|explicit] [-O N] [--target-cpu CPU] MODULE.wasm\n");
    return 2;
  }
  auto bytes = atl::read_file(file);
  if (!bytes.ok()) return 2;
  atl::Engine engine(config);
  auto module = atl::compile_module(engine, *bytes);
  if (!module.ok()) {
    std::printf("compile error: %s\n", module.error().to_string().c_str());
    return module.error().kind == atl::ErrorKind::Unsupported ? 2 : 1;
  }
  atl::Store store(engine);
  atl::Linker linker(store);
  linker.func("fuzzing-support", "log-i32", [](int32_t v) { std::printf("log %d\n", v); });
  linker.func("fuzzing-support", "log-i64", [](int64_t v) {
    std::printf("log %d %d\n", static_cast<int32_t>(v), static_cast<int32_t>(v >> 32));
  });
  linker.func("fuzzing-support", "log-f32", [](float v) { std::printf("log %s\n", number(v).c_str()); });
  linker.func("fuzzing-support", "log-f64", [](double v) { std::printf("log %s\n", number(v).c_str()); });
  auto instance = linker.instantiate(*module);
  if (!instance.ok()) {
    if (instance.error().kind == atl::ErrorKind::Link) return 2;  // an import we do not fake
    std::printf("instantiate %s: %s\n", instance.error().kind == atl::ErrorKind::Trap ? "trap" : "error",
                instance.error().message.c_str());
    return instance.error().kind == atl::ErrorKind::Trap ? 0 : 1;
  }
  // As binaryen's harness does: translate-to-fuzz modules count loop iterations down from a
  // limit, and the limit is reset before every export call.
  auto reset_hang_limit = instance->func("hangLimitInitializer");
  for (const atl::ExportType& e : instance->exports()) {
    if (e.kind != atl::ExternKind::Func) continue;
    auto f = instance->func(e.name);
    if (!f.ok()) continue;
    if (reset_hang_limit.ok()) (void)reset_hang_limit->call({});
    std::printf("call %s\n", e.name.c_str());
    std::vector<atl::Val> args;
    for (atl::ValType t : f->type().params) args.push_back(zero(t));
    auto r = f->call(args);
    if (!r.ok()) {
      std::printf("trap %s\n", r.error().message.c_str());
      continue;
    }
    if (r->empty()) continue;
    std::string line = "result";
    for (const atl::Val& v : *r) line += " " + value(v);
    std::printf("%s\n", line.c_str());
  }
  std::fflush(stdout);
  return 0;
}
