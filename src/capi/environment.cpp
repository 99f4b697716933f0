// wasm.h: configuration, engines, stores, modules, instances, traps and frames, foreign objects,
// and the reference operations every runtime object shares.
#include <cstring>

#include "abi/abi.h"
#include "capi/capi.h"
#include "capi/vec.h"

using atl::capi::RefKind;

namespace atl::capi {

wasm_trap_t* make_trap(std::string message) {
  auto* t = new wasm_trap_t;
  t->message = std::move(message);
  return t;
}

wasm_trap_t* make_trap(const Error& e) {
  std::string message = e.message;
  // A host callback's own trap comes back as "host function failed: <its message>": give the
  // embedder its message as it made it.
  const std::string host_prefix = std::string(abi::trap_message(abi::TrapCode::HostError)) + ": ";
  if (e.kind == ErrorKind::Trap && e.trap_code == static_cast<uint32_t>(abi::TrapCode::HostError) &&
      message.rfind(host_prefix, 0) == 0) {
    message.erase(0, host_prefix.size());
  } else if (e.kind != ErrorKind::Trap) {
    message = e.to_string();
  }
  wasm_trap_t* t = make_trap(std::move(message));
  if (e.kind == ErrorKind::Trap) t->code = e.trap_code;
  // Offsets the artifact does not know (an import's frame, a stub) are 0, as wasm.h has no "none".
  auto known = [](uint64_t o) { return o == Error::kNoOffset ? size_t{0} : static_cast<size_t>(o); };
  for (const Error::Frame& f : e.frames) {
    t->frames.push_back(wasm_frame_t{f.func_index, known(f.func_offset), known(f.wasm_offset)});
  }
  return t;
}

}  // namespace atl::capi

namespace {

// The message as wasm.h wants it: a null-terminated name.
void message_out(const std::string& s, wasm_message_t* out) {
  wasm_byte_vec_new_uninitialized(out, s.size() + 1);
  if (out->size) std::memcpy(out->data, s.c_str(), s.size() + 1);
}

}  // namespace

// Every runtime object's reference operations (copy, same, host info, delete, ref casts).
#define ATL_REF_BASE(name)                                                                       \
  wasm_##name##_t* wasm_##name##_copy(const wasm_##name##_t* r) {                                \
    return r ? static_cast<wasm_##name##_t*>(r->clone()) : nullptr;                             \
  }                                                                                              \
  bool wasm_##name##_same(const wasm_##name##_t* a, const wasm_##name##_t* b) {                  \
    if (!a || !b) return a == b;                                                                 \
    return a->same(*b);                                                                          \
  }                                                                                              \
  void* wasm_##name##_get_host_info(const wasm_##name##_t* r) { return r->info->info; }          \
  void wasm_##name##_set_host_info(wasm_##name##_t* r, void* info) {                             \
    wasm_##name##_set_host_info_with_finalizer(r, info, nullptr);                                \
  }                                                                                              \
  void wasm_##name##_set_host_info_with_finalizer(wasm_##name##_t* r, void* info, void (*fin)(void*)) { \
    if (r->info->finalizer && r->info->info != info) r->info->finalizer(r->info->info);         \
    r->info->info = info;                                                                        \
    r->info->finalizer = fin;                                                                    \
  }                                                                                              \
  void wasm_##name##_delete(wasm_##name##_t* r) { delete r; }

#define ATL_REF(name, test)                                                                      \
  ATL_REF_BASE(name)                                                                             \
  wasm_ref_t* wasm_##name##_as_ref(wasm_##name##_t* r) { return r; }                             \
  const wasm_ref_t* wasm_##name##_as_ref_const(const wasm_##name##_t* r) { return r; }           \
  wasm_##name##_t* wasm_ref_as_##name(wasm_ref_t* r) {                                           \
    return r && (test) ? static_cast<wasm_##name##_t*>(r) : nullptr;                             \
  }                                                                                              \
  const wasm_##name##_t* wasm_ref_as_##name##_const(const wasm_ref_t* r) {                       \
    return r && (test) ? static_cast<const wasm_##name##_t*>(r) : nullptr;                       \
  }

extern "C" {

ATL_REF_BASE(ref)
ATL_REF(trap, r->ref_kind == RefKind::Trap)
ATL_REF(foreign, r->ref_kind == RefKind::Foreign)
ATL_REF(module, r->ref_kind == RefKind::Module)
ATL_REF(instance, r->ref_kind == RefKind::Instance)
ATL_REF(func, r->ref_kind == RefKind::Func)
ATL_REF(global, r->ref_kind == RefKind::Global)
ATL_REF(table, r->ref_kind == RefKind::Table)
ATL_REF(memory, r->ref_kind == RefKind::Memory)
ATL_REF(extern, r->ref_kind == RefKind::Func || r->ref_kind == RefKind::Global ||
                    r->ref_kind == RefKind::Table || r->ref_kind == RefKind::Memory)

// --- configuration, engines, stores ----------------------------------------------------------------
wasm_config_t* wasm_config_new(void) { return new wasm_config_t; }
void wasm_config_delete(wasm_config_t* c) { delete c; }

wasm_engine_t* wasm_engine_new(void) { return new wasm_engine_t{atl::Engine()}; }
wasm_engine_t* wasm_engine_new_with_config(wasm_config_t* c) {
  auto* e = new wasm_engine_t{atl::Engine(c ? c->config : atl::Config{})};
  delete c;
  return e;
}
void wasm_engine_delete(wasm_engine_t* e) { delete e; }

wasm_store_t* wasm_store_new(wasm_engine_t* e) { return new wasm_store_t(e->engine); }
void wasm_store_delete(wasm_store_t* s) { delete s; }

// --- traps and frames ----------------------------------------------------------------------------
wasm_trap_t* wasm_trap_new(wasm_store_t*, const wasm_message_t* message) {
  std::string text(message->data, message->size);
  if (!text.empty() && text.back() == '\0') text.pop_back();
  return atl::capi::make_trap(std::move(text));
}
void wasm_trap_message(const wasm_trap_t* t, wasm_message_t* out) { message_out(t->message, out); }
wasm_frame_t* wasm_trap_origin(const wasm_trap_t* t) {
  return t->frames.empty() ? nullptr : new wasm_frame_t(t->frames.front());
}
void wasm_trap_trace(const wasm_trap_t* t, wasm_frame_vec_t* out) {
  wasm_frame_vec_new_uninitialized(out, t->frames.size());
  for (size_t i = 0; i < out->size; ++i) out->data[i] = new wasm_frame_t(t->frames[i]);
}

void wasm_frame_delete(wasm_frame_t* f) { delete f; }
wasm_frame_t* wasm_frame_copy(const wasm_frame_t* f) { return new wasm_frame_t(*f); }
// A frame does not know its instance (backtraces record code addresses only).
wasm_instance_t* wasm_frame_instance(const wasm_frame_t*) { return nullptr; }
uint32_t wasm_frame_func_index(const wasm_frame_t* f) { return f->func_index; }
size_t wasm_frame_func_offset(const wasm_frame_t* f) { return f->func_offset; }
size_t wasm_frame_module_offset(const wasm_frame_t* f) { return f->module_offset; }

ATL_POINTER_VEC(frame)

// --- foreign objects -----------------------------------------------------------------------------
wasm_foreign_t* wasm_foreign_new(wasm_store_t*) { return new wasm_foreign_t; }

// --- modules -------------------------------------------------------------------------------------
wasm_module_t* wasm_module_new(wasm_store_t* s, const wasm_byte_vec_t* binary) {
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(binary->data), binary->size);
  auto m = atl::compile_module(s->engine, bytes);
  if (!m.ok()) return nullptr;
  return new wasm_module_t(std::move(m.value()));
}

bool wasm_module_validate(wasm_store_t* s, const wasm_byte_vec_t* binary) {
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(binary->data), binary->size);
  return atl::Module::validate(s->engine, bytes).ok();
}

void wasm_module_imports(const wasm_module_t* m, wasm_importtype_vec_t* out) {
  const std::vector<atl::ImportType> imports = m->module.imports();
  wasm_importtype_vec_new_uninitialized(out, imports.size());
  for (size_t i = 0; i < out->size; ++i) {
    wasm_name_t module, name;
    wasm_byte_vec_new(&module, imports[i].module.size(), imports[i].module.data());
    wasm_byte_vec_new(&name, imports[i].name.size(), imports[i].name.data());
    out->data[i] = wasm_importtype_new(&module, &name, atl::capi::to_c(imports[i].type));
  }
}

void wasm_module_exports(const wasm_module_t* m, wasm_exporttype_vec_t* out) {
  const std::vector<atl::ExportType> exports = m->module.exports();
  wasm_exporttype_vec_new_uninitialized(out, exports.size());
  for (size_t i = 0; i < out->size; ++i) {
    wasm_name_t name;
    wasm_byte_vec_new(&name, exports[i].name.size(), exports[i].name.data());
    out->data[i] = wasm_exporttype_new(&name, atl::capi::to_c(exports[i].type));
  }
}

// The serialized form is the module's artifact: native code plus the validated descriptor.
void wasm_module_serialize(const wasm_module_t* m, wasm_byte_vec_t* out) {
  const std::vector<uint8_t>& a = m->module.artifact();
  wasm_byte_vec_new(out, a.size(), reinterpret_cast<const wasm_byte_t*>(a.data()));
}

// Artifacts are checked as `atoll run --allow-precompiled` checks them (checksum, descriptor,
// entry points) and must match the engine's bounds mode; anything else is NULL.
wasm_module_t* wasm_module_deserialize(wasm_store_t* s, const wasm_byte_vec_t* bytes) {
  std::vector<uint8_t> copy(reinterpret_cast<const uint8_t*>(bytes->data),
                            reinterpret_cast<const uint8_t*>(bytes->data) + bytes->size);
  auto m = atl::Module::from_artifact(s->engine, std::move(copy));
  if (!m.ok()) return nullptr;
  return new wasm_module_t(std::move(m.value()));
}

wasm_shared_module_t* wasm_module_share(const wasm_module_t* m) { return new wasm_shared_module_t{m->module}; }
wasm_module_t* wasm_module_obtain(wasm_store_t*, const wasm_shared_module_t* shared) {
  return new wasm_module_t(shared->module);
}
void wasm_shared_module_delete(wasm_shared_module_t* m) { delete m; }

// --- instances -----------------------------------------------------------------------------------
wasm_instance_t* wasm_instance_new(wasm_store_t* s, const wasm_module_t* m, const wasm_extern_vec_t* imports,
                                   wasm_trap_t** trap) {
  if (trap) *trap = nullptr;
  const auto& wanted = m->module.impl()->module.imports;
  const size_t given = imports ? imports->size : 0;
  auto fail = [&](std::string why) -> wasm_instance_t* {
    if (trap) *trap = atl::capi::make_trap(std::move(why));
    return nullptr;
  };
  if (given != wanted.size()) {
    return fail("the module has " + std::to_string(wanted.size()) + " imports, " + std::to_string(given) + " given");
  }
  std::vector<atl::runtime::Extern> externs(given);
  std::vector<const atl::runtime::Extern*> pointers(given);
  for (size_t i = 0; i < given; ++i) {
    const wasm_extern_t* x = imports->data[i];
    if (!x) return fail("import " + std::to_string(i) + " (" + wanted[i].module + "." + wanted[i].name + ") is null");
    if (x->store != s) return fail("import " + std::to_string(i) + " belongs to another store");
    atl::runtime::Extern& e = externs[i];
    switch (x->ref_kind) {
      case RefKind::Func:
        e.kind = atl::wasm::ExternKind::Func;
        e.func = static_cast<const wasm_func_t*>(x)->func.impl_;
        break;
      case RefKind::Global:
        e.kind = atl::wasm::ExternKind::Global;
        e.global = static_cast<const wasm_global_t*>(x)->global.impl_;
        break;
      case RefKind::Table:
        e.kind = atl::wasm::ExternKind::Table;
        e.table = static_cast<const wasm_table_t*>(x)->table.impl_;
        break;
      default:
        e.kind = atl::wasm::ExternKind::Memory;
        e.memory = static_cast<const wasm_memory_t*>(x)->memory.impl_;
        break;
    }
    if (e.kind != wanted[i].kind) {
      return fail("import " + std::to_string(i) + " (" + wanted[i].module + "." + wanted[i].name + ") wants a " +
                  atl::wasm::extern_kind_name(wanted[i].kind) + ", got a " + atl::wasm::extern_kind_name(e.kind));
    }
    pointers[i] = &e;
  }
  auto inst = atl::runtime::instantiate(s->store.impl(), m->module.impl(), pointers);
  if (!inst.ok()) {
    if (trap) *trap = atl::capi::make_trap(inst.error());
    return nullptr;
  }
  atl::Instance out;
  out.impl_ = std::move(inst.value());
  return new wasm_instance_t(s, std::move(out));
}

void wasm_instance_exports(const wasm_instance_t* i, wasm_extern_vec_t* out) {
  atl::runtime::Instance& inst = *i->instance.impl_;
  const auto& exports = inst.module->module.exports;
  wasm_extern_vec_new_uninitialized(out, exports.size());
  for (size_t k = 0; k < out->size; ++k) out->data[k] = atl::capi::extern_to_c(i->store, inst.export_extern(exports[k]));
}

}  // extern "C"

bool wasm_module_t::same(const wasm_ref_t& other) const {
  return other.ref_kind == ref_kind && static_cast<const wasm_module_t&>(other).module.impl() == module.impl();
}
bool wasm_instance_t::same(const wasm_ref_t& other) const {
  return other.ref_kind == ref_kind && static_cast<const wasm_instance_t&>(other).instance.impl_ == instance.impl_;
}
