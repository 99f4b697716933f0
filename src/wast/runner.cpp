#include "wast/runner.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

#include "atoll/atoll.h"
#include "runtime/engine_state.h"
#include "runtime/objects.h"
#include "runtime/profile.h"
#include "support/process.h"
#include "wasm/decoder.h"
#include "wast/spectest.h"

namespace atl::wast {
namespace {

using nlohmann::json;
using runtime::Extern;
using runtime::Instance;

// A value as the runner sees it: 16 bytes of bits plus the type.
struct Value {
  wasm::ValType type = wasm::ValType::I32;
  uint64_t lo = 0, hi = 0;
};

std::string value_to_string(const Value& v) {
  char buf[96];
  switch (v.type) {
    case wasm::ValType::I32: std::snprintf(buf, sizeof buf, "i32:%u", static_cast<uint32_t>(v.lo)); break;
    case wasm::ValType::I64: std::snprintf(buf, sizeof buf, "i64:%llu", static_cast<unsigned long long>(v.lo)); break;
    case wasm::ValType::F32: {
      float f;
      const uint32_t b = static_cast<uint32_t>(v.lo);
      std::memcpy(&f, &b, 4);
      std::snprintf(buf, sizeof buf, "f32:%g (0x%08x)", static_cast<double>(f), b);
      break;
    }
    case wasm::ValType::F64: {
      double d;
      std::memcpy(&d, &v.lo, 8);
      std::snprintf(buf, sizeof buf, "f64:%g (0x%016llx)", d, static_cast<unsigned long long>(v.lo));
      break;
    }
    case wasm::ValType::V128:
      std::snprintf(buf, sizeof buf, "v128:0x%016llx%016llx", static_cast<unsigned long long>(v.hi),
                    static_cast<unsigned long long>(v.lo));
      break;
    default:
      std::snprintf(buf, sizeof buf, "%s:%s", wasm::valtype_name(v.type).c_str(), v.lo ? "non-null" : "null");
      break;
  }
  return buf;
}

class ScriptRunner {
 public:
  ScriptRunner(std::string script, std::string dir, const Options& opts, Stats& stats, std::ostream& out)
      : script_(std::move(script)), dir_(std::move(dir)), opts_(opts), stats_(stats), out_(out) {
    store_.max_wasm_stack = 512 << 10;
    spectest_ = make_spectest(opts.bounds == compiler::BoundsMode::Explicit ? runtime::BoundsMode::Explicit
                                                                            : runtime::BoundsMode::GuardPages);
  }

  void command(const json& cmd) {
    const std::string type = cmd.value("type", "");
    line_ = cmd.value("line", 0);
    if (type == "module") return module_command(cmd);
    if (type == "module_definition") return definition_command(cmd);
    if (type == "module_instance") return instance_command(cmd);
    if (type == "register") return register_command(cmd);
    if (type == "assert_malformed_custom" || type == "assert_invalid_custom") {
      // Errors inside custom sections (annotations, branch hints) that a runtime may ignore:
      // atoll reads only the name section, and tolerates a malformed one as the spec allows.
      return skip(type + " (custom sections other than \"name\" are not interpreted)");
    }
    if (type == "assert_malformed" || type == "assert_invalid") {
      return rejection_command(cmd, type == "assert_malformed" ? ErrorKind::Malformed : ErrorKind::Invalid);
    }
    if (type == "assert_unlinkable" || type == "assert_uninstantiable") {
      return instantiation_failure(cmd, type == "assert_unlinkable" ? ErrorKind::Link : ErrorKind::Trap);
    }
    const bool needs_instance = type == "action" || type == "assert_return" || type == "assert_trap" ||
                                type == "assert_exhaustion" || type == "assert_exception";
    if (needs_instance && unsupported_ && !cmd["action"].contains("module")) {
      return skip(type + " (module not compiled: unsupported)");
    }
    if (type == "action") {
      std::vector<Value> results;
      Result<void> r = perform(cmd["action"], results);
      if (!r.ok()) return fail(type, r.error().to_string());
      return pass(type);
    }
    if (type == "assert_return") return assert_return(cmd);
    if (type == "assert_trap" || type == "assert_exhaustion") return assert_trap(cmd);
    if (type == "assert_exception") return assert_exception(cmd);
    fail(type, "unknown command");
  }

 private:
  // --- modules ----------------------------------------------------------------------------------
  Result<wasm::Module> decode(const std::string& file) {
    auto bytes = read_file(dir_ + "/" + file);
    if (!bytes.ok()) return bytes.take_error();
    return wasm::decode_and_validate(std::move(bytes.value()), opts_.features);
  }

  bool is_text(const json& cmd) const {
    const std::string file = cmd.value("filename", "");
    return cmd.value("module_type", "binary") == "text" ||
           (file.size() > 4 && file.compare(file.size() - 4, 4, ".wat") == 0);
  }

  Result<std::shared_ptr<const runtime::LoadedModule>> compile_and_load(const json& cmd) {
    auto bytes = read_file(dir_ + "/" + cmd.value("filename", ""));
    if (!bytes.ok()) return bytes.take_error();
    Config config;
    config.bounds = opts_.bounds == compiler::BoundsMode::Explicit ? BoundsChecks::Explicit : BoundsChecks::GuardPages;
    config.opt_level = opts_.opt_level;
    config.compile_chunk_bytes = opts_.chunk_bytes;
    config.compile_threads = opts_.chunk_bytes < 64 * 1024 ? 2 : 0;
    config.epoch_interruption = opts_.epoch_interruption;
    config.consume_fuel = opts_.consume_fuel;
    config.features = opts_.features;
    auto artifact = atl::compile(Engine(config), *bytes);
    if (!artifact.ok()) return artifact.take_error();
    auto loaded = runtime::load_module(std::move(artifact.value()));
    if (!loaded.ok()) return loaded.take_error();
    runtime::announce_code(**loaded, Profiler::None);  // ATOLL_PERF_MAP=1 still names the code
    return std::shared_ptr<const runtime::LoadedModule>(std::move(loaded.value()));
  }

  Result<std::vector<Extern>> resolve_imports(const wasm::Module& m) {
    std::vector<Extern> out;
    for (const wasm::Import& imp : m.imports) {
      Extern x;
      if (imp.module == "spectest") {
        auto it = spectest_.find(imp.name);
        if (it == spectest_.end()) return make_error(ErrorKind::Link, "unknown import spectest." + imp.name);
        x = it->second;
      } else {
        auto reg = registered_.find(imp.module);
        if (reg == registered_.end()) return make_error(ErrorKind::Link, "unknown import module " + imp.module);
        const wasm::Export* e = reg->second->find_export(imp.name);
        if (!e) return make_error(ErrorKind::Link, "unknown import " + imp.module + "." + imp.name);
        x = reg->second->export_extern(*e);
      }
      out.push_back(std::move(x));
    }
    return out;
  }

  Result<std::shared_ptr<Instance>> instantiate(const json& cmd) {
    auto loaded = compile_and_load(cmd);
    if (!loaded.ok()) return loaded.take_error();
    return instantiate(*loaded);
  }

  Result<std::shared_ptr<Instance>> instantiate(const std::shared_ptr<const runtime::LoadedModule>& loaded) {
    auto imports = resolve_imports(loaded->module);
    if (!imports.ok()) return imports.take_error();
    std::vector<const runtime::Extern*> refs;
    for (const runtime::Extern& x : *imports) refs.push_back(&x);
    return runtime::instantiate(store_, loaded, refs);
  }

  void module_command(const json& cmd) {
    if (is_text(cmd)) return skip("module (text)");
    auto inst = instantiate(cmd);
    current_.reset();
    unsupported_ = false;
    if (!inst.ok()) {
      if (inst.error().kind == ErrorKind::Unsupported) {
        // Valid (it decoded and validated) but not compilable yet: what depends on it is skipped.
        unsupported_ = true;
        return skip("module (" + inst.error().message + ")");
      }
      return fail("module", inst.error().to_string());
    }
    current_ = *inst;
    if (cmd.contains("name")) named_[cmd["name"].get<std::string>()] = current_;
    pass("module");
  }

  // `(module definition $M ...)`: compiled, not instantiated; `module_instance` instantiates it.
  void definition_command(const json& cmd) {
    if (is_text(cmd)) return skip("module_definition (text)");
    unsupported_ = false;
    last_definition_.reset();
    auto loaded = compile_and_load(cmd);
    if (!loaded.ok()) {
      if (loaded.error().kind == ErrorKind::Unsupported) {
        unsupported_ = true;
        return skip("module_definition (" + loaded.error().message + ")");
      }
      return fail("module_definition", loaded.error().to_string());
    }
    last_definition_ = *loaded;
    if (cmd.contains("name")) definitions_[cmd["name"].get<std::string>()] = last_definition_;
    pass("module_definition");
  }

  void instance_command(const json& cmd) {
    std::shared_ptr<const runtime::LoadedModule> def = last_definition_;
    if (cmd.contains("module")) {
      auto it = definitions_.find(cmd["module"].get<std::string>());
      def = it == definitions_.end() ? nullptr : it->second;
    }
    current_.reset();
    if (!def) {
      if (unsupported_) return skip("module_instance (definition not compiled: unsupported)");
      return fail("module_instance", "no such module definition");
    }
    auto inst = instantiate(def);
    if (!inst.ok()) return fail("module_instance", inst.error().to_string());
    current_ = *inst;
    if (cmd.contains("instance")) named_[cmd["instance"].get<std::string>()] = current_;
    pass("module_instance");
  }

  void register_command(const json& cmd) {
    std::shared_ptr<Instance> inst = current_;
    if (cmd.contains("name")) inst = named_[cmd["name"].get<std::string>()];
    if (!inst) return fail("register", "no module to register");
    registered_[cmd.value("as", "")] = inst;
    pass("register");
  }

  void rejection_command(const json& cmd, ErrorKind expected) {
    const std::string type = cmd.value("type", "");
    // A text module may come with a binary encoding of it (3.0 JSON: `binary_filename`).
    const bool has_binary = cmd.contains("binary_filename");
    if (is_text(cmd) && !has_binary) return skip(type + " (text)");
    const std::string text = cmd.value("text", "");
    auto decoded = decode(has_binary ? cmd.value("binary_filename", "") : cmd.value("filename", ""));
    if (decoded.ok()) return fail(type, "module was accepted; expected \"" + text + "\"");
    const Error& e = decoded.error();
    if (e.kind != expected) {
      return fail(type, std::string("wrong kind of error; expected ") + error_kind_name(expected) + " \"" +
                            text + "\", got: " + e.to_string());
    }
    pass(type);
  }

  void instantiation_failure(const json& cmd, ErrorKind expected) {
    const std::string type = cmd.value("type", "");
    auto inst = instantiate(cmd);
    if (!inst.ok() && inst.error().kind == ErrorKind::Unsupported) return skip(type + " (unsupported)");
    if (inst.ok()) return fail(type, "module instantiated; expected \"" + cmd.value("text", "") + "\"");
    if (inst.error().kind != expected) return fail(type, "wrong error: " + inst.error().to_string());
    pass(type);
  }

  // --- actions ----------------------------------------------------------------------------------
  static Result<Value> parse_value(const json& v) {
    Value out;
    const std::string t = v.value("type", "");
    auto num = [&](const json& s) -> uint64_t { return std::stoull(s.get<std::string>()); };
    if (t == "i32") out = {wasm::ValType::I32, num(v["value"]) & 0xffffffffu, 0};
    else if (t == "i64") out = {wasm::ValType::I64, num(v["value"]), 0};
    else if (t == "f32") out = {wasm::ValType::F32, num(v["value"]) & 0xffffffffu, 0};
    else if (t == "f64") out = {wasm::ValType::F64, num(v["value"]), 0};
    else if (t == "externref" || t == "funcref") {
      out.type = t == "externref" ? wasm::ValType::ExternRef : wasm::ValType::FuncRef;
      const std::string s = v["value"].get<std::string>();
      // ref.extern N is passed as the non-null pointer value N+1; null is 0.
      out.lo = s == "null" ? 0 : std::stoull(s) + 1;
    } else if (t == "v128") {
      const std::string lane = v.value("lane_type", "i8");
      const int bits = lane == "i8" ? 8 : lane == "i16" ? 16 : (lane == "i32" || lane == "f32") ? 32 : 64;
      uint8_t bytes[16] = {};
      int i = 0;
      for (const json& l : v["value"]) {
        const uint64_t x = std::stoull(l.get<std::string>());
        std::memcpy(bytes + i * bits / 8, &x, static_cast<size_t>(bits / 8));
        ++i;
      }
      out.type = wasm::ValType::V128;
      std::memcpy(&out.lo, bytes, 8);
      std::memcpy(&out.hi, bytes + 8, 8);
    } else {
      return make_error(ErrorKind::Other, "unsupported value type " + t);
    }
    return out;
  }

  std::shared_ptr<Instance> target(const json& action) {
    if (action.contains("module")) {
      auto it = named_.find(action["module"].get<std::string>());
      return it == named_.end() ? nullptr : it->second;
    }
    return current_;
  }

  Result<void> perform(const json& action, std::vector<Value>& results) {
    std::shared_ptr<Instance> inst = target(action);
    if (!inst) return make_error(ErrorKind::Other, "no module instance for this action");
    const std::string field = action.value("field", "");
    const wasm::Export* e = inst->find_export(field);
    if (!e) return make_error(ErrorKind::Other, "no export named \"" + field + "\"");
    const std::string type = action.value("type", "");
    if (type == "get") {
      if (e->kind != wasm::ExternKind::Global) return make_error(ErrorKind::Other, field + " is not a global");
      Extern x = inst->export_extern(*e);
      Value v;
      v.type = x.global->type.type;
      std::memcpy(&v.lo, x.global->cell, 8);
      std::memcpy(&v.hi, x.global->cell + 8, 8);
      results.push_back(v);
      return {};
    }
    if (e->kind != wasm::ExternKind::Func) return make_error(ErrorKind::Other, field + " is not a function");
    Extern x = inst->export_extern(*e);
    const wasm::FuncType& ft = x.func->type;
    const json& args = action["args"];
    if (args.size() != ft.params.size()) return make_error(ErrorKind::Other, "wrong number of arguments");
    std::vector<uint64_t> slots(2 * std::max<size_t>({ft.params.size(), ft.results.size(), 1}), 0);
    for (size_t i = 0; i < args.size(); ++i) {
      auto v = parse_value(args[i]);
      if (!v.ok()) return v.take_error();
      slots[2 * i] = v->lo;
      slots[2 * i + 1] = v->hi;
    }
    Result<void> r = runtime::invoke(store_, *x.func, slots.data());
    if (!r.ok()) return r;
    for (size_t i = 0; i < ft.results.size(); ++i) {
      Value v{ft.results[i], slots[2 * i], slots[2 * i + 1]};
      if (v.type == wasm::ValType::I32 || v.type == wasm::ValType::F32) v.lo &= 0xffffffffu;
      if (v.type == wasm::ValType::I64 || v.type == wasm::ValType::F64 || wasm::is_ref(v.type)) v.hi = 0;
      results.push_back(v);
    }
    return {};
  }

  static bool matches(const json& expected, const Value& got) {
    const std::string t = expected.value("type", "");
    if (t == "either") {
      for (const json& alternative : expected["values"]) {
        if (matches(alternative, got)) return true;
      }
      return false;
    }
    // 3.0 reference patterns: "null" matches a null of any reference type; a reference type
    // without a value matches any non-null reference (of the types atoll has: func, extern).
    if (wasm::is_ref(got.type) && expected.contains("value") && expected["value"] == "null" &&
        (t == "refnull" || t == "funcref" || t == "externref" || t == "nullfuncref" || t == "nullexternref" ||
         t == "nullref" || t == "anyref" || t == "exnref" || t == "nullexnref")) {
      return got.lo == 0;
    }
    if ((t == "funcref" || t == "externref" || t == "exnref") && !expected.contains("value")) {
      if (!wasm::is_ref(got.type) || got.lo == 0) return false;
      const uint32_t top = wasm::heap::top(wasm::heap_type(got.type));
      return top == (t == "funcref" ? wasm::heap::Func : t == "externref" ? wasm::heap::Extern : wasm::heap::Exn);
    }
    if (t == "v128") {
      const std::string lane = expected.value("lane_type", "i8");
      if (lane == "f32" || lane == "f64") {
        const int bits = lane == "f32" ? 32 : 64;
        uint8_t bytes[16];
        std::memcpy(bytes, &got.lo, 8);
        std::memcpy(bytes + 8, &got.hi, 8);
        int i = 0;
        for (const json& l : expected["value"]) {
          uint64_t x = 0;
          std::memcpy(&x, bytes + i * bits / 8, static_cast<size_t>(bits / 8));
          if (!float_matches(l.get<std::string>(), x, bits)) return false;
          ++i;
        }
        return true;
      }
      auto want = parse_value(expected);
      return want.ok() && want->lo == got.lo && want->hi == got.hi;
    }
    if (t == "f32" || t == "f64") {
      return float_matches(expected["value"].get<std::string>(), got.lo, t == "f32" ? 32 : 64);
    }
    if (t == "funcref" || t == "externref") {
      const std::string s = expected["value"].get<std::string>();
      if (s == "null") return got.lo == 0;
      if (t == "funcref") return got.lo != 0;
      return got.lo == std::stoull(s) + 1;
    }
    auto want = parse_value(expected);
    return want.ok() && want->lo == got.lo;
  }

  static bool float_matches(const std::string& want, uint64_t bits, int width) {
    const uint64_t exp_mask = width == 32 ? 0x7f800000u : 0x7ff0000000000000ull;
    const uint64_t quiet = width == 32 ? 0x00400000u : 0x0008000000000000ull;
    const uint64_t mant = width == 32 ? 0x007fffffu : 0x000fffffffffffffull;
    if (want == "nan:canonical") return (bits & (exp_mask | mant)) == (exp_mask | quiet);
    if (want == "nan:arithmetic") return (bits & exp_mask) == exp_mask && (bits & quiet);
    return std::stoull(want) == bits;
  }

  void assert_return(const json& cmd) {
    std::vector<Value> results;
    Result<void> r = perform(cmd["action"], results);
    if (!r.ok()) return fail("assert_return", r.error().to_string());
    const json& expected = cmd["expected"];
    if (expected.size() != results.size()) return fail("assert_return", "wrong number of results");
    for (size_t i = 0; i < results.size(); ++i) {
      if (!matches(expected[i], results[i])) {
        return fail("assert_return", "result " + std::to_string(i) + " is " + value_to_string(results[i]) +
                                         ", expected " + expected[i].dump());
      }
    }
    pass("assert_return");
  }

  void assert_trap(const json& cmd) {
    const std::string type = cmd.value("type", "");
    const std::string text = cmd.value("text", "");
    std::vector<Value> results;
    Result<void> r = perform(cmd["action"], results);
    if (r.ok()) return fail(type, "no trap; expected \"" + text + "\"");
    if (r.error().kind != ErrorKind::Trap) return fail(type, r.error().to_string());
    const std::string& got = r.error().message;
    if (got.compare(0, text.size(), text) != 0 && text.compare(0, got.size(), got) != 0) {
      return fail(type, "trapped with \"" + got + "\", expected \"" + text + "\"");
    }
    pass(type);
  }

  // atoll has no exception handling yet: a module that throws does not compile, so reaching here
  // means the action must not complete normally or trap.
  void assert_exception(const json& cmd) {
    std::vector<Value> results;
    Result<void> r = perform(cmd["action"], results);
    if (r.ok()) return fail("assert_exception", "returned; expected an uncaught exception");
    if (r.error().trap() == TrapCode::UncaughtException) return pass("assert_exception");
    fail("assert_exception", "expected an uncaught exception, got: " + r.error().to_string());
  }

  // --- reporting --------------------------------------------------------------------------------
  void pass(const std::string& what) {
    ++stats_.passed;
    if (opts_.verbose) out_ << script_ << ":" << line_ << ": pass " << what << "\n";
  }
  void skip(const std::string& what) {
    ++stats_.skipped;
    if (opts_.verbose) out_ << script_ << ":" << line_ << ": skip " << what << "\n";
  }
  void fail(const std::string& what, const std::string& why) {
    ++stats_.failed;
    out_ << script_ << ":" << line_ << ": FAIL " << what << ": " << why << "\n";
  }

  std::string script_;
  std::string dir_;
  const Options& opts_;
  Stats& stats_;
  std::ostream& out_;
  int line_ = 0;
  runtime::StoreData store_;
  std::map<std::string, Extern> spectest_;
  std::map<std::string, std::shared_ptr<Instance>> registered_;
  std::map<std::string, std::shared_ptr<Instance>> named_;
  std::shared_ptr<Instance> current_;
  std::map<std::string, std::shared_ptr<const runtime::LoadedModule>> definitions_;
  std::shared_ptr<const runtime::LoadedModule> last_definition_;
  bool unsupported_ = false;  // the current module could not be compiled yet
};

}  // namespace

Result<void> run_file(const std::string& path, const Options& options, Stats& stats, std::ostream& out) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return make_error(ErrorKind::Io, path + ": no such file");
  }
  // A .json script is a command list in wast2json's layout already (the 3.0 suite comes so),
  // with its module files beside it; a .wast script is converted first.
  const bool is_json = path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  std::optional<TempDir> scratch;
  std::string json_path = path, module_dir;
  if (is_json) {
    module_dir = std::filesystem::path(path).parent_path().string();
    if (module_dir.empty()) module_dir = ".";
  } else {
    auto dir = TempDir::create("atoll-wast-");
    if (!dir.ok()) return dir.take_error();
    scratch.emplace(std::move(dir.value()));
    module_dir = scratch->path();
    json_path = module_dir + "/script.json";
    std::string output;
    auto rc = run_process({options.wast2json, path, "-o", json_path}, output);
    if (!rc.ok()) return rc.take_error();
    if (*rc != 0) {
      return make_error(ErrorKind::Other, options.wast2json + " failed on " + path + ":\n" + output);
    }
  }
  json doc;
  {
    std::ifstream in(json_path);
    doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  }
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("commands") || !doc["commands"].is_array()) {
    return make_error(ErrorKind::Other, is_json ? path + ": not a JSON command list (wast2json's layout)"
                                                : "cannot read the output of " + options.wast2json + " for " + path);
  }
  ScriptRunner runner(path, module_dir, options, stats, out);
  for (const json& cmd : doc["commands"]) {
    // The converter's output is trusted to be well-formed; a surprise in it fails that command
    // instead of ending the run.
    try {
      runner.command(cmd);
    } catch (const std::exception& e) {
      ++stats.failed;
      out << path << ":" << cmd.value("line", 0) << ": FAIL: unreadable command: " << e.what() << "\n";
    }
  }
  return {};
}

}  // namespace atl::wast
