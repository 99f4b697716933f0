#include "wasm/types.h"

#include "wasm/module.h"

namespace atl::wasm {

std::string heap_type_name(uint32_t h) {
  if (heap::is_index(h)) return std::to_string(heap::index(h));
  switch (h) {
    case heap::Func: return "func";
    case heap::Extern: return "extern";
    case heap::NoFunc: return "nofunc";
    case heap::NoExtern: return "noextern";
    case heap::Exn: return "exn";
    case heap::NoExn: return "noexn";
    default: return "?";
  }
}

const char* basic_valtype_name(ValType t) {
  switch (t) {
    case ValType::I32: return "i32";
    case ValType::I64: return "i64";
    case ValType::F32: return "f32";
    case ValType::F64: return "f64";
    case ValType::V128: return "v128";
    case ValType::FuncRef: return "funcref";
    case ValType::ExternRef: return "externref";
    case ValType::Bottom: return "unknown";
    default: return nullptr;
  }
}

std::string valtype_name(ValType t) {
  if (const char* basic = basic_valtype_name(t)) return basic;
  if (!is_ref(t)) return "?";
  return std::string(is_nullable(t) ? "(ref null " : "(ref ") + heap_type_name(heap_type(t)) + ")";
}

std::string functype_to_string(const FuncType& t) {
  std::string s = "[";
  for (size_t i = 0; i < t.params.size(); ++i) {
    if (i) s += ' ';
    s += valtype_name(t.params[i]);
  }
  s += "] -> [";
  for (size_t i = 0; i < t.results.size(); ++i) {
    if (i) s += ' ';
    s += valtype_name(t.results[i]);
  }
  s += ']';
  return s;
}

const char* extern_kind_name(ExternKind k) {
  switch (k) {
    case ExternKind::Func: return "func";
    case ExternKind::Table: return "table";
    case ExternKind::Memory: return "memory";
    case ExternKind::Global: return "global";
    case ExternKind::Tag: return "tag";
  }
  return "?";
}

const char* segment_mode_name(SegmentMode m) {
  switch (m) {
    case SegmentMode::Active: return "active";
    case SegmentMode::Passive: return "passive";
    case SegmentMode::Declarative: return "declarative";
  }
  return "?";
}

const std::string& Module::func_name(uint32_t func_index) const {
  static const std::string kEmpty;
  auto it = names.functions.find(func_index);
  return it == names.functions.end() ? kEmpty : it->second;
}

const std::string& Module::func_display_name(uint32_t func_index) const {
  const std::string& named = func_name(func_index);
  if (!named.empty()) return named;
  for (const Export& e : exports) {
    if (e.kind == ExternKind::Func && e.index == func_index) return e.name;
  }
  return named;
}

}  // namespace atl::wasm
