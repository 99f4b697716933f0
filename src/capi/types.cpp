// wasm.h: vectors and type representations (value, function, global, table, memory, extern,
// import and export types), and their conversions to and from atoll's C++ types.
#include <cstdlib>
#include <cstring>

#include "capi/capi.h"

#include "capi/vec.h"

using namespace atl::capi;

extern "C" {

// --- byte and value vectors ----------------------------------------------------------------------
void wasm_byte_vec_new_empty(wasm_byte_vec_t* out) { vec_new_empty(out); }
void wasm_byte_vec_new_uninitialized(wasm_byte_vec_t* out, size_t n) {
  vec_new_uninitialized<wasm_byte_vec_t, wasm_byte_t>(out, n);
}
void wasm_byte_vec_new(wasm_byte_vec_t* out, size_t n, const wasm_byte_t src[]) { vec_new_values(out, n, src); }
void wasm_byte_vec_copy(wasm_byte_vec_t* out, const wasm_byte_vec_t* src) {
  vec_new_values(out, src->size, src->data);
}
void wasm_byte_vec_delete(wasm_byte_vec_t* v) { vec_delete_values(v); }

void wasm_val_vec_new_empty(wasm_val_vec_t* out) { vec_new_empty(out); }
void wasm_val_vec_new_uninitialized(wasm_val_vec_t* out, size_t n) {
  vec_new_uninitialized<wasm_val_vec_t, wasm_val_t>(out, n);
}
// A value vector owns the references in it.
void wasm_val_vec_new(wasm_val_vec_t* out, size_t n, const wasm_val_t src[]) { vec_new_values(out, n, src); }
void wasm_val_vec_copy(wasm_val_vec_t* out, const wasm_val_vec_t* src) {
  vec_new_uninitialized<wasm_val_vec_t, wasm_val_t>(out, src->size);
  for (size_t i = 0; i < out->size; ++i) wasm_val_copy(&out->data[i], &src->data[i]);
}
void wasm_val_vec_delete(wasm_val_vec_t* v) {
  for (size_t i = 0; i < v->size; ++i) wasm_val_delete(&v->data[i]);
  vec_delete_values(v);
}

void wasm_val_delete(wasm_val_t* v) {
  if (wasm_valkind_is_ref(v->kind) && v->of.ref) {
    wasm_ref_delete(v->of.ref);
    v->of.ref = nullptr;
  }
}
void wasm_val_copy(wasm_val_t* out, const wasm_val_t* src) {
  *out = *src;
  if (wasm_valkind_is_ref(src->kind) && src->of.ref) out->of.ref = wasm_ref_copy(src->of.ref);
}

// --- value types ---------------------------------------------------------------------------------
wasm_valtype_t* wasm_valtype_new(wasm_valkind_t k) { return new wasm_valtype_t{k}; }
wasm_valkind_t wasm_valtype_kind(const wasm_valtype_t* t) { return t->kind; }
wasm_valtype_t* wasm_valtype_copy(const wasm_valtype_t* t) { return new wasm_valtype_t{t->kind}; }
void wasm_valtype_delete(wasm_valtype_t* t) { delete t; }
ATL_POINTER_VEC(valtype)

// --- function types ------------------------------------------------------------------------------
wasm_functype_t* wasm_functype_new(wasm_valtype_vec_t* params, wasm_valtype_vec_t* results) {
  auto* t = new wasm_functype_t;
  t->params = *params;  // taken over
  t->results = *results;
  params->size = results->size = 0;
  params->data = results->data = nullptr;
  return t;
}
const wasm_valtype_vec_t* wasm_functype_params(const wasm_functype_t* t) { return &t->params; }
const wasm_valtype_vec_t* wasm_functype_results(const wasm_functype_t* t) { return &t->results; }
wasm_functype_t* wasm_functype_copy(const wasm_functype_t* t) {
  auto* c = new wasm_functype_t;
  wasm_valtype_vec_copy(&c->params, &t->params);
  wasm_valtype_vec_copy(&c->results, &t->results);
  return c;
}
void wasm_functype_delete(wasm_functype_t* t) { delete t; }
ATL_POINTER_VEC(functype)

// --- global, table and memory types ----------------------------------------------------------------
wasm_globaltype_t* wasm_globaltype_new(wasm_valtype_t* content, wasm_mutability_t m) {
  auto* t = new wasm_globaltype_t;
  t->content = content;
  t->mutability = m;
  return t;
}
const wasm_valtype_t* wasm_globaltype_content(const wasm_globaltype_t* t) { return t->content; }
wasm_mutability_t wasm_globaltype_mutability(const wasm_globaltype_t* t) { return t->mutability; }
wasm_globaltype_t* wasm_globaltype_copy(const wasm_globaltype_t* t) {
  return wasm_globaltype_new(wasm_valtype_copy(t->content), t->mutability);
}
void wasm_globaltype_delete(wasm_globaltype_t* t) { delete t; }
ATL_POINTER_VEC(globaltype)

wasm_tabletype_t* wasm_tabletype_new(wasm_valtype_t* element, const wasm_limits_t* limits) {
  auto* t = new wasm_tabletype_t;
  t->element = element;
  t->limits = *limits;
  return t;
}
const wasm_valtype_t* wasm_tabletype_element(const wasm_tabletype_t* t) { return t->element; }
const wasm_limits_t* wasm_tabletype_limits(const wasm_tabletype_t* t) { return &t->limits; }
wasm_tabletype_t* wasm_tabletype_copy(const wasm_tabletype_t* t) {
  return wasm_tabletype_new(wasm_valtype_copy(t->element), &t->limits);
}
void wasm_tabletype_delete(wasm_tabletype_t* t) { delete t; }
ATL_POINTER_VEC(tabletype)

wasm_memorytype_t* wasm_memorytype_new(const wasm_limits_t* limits) {
  auto* t = new wasm_memorytype_t;
  t->limits = *limits;
  return t;
}
const wasm_limits_t* wasm_memorytype_limits(const wasm_memorytype_t* t) { return &t->limits; }
wasm_memorytype_t* wasm_memorytype_copy(const wasm_memorytype_t* t) { return wasm_memorytype_new(&t->limits); }
void wasm_memorytype_delete(wasm_memorytype_t* t) { delete t; }
ATL_POINTER_VEC(memorytype)

// --- extern types --------------------------------------------------------------------------------
wasm_externkind_t wasm_externtype_kind(const wasm_externtype_t* t) { return t->kind; }
wasm_externtype_t* wasm_externtype_copy(const wasm_externtype_t* t) {
  switch (t->kind) {
    case WASM_EXTERN_FUNC: return wasm_functype_copy(static_cast<const wasm_functype_t*>(t));
    case WASM_EXTERN_GLOBAL: return wasm_globaltype_copy(static_cast<const wasm_globaltype_t*>(t));
    case WASM_EXTERN_TABLE: return wasm_tabletype_copy(static_cast<const wasm_tabletype_t*>(t));
    default: return wasm_memorytype_copy(static_cast<const wasm_memorytype_t*>(t));
  }
}
void wasm_externtype_delete(wasm_externtype_t* t) { delete t; }
ATL_POINTER_VEC(externtype)

#define ATL_EXTERNTYPE_CASTS(name, KIND)                                                          \
  wasm_externtype_t* wasm_##name##_as_externtype(wasm_##name##_t* t) { return t; }               \
  const wasm_externtype_t* wasm_##name##_as_externtype_const(const wasm_##name##_t* t) { return t; } \
  wasm_##name##_t* wasm_externtype_as_##name(wasm_externtype_t* t) {                             \
    return t && t->kind == KIND ? static_cast<wasm_##name##_t*>(t) : nullptr;                    \
  }                                                                                              \
  const wasm_##name##_t* wasm_externtype_as_##name##_const(const wasm_externtype_t* t) {         \
    return t && t->kind == KIND ? static_cast<const wasm_##name##_t*>(t) : nullptr;              \
  }
ATL_EXTERNTYPE_CASTS(functype, WASM_EXTERN_FUNC)
ATL_EXTERNTYPE_CASTS(globaltype, WASM_EXTERN_GLOBAL)
ATL_EXTERNTYPE_CASTS(tabletype, WASM_EXTERN_TABLE)
ATL_EXTERNTYPE_CASTS(memorytype, WASM_EXTERN_MEMORY)

// --- import and export types ---------------------------------------------------------------------
wasm_importtype_t* wasm_importtype_new(wasm_name_t* module, wasm_name_t* name, wasm_externtype_t* type) {
  auto* t = new wasm_importtype_t;
  t->module = *module;
  t->name = *name;
  t->type = type;
  *module = wasm_name_t{0, nullptr};
  *name = wasm_name_t{0, nullptr};
  return t;
}
const wasm_name_t* wasm_importtype_module(const wasm_importtype_t* t) { return &t->module; }
const wasm_name_t* wasm_importtype_name(const wasm_importtype_t* t) { return &t->name; }
const wasm_externtype_t* wasm_importtype_type(const wasm_importtype_t* t) { return t->type; }
wasm_importtype_t* wasm_importtype_copy(const wasm_importtype_t* t) {
  wasm_name_t module, name;
  wasm_byte_vec_copy(&module, &t->module);
  wasm_byte_vec_copy(&name, &t->name);
  return wasm_importtype_new(&module, &name, wasm_externtype_copy(t->type));
}
void wasm_importtype_delete(wasm_importtype_t* t) { delete t; }
ATL_POINTER_VEC(importtype)

wasm_exporttype_t* wasm_exporttype_new(wasm_name_t* name, wasm_externtype_t* type) {
  auto* t = new wasm_exporttype_t;
  t->name = *name;
  t->type = type;
  *name = wasm_name_t{0, nullptr};
  return t;
}
const wasm_name_t* wasm_exporttype_name(const wasm_exporttype_t* t) { return &t->name; }
const wasm_externtype_t* wasm_exporttype_type(const wasm_exporttype_t* t) { return t->type; }
wasm_exporttype_t* wasm_exporttype_copy(const wasm_exporttype_t* t) {
  wasm_name_t name;
  wasm_byte_vec_copy(&name, &t->name);
  return wasm_exporttype_new(&name, wasm_externtype_copy(t->type));
}
void wasm_exporttype_delete(wasm_exporttype_t* t) { delete t; }
ATL_POINTER_VEC(exporttype)

}  // extern "C"

wasm_functype_t::~wasm_functype_t() {
  wasm_valtype_vec_delete(&params);
  wasm_valtype_vec_delete(&results);
}
wasm_importtype_t::~wasm_importtype_t() {
  wasm_byte_vec_delete(&module);
  wasm_byte_vec_delete(&name);
  delete type;
}
wasm_exporttype_t::~wasm_exporttype_t() {
  wasm_byte_vec_delete(&name);
  delete type;
}

// --- conversions ---------------------------------------------------------------------------------
namespace atl::capi {

wasm_valkind_t to_c(ValType t) {
  switch (t) {
    case ValType::I32: return WASM_I32;
    case ValType::I64: return WASM_I64;
    case ValType::F32: return WASM_F32;
    case ValType::F64: return WASM_F64;
    case ValType::FuncRef: return WASM_FUNCREF;
    case ValType::ExternRef: return WASM_EXTERNREF;
    case ValType::ExnRef: return ATOLL_EXNREF;
    case ValType::V128: break;
  }
  return 4;  // v128: wasm.h has no kind for it; Wasmtime's extension uses 4
}

bool from_c(wasm_valkind_t k, ValType& out) {
  switch (k) {
    case WASM_I32: out = ValType::I32; return true;
    case WASM_I64: out = ValType::I64; return true;
    case WASM_F32: out = ValType::F32; return true;
    case WASM_F64: out = ValType::F64; return true;
    case WASM_FUNCREF: out = ValType::FuncRef; return true;
    case WASM_EXTERNREF: out = ValType::ExternRef; return true;
    case ATOLL_EXNREF: out = ValType::ExnRef; return true;
    default: return false;
  }
}

wasm_limits_t to_c(const Limits& l) {
  return wasm_limits_t{static_cast<uint32_t>(l.min), l.max ? static_cast<uint32_t>(*l.max) : wasm_limits_max_default};
}

Limits from_c(const wasm_limits_t& l) {
  Limits out;
  out.min = l.min;
  if (l.max != wasm_limits_max_default) out.max = l.max;
  return out;
}

static void to_c(const std::vector<ValType>& in, wasm_valtype_vec_t& out) {
  wasm_valtype_vec_new_uninitialized(&out, in.size());
  for (size_t i = 0; i < out.size; ++i) out.data[i] = wasm_valtype_new(to_c(in[i]));
}

wasm_functype_t* to_c(const FuncType& t) {
  auto* f = new wasm_functype_t;
  to_c(t.params, f->params);
  to_c(t.results, f->results);
  return f;
}

static bool from_c(const wasm_valtype_vec_t& in, std::vector<ValType>& out) {
  out.resize(in.size);
  for (size_t i = 0; i < in.size; ++i) {
    if (!in.data[i] || !from_c(in.data[i]->kind, out[i])) return false;
  }
  return true;
}

bool from_c(const wasm_functype_t& t, FuncType& out) { return from_c(t.params, out.params) && from_c(t.results, out.results); }

wasm_externtype_t* to_c(const ExternType& t) {
  switch (t.kind) {
    case ExternKind::Func: return to_c(t.func);
    case ExternKind::Global:
      return wasm_globaltype_new(wasm_valtype_new(to_c(t.global.type)), t.global.is_mutable ? WASM_VAR : WASM_CONST);
    case ExternKind::Table: {
      const wasm_limits_t l = to_c(t.table.limits);
      return wasm_tabletype_new(wasm_valtype_new(to_c(t.table.element)), &l);
    }
    case ExternKind::Memory: {
      const wasm_limits_t l = to_c(t.memory.limits);
      return wasm_memorytype_new(&l);
    }
    case ExternKind::Tag: break;  // wasm.h has no tags; modules with tags need -W exceptions, off in the C API
  }
  return nullptr;
}

}  // namespace atl::capi
