// wasm.h: functions (host callbacks and calls), globals, tables, memories, externs, and values
// with their references.
#include <cstring>

#include "capi/capi.h"
#include "capi/vec.h"

using atl::capi::RefKind;

namespace atl::capi {
namespace {

// A function reference held by a table, a global or a value, as a callable function: its code
// lies in some loaded module (a wasm function's body, or the module's adapter for a host import),
// whose entry trampoline for the reference's signature calls it.
std::shared_ptr<runtime::FunctionObject> function_from_ref(const abi::FuncRef& ref) {
  const runtime::LoadedModule* m = runtime::module_at(reinterpret_cast<uintptr_t>(ref.code));
  if (!m) return nullptr;
  for (size_t t = 0; t < m->type_ids.size(); ++t) {
    if (m->type_ids[t] != ref.type_id || !m->entry[t]) continue;
    auto f = std::make_shared<runtime::FunctionObject>();
    f->ref = ref;
    f->entry = m->entry[t];
    f->type = m->module.types[t];
    return f;
  }
  return nullptr;
}

}  // namespace

wasm_ref_t* ref_to_c(wasm_store_t* store, ValType type, uint64_t bits) {
  if (bits == 0) return nullptr;
  if (type == ValType::ExternRef) return reinterpret_cast<const wasm_ref_t*>(bits)->clone();
  if (type == ValType::ExnRef) return new atoll_exn_t(store, bits);
  auto f = function_from_ref(*reinterpret_cast<const abi::FuncRef*>(bits));
  if (!f) return nullptr;
  Func func;
  func.impl_ = std::move(f);
  func.store_ = &store->store.impl();
  return new wasm_func_t(store, std::move(func));
}

bool ref_to_bits(wasm_store_t* store, ValType type, const wasm_ref_t* ref, uint64_t& bits, std::string& why) {
  bits = 0;
  if (!ref) return true;
  if (type == ValType::ExternRef) {
    // The store keeps a handle of its own, once per object.
    for (const auto& pinned : store->pinned_refs) {
      if (pinned->same(*ref)) {
        bits = reinterpret_cast<uintptr_t>(pinned.get());
        return true;
      }
    }
    store->pinned_refs.emplace_back(ref->clone(), [](wasm_ref_t* r) { delete r; });
    bits = reinterpret_cast<uintptr_t>(store->pinned_refs.back().get());
    return true;
  }
  if (type == ValType::ExnRef) {
    if (ref->ref_kind != RefKind::Exn) {
      why = "an exnref must be an exception the guest gave out (ATOLL_EXNREF)";
      return false;
    }
    const auto* e = static_cast<const atoll_exn_t*>(ref);
    if (e->store != store) {
      why = "the exception belongs to another store";
      return false;
    }
    // Still one of the store's live exceptions (a handle kept past its store could otherwise
    // name a store at the same address): code trusts an exnref.
    if (!store->store.impl().is_live_exception(reinterpret_cast<const abi::Exception*>(e->bits))) {
      why = "the exception is not a live exception of this store";
      return false;
    }
    bits = e->bits;
    return true;
  }
  if (ref->ref_kind != RefKind::Func) {
    why = "a funcref must be a function";
    return false;
  }
  const auto& f = static_cast<const wasm_func_t*>(ref);
  if (f->store != store) {
    why = "the function belongs to another store";
    return false;
  }
  const std::shared_ptr<runtime::FunctionObject>& obj = f->func.impl_;
  if (!obj->ref.code) {
    // Its native entry exists only in a module that imports it.
    why = "a host function made by wasm_func_new is a funcref value only through a module that imports it";
    return false;
  }
  bool held = false;
  for (const auto& p : store->pinned_funcs) held |= p == obj;
  if (!held) store->pinned_funcs.push_back(obj);
  bits = reinterpret_cast<uintptr_t>(&obj->ref);
  return true;
}

bool to_atl(wasm_store_t* store, const wasm_val_t& v, Val& out, std::string& why) {
  out = Val{};
  if (!from_c(v.kind, out.type)) {
    why = "unknown value kind " + std::to_string(v.kind);
    return false;
  }
  switch (v.kind) {
    case WASM_I32: out.bits[0] = static_cast<uint32_t>(v.of.i32); return true;
    case WASM_I64: out.bits[0] = static_cast<uint64_t>(v.of.i64); return true;
    case WASM_F32: {
      uint32_t b;
      std::memcpy(&b, &v.of.f32, 4);
      out.bits[0] = b;
      return true;
    }
    case WASM_F64: std::memcpy(&out.bits[0], &v.of.f64, 8); return true;
    default: return ref_to_bits(store, out.type, v.of.ref, out.bits[0], why);
  }
}

void to_c(wasm_store_t* store, const Val& v, wasm_val_t& out) {
  out.kind = to_c(v.type);
  switch (v.type) {
    case ValType::I32: out.of.i32 = static_cast<int32_t>(v.bits[0]); break;
    case ValType::I64: out.of.i64 = static_cast<int64_t>(v.bits[0]); break;
    case ValType::F32: {
      const uint32_t b = static_cast<uint32_t>(v.bits[0]);
      std::memcpy(&out.of.f32, &b, 4);
      break;
    }
    case ValType::F64: std::memcpy(&out.of.f64, &v.bits[0], 8); break;
    case ValType::FuncRef:
    case ValType::ExternRef:
    case ValType::ExnRef: out.of.ref = ref_to_c(store, v.type, v.bits[0]); break;
    case ValType::V128: out.of.i64 = static_cast<int64_t>(v.bits[0]); break;  // no v128 in wasm.h
  }
}

wasm_extern_t* extern_to_c(wasm_store_t* store, runtime::Extern x) {
  runtime::StoreData* s = &store->store.impl();
  switch (x.kind) {
    case wasm::ExternKind::Func: {
      Func f;
      f.impl_ = std::move(x.func);
      f.store_ = s;
      return new wasm_func_t(store, std::move(f));
    }
    case wasm::ExternKind::Global: {
      Global g;
      g.impl_ = std::move(x.global);
      return new wasm_global_t(store, std::move(g));
    }
    case wasm::ExternKind::Table: {
      Table t;
      t.impl_ = std::move(x.table);
      t.store_ = s;
      return new wasm_table_t(store, std::move(t));
    }
    case wasm::ExternKind::Memory: {
      Memory m;
      m.impl_ = std::move(x.memory);
      return new wasm_memory_t(store, std::move(m));
    }
    case wasm::ExternKind::Tag: break;  // see to_c(ExternType)
  }
  return nullptr;
}

}  // namespace atl::capi

namespace {

using atl::ValType;

atl::wasm::ValType to_wasm(ValType t) {
  constexpr atl::wasm::ValType kTypes[] = {atl::wasm::ValType::I32,  atl::wasm::ValType::I64,     atl::wasm::ValType::F32,
                                           atl::wasm::ValType::F64,  atl::wasm::ValType::V128,    atl::wasm::ValType::FuncRef,
                                           atl::wasm::ValType::ExternRef};
  return kTypes[static_cast<size_t>(t)];
}

// A host callback behind a runtime host function: arguments from the 16-byte slots into a value
// vector, the callback, results back into the slots (their kinds checked against the type).
atl::runtime::HostFunction host_function(wasm_store_t* store, const atl::FuncType& type,
                                         std::function<wasm_trap_t*(const wasm_val_vec_t*, wasm_val_vec_t*)> call) {
  return [store, type, call = std::move(call)](atl::runtime::Instance*, uint64_t* slots) -> atl::Result<void> {
    wasm_val_vec_t args, results;
    wasm_val_vec_new_uninitialized(&args, type.params.size());
    wasm_val_vec_new_uninitialized(&results, type.results.size());
    for (size_t i = 0; i < args.size; ++i) {
      atl::Val v;
      v.type = type.params[i];
      v.bits[0] = slots[2 * i];
      v.bits[1] = slots[2 * i + 1];
      atl::capi::to_c(store, v, args.data[i]);
    }
    for (size_t i = 0; i < results.size; ++i) results.data[i].kind = atl::capi::to_c(type.results[i]);
    wasm_trap_t* trap = call(&args, &results);
    wasm_val_vec_delete(&args);
    std::string why;
    if (trap) {
      why = trap->message.empty() ? "trap from a host function" : trap->message;
      wasm_trap_delete(trap);
    } else {
      for (size_t i = 0; i < results.size && why.empty(); ++i) {
        atl::Val v;
        if (results.data[i].kind != atl::capi::to_c(type.results[i])) {
          why = "host function result " + std::to_string(i) + " has the wrong kind";
        } else if (atl::capi::to_atl(store, results.data[i], v, why)) {
          slots[2 * i] = v.bits[0];
          slots[2 * i + 1] = v.bits[1];
        }
      }
    }
    wasm_val_vec_delete(&results);
    if (!why.empty()) return atl::make_error(atl::ErrorKind::Trap, why);
    return {};
  };
}

wasm_func_t* make_host_func(wasm_store_t* store, const wasm_functype_t* ctype,
                            std::function<wasm_trap_t*(const wasm_val_vec_t*, wasm_val_vec_t*)> call) {
  atl::FuncType type;
  if (!atl::capi::from_c(*ctype, type)) return nullptr;
  atl::wasm::FuncType wtype;
  for (ValType t : type.params) wtype.params.push_back(to_wasm(t));
  for (ValType t : type.results) wtype.results.push_back(to_wasm(t));
  auto data = atl::runtime::make_host_function(std::move(wtype), host_function(store, type, std::move(call)));
  atl::Func f;
  f.impl_ = atl::runtime::host_function_object(std::move(data));
  f.store_ = &store->store.impl();
  return new wasm_func_t(store, std::move(f));
}

// The environment's finalizer runs when the function's last user (handle or importing
// instance) goes.
struct Env {
  ~Env() {
    if (finalizer) finalizer(env);
  }
  void* env = nullptr;
  void (*finalizer)(void*) = nullptr;
};

}  // namespace

extern "C" {

ATL_POINTER_VEC(extern)

// --- functions -----------------------------------------------------------------------------------
wasm_func_t* wasm_func_new(wasm_store_t* store, const wasm_functype_t* type, wasm_func_callback_t cb) {
  return make_host_func(store, type, [cb](const wasm_val_vec_t* args, wasm_val_vec_t* results) { return cb(args, results); });
}

wasm_func_t* wasm_func_new_with_env(wasm_store_t* store, const wasm_functype_t* type, wasm_func_callback_with_env_t cb,
                                    void* env, void (*finalizer)(void*)) {
  auto holder = std::make_shared<Env>();
  holder->env = env;
  holder->finalizer = finalizer;
  wasm_func_t* f = make_host_func(store, type, [cb, holder](const wasm_val_vec_t* args, wasm_val_vec_t* results) {
    return cb(holder->env, args, results);
  });
  return f;
}

wasm_functype_t* wasm_func_type(const wasm_func_t* f) { return atl::capi::to_c(f->func.type()); }
size_t wasm_func_param_arity(const wasm_func_t* f) { return f->func.impl_->type.params.size(); }
size_t wasm_func_result_arity(const wasm_func_t* f) { return f->func.impl_->type.results.size(); }

wasm_trap_t* wasm_func_call(const wasm_func_t* f, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  const atl::FuncType type = f->func.type();
  const size_t nargs = args ? args->size : 0;
  if (nargs != type.params.size()) {
    return atl::capi::make_trap("expected " + std::to_string(type.params.size()) + " arguments, got " +
                                std::to_string(nargs));
  }
  if (!results || results->size < type.results.size()) {
    return atl::capi::make_trap("the results vector holds " + std::to_string(results ? results->size : 0) +
                                " values, the function returns " + std::to_string(type.results.size()));
  }
  std::vector<atl::Val> in(nargs);
  for (size_t i = 0; i < nargs; ++i) {
    std::string why;
    if (!atl::capi::to_atl(f->store, args->data[i], in[i], why)) {
      return atl::capi::make_trap("argument " + std::to_string(i) + ": " + why);
    }
  }
  auto out = f->func.call(in);
  if (!out.ok()) return atl::capi::make_trap(out.error());
  for (size_t i = 0; i < out->size(); ++i) atl::capi::to_c(f->store, (*out)[i], results->data[i]);
  return nullptr;
}

// --- globals -------------------------------------------------------------------------------------
wasm_global_t* wasm_global_new(wasm_store_t* store, const wasm_globaltype_t* type, const wasm_val_t* init) {
  atl::GlobalType gt;
  if (!type->content || !atl::capi::from_c(type->content->kind, gt.type) || init->kind != type->content->kind) {
    return nullptr;
  }
  gt.is_mutable = type->mutability == WASM_VAR;
  atl::Val v;
  std::string why;
  if (!atl::capi::to_atl(store, *init, v, why)) return nullptr;
  // Global::create refuses non-null references (the C++ API cannot name them): set the bits here.
  atl::Val null_init = v;
  if (gt.type == ValType::FuncRef || gt.type == ValType::ExternRef) null_init.bits[0] = 0;
  auto g = atl::Global::create(store->store, gt, null_init);
  if (!g.ok()) return nullptr;
  std::memcpy(g->impl_->cell, v.bits, 16);
  return new wasm_global_t(store, std::move(g.value()));
}

wasm_globaltype_t* wasm_global_type(const wasm_global_t* g) {
  return wasm_globaltype_new(wasm_valtype_new(atl::capi::to_c(g->global.type())),
                             g->global.is_mutable() ? WASM_VAR : WASM_CONST);
}

void wasm_global_get(const wasm_global_t* g, wasm_val_t* out) { atl::capi::to_c(g->store, g->global.get(), *out); }

// wasm.h gives no way to fail: a value of the wrong kind, or a set of an immutable global,
// leaves the global as it was.
void wasm_global_set(wasm_global_t* g, const wasm_val_t* v) {
  if (!g->global.is_mutable() || v->kind != atl::capi::to_c(g->global.type())) return;
  atl::Val val;
  std::string why;
  if (!atl::capi::to_atl(g->store, *v, val, why)) return;
  (void)g->global.set(val);  // its checks (typed references cannot be set by the host)
}

namespace {
// A table whose elements have a typed reference type (3.0) takes no value from the host but
// null, and that only when nullable: code trusts the elements' type.
bool host_may_store(const atl::runtime::TableObject& t, wasm_ref_t* ref) {
  const atl::wasm::ValType e = t.type.elem;
  if (e == atl::wasm::ValType::FuncRef || e == atl::wasm::ValType::ExternRef) return true;
  return ref == nullptr && atl::wasm::is_nullable(e);
}
}  // namespace

// --- tables --------------------------------------------------------------------------------------
wasm_table_t* wasm_table_new(wasm_store_t* store, const wasm_tabletype_t* type, wasm_ref_t* init) {
  atl::TableType tt;
  if (!type->element || !atl::capi::from_c(type->element->kind, tt.element)) return nullptr;
  tt.limits = atl::capi::from_c(type->limits);
  uint64_t bits = 0;
  std::string why;
  if (!atl::capi::ref_to_bits(store, tt.element, init, bits, why)) return nullptr;
  auto t = atl::Table::create(store->store, tt);
  if (!t.ok()) return nullptr;
  for (void*& e : t->impl_->elements) e = reinterpret_cast<void*>(bits);
  return new wasm_table_t(store, std::move(t.value()));
}

wasm_tabletype_t* wasm_table_type(const wasm_table_t* t) {
  const atl::TableType tt = t->table.type();
  const wasm_limits_t l = atl::capi::to_c(tt.limits);
  return wasm_tabletype_new(wasm_valtype_new(atl::capi::to_c(tt.element)), &l);
}

wasm_ref_t* wasm_table_get(const wasm_table_t* t, wasm_table_size_t index) {
  auto v = t->table.get(index);
  if (!v.ok()) return nullptr;
  return atl::capi::ref_to_c(t->store, v->type, v->bits[0]);
}

bool wasm_table_set(wasm_table_t* t, wasm_table_size_t index, wasm_ref_t* ref) {
  auto& elements = t->table.impl_->elements;
  if (index >= elements.size() || !host_may_store(*t->table.impl_, ref)) return false;
  uint64_t bits = 0;
  std::string why;
  if (!atl::capi::ref_to_bits(t->store, t->table.type().element, ref, bits, why)) return false;
  elements[index] = reinterpret_cast<void*>(bits);
  t->table.impl_->sync();
  return true;
}

wasm_table_size_t wasm_table_size(const wasm_table_t* t) { return t->table.size(); }

bool wasm_table_grow(wasm_table_t* t, wasm_table_size_t delta, wasm_ref_t* init) {
  if (!host_may_store(*t->table.impl_, init)) return false;
  uint64_t bits = 0;
  std::string why;
  if (!atl::capi::ref_to_bits(t->store, t->table.type().element, init, bits, why)) return false;
  const int64_t old = t->table.grow(delta);
  if (old < 0) return false;
  auto& elements = t->table.impl_->elements;
  for (size_t i = static_cast<size_t>(old); i < elements.size(); ++i) elements[i] = reinterpret_cast<void*>(bits);
  return true;
}

// --- memories ------------------------------------------------------------------------------------
wasm_memory_t* wasm_memory_new(wasm_store_t* store, const wasm_memorytype_t* type) {
  auto m = atl::Memory::create(store->store, atl::MemoryType{atl::capi::from_c(type->limits)});
  if (!m.ok()) return nullptr;
  return new wasm_memory_t(store, std::move(m.value()));
}

wasm_memorytype_t* wasm_memory_type(const wasm_memory_t* m) {
  const wasm_limits_t l = atl::capi::to_c(m->memory.type().limits);
  return wasm_memorytype_new(&l);
}

// Raw access is the embedder's responsibility, as the API intends; host writes are recorded
// so a pooled slot is reset before reuse.
byte_t* wasm_memory_data(wasm_memory_t* m) {
  m->memory.impl_->mark_written();
  return reinterpret_cast<byte_t*>(m->memory.impl_->base());
}
size_t wasm_memory_data_size(const wasm_memory_t* m) { return m->memory.size(); }
wasm_memory_pages_t wasm_memory_size(const wasm_memory_t* m) { return m->memory.pages(); }
bool wasm_memory_grow(wasm_memory_t* m, wasm_memory_pages_t delta) { return m->memory.grow(delta) >= 0; }

// --- externs -------------------------------------------------------------------------------------
wasm_externkind_t wasm_extern_kind(const wasm_extern_t* x) { return x->extern_kind(); }

wasm_externtype_t* wasm_extern_type(const wasm_extern_t* x) {
  switch (x->ref_kind) {
    case RefKind::Func: return wasm_func_type(static_cast<const wasm_func_t*>(x));
    case RefKind::Global: return wasm_global_type(static_cast<const wasm_global_t*>(x));
    case RefKind::Table: return wasm_table_type(static_cast<const wasm_table_t*>(x));
    default: return wasm_memory_type(static_cast<const wasm_memory_t*>(x));
  }
}

#define ATL_EXTERN_CASTS(name, KIND)                                                              \
  wasm_extern_t* wasm_##name##_as_extern(wasm_##name##_t* x) { return x; }                        \
  const wasm_extern_t* wasm_##name##_as_extern_const(const wasm_##name##_t* x) { return x; }      \
  wasm_##name##_t* wasm_extern_as_##name(wasm_extern_t* x) {                                      \
    return x && x->ref_kind == KIND ? static_cast<wasm_##name##_t*>(x) : nullptr;                 \
  }                                                                                               \
  const wasm_##name##_t* wasm_extern_as_##name##_const(const wasm_extern_t* x) {                  \
    return x && x->ref_kind == KIND ? static_cast<const wasm_##name##_t*>(x) : nullptr;           \
  }
ATL_EXTERN_CASTS(func, RefKind::Func)
ATL_EXTERN_CASTS(global, RefKind::Global)
ATL_EXTERN_CASTS(table, RefKind::Table)
ATL_EXTERN_CASTS(memory, RefKind::Memory)

}  // extern "C"

wasm_externkind_t wasm_extern_t::extern_kind() const {
  switch (ref_kind) {
    case RefKind::Func: return WASM_EXTERN_FUNC;
    case RefKind::Global: return WASM_EXTERN_GLOBAL;
    case RefKind::Table: return WASM_EXTERN_TABLE;
    default: return WASM_EXTERN_MEMORY;
  }
}

bool wasm_func_t::same(const wasm_ref_t& other) const {
  if (other.ref_kind != ref_kind) return false;
  const auto& a = *func.impl_;
  const auto& b = *static_cast<const wasm_func_t&>(other).func.impl_;
  if (a.host || b.host) return a.host == b.host;
  return a.ref.code == b.ref.code && a.ref.vmctx == b.ref.vmctx;
}
bool wasm_global_t::same(const wasm_ref_t& other) const {
  return other.ref_kind == ref_kind && static_cast<const wasm_global_t&>(other).global.impl_ == global.impl_;
}
bool wasm_table_t::same(const wasm_ref_t& other) const {
  return other.ref_kind == ref_kind && static_cast<const wasm_table_t&>(other).table.impl_ == table.impl_;
}
bool wasm_memory_t::same(const wasm_ref_t& other) const {
  return other.ref_kind == ref_kind && static_cast<const wasm_memory_t&>(other).memory.impl_ == memory.impl_;
}
