#include "explore/explore.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <unordered_set>

#include "wasm/types.h"

namespace atl::explore {
namespace {

std::string hex_bytes(const uint8_t* p, uint32_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (uint32_t i = 0; i < n; ++i) {
    s += kDigits[p[i] >> 4];
    s += kDigits[p[i] & 15];
  }
  return s;
}

// "call 0x1a0" -> "call 0x1a0 <$fib>": direct calls and jumps to a known address name it.
std::string name_target(const std::string& text, const std::map<uint64_t, std::string>& names) {
  const size_t space = text.find(' ');
  if (space == std::string::npos || text.compare(space + 1, 2, "0x") != 0) return text;
  const std::string op = text.substr(0, space);
  if (op != "call" && op[0] != 'j') return text;
  const uint64_t target = std::strtoull(text.c_str() + space + 1, nullptr, 16);
  auto it = names.find(target);
  return it == names.end() ? text : text + " <" + it->second + ">";
}

std::string settings_of(const runtime::LoadedModule& m) {
  std::string s = m.bounds() == runtime::BoundsMode::Explicit ? "explicit bounds checks" : "guard pages";
  s += ", target CPU " + std::string(m.meta.target_cpu, strnlen(m.meta.target_cpu, sizeof m.meta.target_cpu));
  if (m.meta.instrumentation & artifact::kEpochChecks) s += ", epoch checks";
  if (m.meta.instrumentation & artifact::kFuelMetering) s += ", fuel metering";
  s += "; " + std::string(m.meta.fingerprint, strnlen(m.meta.fingerprint, sizeof m.meta.fingerprint));
  return s;
}

std::string entry_text(const wasm::Module& m, uint32_t f) {
  std::string s = ";; entry";
  const auto& groups = m.bodies[f - m.num_imported_funcs].local_groups;
  for (size_t i = 0; i < groups.size(); ++i) {
    s += (i ? ", " : "; locals ") + std::to_string(groups[i].first) + " " + wasm::valtype_name(groups[i].second);
  }
  return s;
}

}  // namespace

Result<Exploration> explore(const wasm::Module& wasm, const runtime::LoadedModule& loaded,
                            const Disassembler& disassemble) {
  size_t bodies = 0;
  for (const auto& r : loaded.func_ranges) bodies += r.wrapper ? 0 : 1;
  if (wasm.num_funcs() != loaded.module.num_funcs() || wasm.bodies.size() != bodies) {
    return make_error(ErrorKind::Other, "the artifact was not compiled from this module");
  }
  Exploration e;
  e.module_name = wasm.names.module.value_or("");
  e.settings = settings_of(loaded);
  const uintptr_t base = loaded.code ? loaded.code->code_start() : 0;

  // Names of every address code can call or jump to: functions, trampolines, builtin stubs.
  std::map<uint64_t, std::string> names;
  if (loaded.code) {
    for (const auto& [name, sym] : loaded.code->symbols()) names.emplace(sym.address - base, name);
    for (const auto& stub : loaded.code->stubs()) names.emplace(stub.address - base, stub.name);
  }
  std::map<uint32_t, const runtime::LoadedModule::FuncRange*> ranges;
  for (const auto& r : loaded.func_ranges) {
    const std::string& n = wasm.func_display_name(r.index);
    const std::string label = n.empty() ? "func " + std::to_string(r.index) : "$" + n;
    if (r.wrapper) {  // the function's entry in the wasm calling convention (call_entries.cpp)
      names[r.start - base] = label + " (entry)";
      continue;
    }
    ranges[r.index] = &r;
    names[r.start - base] = label;
  }

  std::unordered_set<uint64_t> offsets_with_code;
  for (uint32_t f = wasm.num_imported_funcs; f < wasm.num_funcs(); ++f) {
    FunctionView v;
    v.index = f;
    v.name = wasm.func_display_name(f);
    v.signature = wasm::functype_to_string(wasm.func_type(f));
    auto listing = wasm::function_listing(wasm, f);
    if (!listing.ok()) return listing.take_error();
    // The body starts with its locals; the code LLVM attributes to that offset is the entry
    // (frame set-up, the stack check).
    v.wasm.push_back({{wasm.bodies[f - wasm.num_imported_funcs].offset, 0, entry_text(wasm, f)}, "", false});
    for (wasm::ListedInstr& in : *listing) v.wasm.push_back({std::move(in), "", false});

    auto r = ranges.find(f);
    if (r == ranges.end()) return make_error(ErrorKind::Other, "the artifact has no code for function " + std::to_string(f));
    const uint64_t start = r->second->start - base;
    v.code_size = r->second->end - r->second->start;
    auto code = disassemble(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(r->second->start), v.code_size),
                            start);
    if (!code.ok()) return code.take_error();
    for (const Disassembled& d : *code) {
      NativeLine line;
      line.address = d.address;
      line.bytes = hex_bytes(reinterpret_cast<const uint8_t*>(base + d.address), d.size);
      line.text = name_target(d.text, names);
      line.frames = loaded.debug.wasm_frames(f, d.address - start);
      for (const auto& frame : line.frames) offsets_with_code.insert(frame.wasm_offset);
      v.native.push_back(std::move(line));
    }
    e.functions.push_back(std::move(v));
  }

  for (FunctionView& v : e.functions) {
    std::string last;
    for (WasmLine& w : v.wasm) {
      w.has_code = offsets_with_code.count(w.instr.offset) != 0;
      auto src = loaded.debug.source_frames(static_cast<uint32_t>(w.instr.offset));
      if (src.empty()) continue;
      std::string here = src[0].file + ":" + std::to_string(src[0].line);
      if (here != last) w.source = here;
      last = std::move(here);
    }
  }
  return e;
}

}  // namespace atl::explore
