// The objects behind wasm.h's opaque types, shared by the C API's translation units. The C API
// is a layer over the C++ API (include/atoll/atoll.h) plus the runtime's object model where the
// C++ API keeps references opaque (function references in tables, globals and values).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "atoll/atoll.h"
#include "atoll/wasi.h"
#include "runtime/objects.h"
#include "atoll_c.h"
#include "wasm.h"

// --- types ---------------------------------------------------------------------------------------
struct wasm_valtype_t {
  wasm_valkind_t kind;
};

// The four extern types derive from it, so the as_externtype casts are pointer conversions.
struct wasm_externtype_t {
  explicit wasm_externtype_t(wasm_externkind_t k) : kind(k) {}
  virtual ~wasm_externtype_t() = default;
  wasm_externkind_t kind;
};

struct wasm_functype_t : wasm_externtype_t {
  wasm_functype_t() : wasm_externtype_t(WASM_EXTERN_FUNC) {}
  ~wasm_functype_t() override;
  wasm_valtype_vec_t params{0, nullptr};
  wasm_valtype_vec_t results{0, nullptr};
};

struct wasm_globaltype_t : wasm_externtype_t {
  wasm_globaltype_t() : wasm_externtype_t(WASM_EXTERN_GLOBAL) {}
  ~wasm_globaltype_t() override { delete content; }
  wasm_valtype_t* content = nullptr;
  wasm_mutability_t mutability = WASM_CONST;
};

struct wasm_tabletype_t : wasm_externtype_t {
  wasm_tabletype_t() : wasm_externtype_t(WASM_EXTERN_TABLE) {}
  ~wasm_tabletype_t() override { delete element; }
  wasm_valtype_t* element = nullptr;
  wasm_limits_t limits{0, wasm_limits_max_default};
};

struct wasm_memorytype_t : wasm_externtype_t {
  wasm_memorytype_t() : wasm_externtype_t(WASM_EXTERN_MEMORY) {}
  wasm_limits_t limits{0, wasm_limits_max_default};
};

struct wasm_importtype_t {
  ~wasm_importtype_t();
  wasm_name_t module{0, nullptr};
  wasm_name_t name{0, nullptr};
  wasm_externtype_t* type = nullptr;
};

struct wasm_exporttype_t {
  ~wasm_exporttype_t();
  wasm_name_t name{0, nullptr};
  wasm_externtype_t* type = nullptr;
};

// --- environment -----------------------------------------------------------------------------------
struct wasm_config_t {
  atl::Config config;
};

struct wasm_engine_t {
  atl::Engine engine;
};

struct wasm_store_t {
  explicit wasm_store_t(const atl::Engine& e) : engine(e), store(engine) {}
  atl::Engine engine;
  atl::Store store;
  // References handed to guest code live as long as the store (wasm code may keep them in
  // tables and globals, and nothing tells the host when it drops them): the functions whose
  // abi::FuncRef a table or global points at, and the host objects behind externref values.
  std::vector<std::shared_ptr<atl::runtime::FunctionObject>> pinned_funcs;
  std::vector<std::unique_ptr<wasm_ref_t, void (*)(wasm_ref_t*)>> pinned_refs;
  std::shared_ptr<atl::wasi::Context> wasi;  // atoll_wasi_instance_new
};

// --- references ------------------------------------------------------------------------------------
namespace atl::capi {

// Host info belongs to an object, not to one handle of it: copies share it, and the finalizer
// runs when the last handle goes.
struct HostInfo {
  ~HostInfo() {
    if (finalizer) finalizer(info);
  }
  void* info = nullptr;
  void (*finalizer)(void*) = nullptr;
};

enum class RefKind : uint8_t { Foreign, Func, Global, Table, Memory, Instance, Trap, Module, Exn };

}  // namespace atl::capi

struct wasm_ref_t {
  explicit wasm_ref_t(atl::capi::RefKind k) : ref_kind(k) {}
  virtual ~wasm_ref_t() = default;
  virtual wasm_ref_t* clone() const = 0;
  // Whether both handles name the same object.
  virtual bool same(const wasm_ref_t& other) const { return info == other.info; }
  atl::capi::RefKind ref_kind;
  std::shared_ptr<atl::capi::HostInfo> info = std::make_shared<atl::capi::HostInfo>();
};

struct wasm_foreign_t : wasm_ref_t {
  wasm_foreign_t() : wasm_ref_t(atl::capi::RefKind::Foreign) {}
  wasm_ref_t* clone() const override { return new wasm_foreign_t(*this); }
};

// An exception a guest caught as an exnref (ATOLL_EXNREF values): which store, which exception.
struct atoll_exn_t : wasm_ref_t {
  atoll_exn_t(const wasm_store_t* s, uint64_t b) : wasm_ref_t(atl::capi::RefKind::Exn), store(s), bits(b) {}
  wasm_ref_t* clone() const override { return new atoll_exn_t(*this); }
  bool same(const wasm_ref_t& other) const override {
    return other.ref_kind == atl::capi::RefKind::Exn && static_cast<const atoll_exn_t&>(other).bits == bits;
  }
  const wasm_store_t* store;
  uint64_t bits;
};

struct wasm_frame_t {
  uint32_t func_index = 0;
  size_t func_offset = 0;
  size_t module_offset = 0;
};

struct wasm_trap_t : wasm_ref_t {
  wasm_trap_t() : wasm_ref_t(atl::capi::RefKind::Trap) {}
  wasm_ref_t* clone() const override { return new wasm_trap_t(*this); }
  std::string message;
  std::vector<wasm_frame_t> frames;
  uint32_t code = 0;  // atl::TrapCode; 0 for a trap the host made
};

struct wasm_extern_t : wasm_ref_t {
  explicit wasm_extern_t(atl::capi::RefKind k, wasm_store_t* s) : wasm_ref_t(k), store(s) {}
  wasm_store_t* store;
  wasm_externkind_t extern_kind() const;
};

struct wasm_func_t : wasm_extern_t {
  wasm_func_t(wasm_store_t* s, atl::Func f) : wasm_extern_t(atl::capi::RefKind::Func, s), func(std::move(f)) {}
  wasm_ref_t* clone() const override { return new wasm_func_t(*this); }
  bool same(const wasm_ref_t& other) const override;
  atl::Func func;
};

struct wasm_global_t : wasm_extern_t {
  wasm_global_t(wasm_store_t* s, atl::Global g) : wasm_extern_t(atl::capi::RefKind::Global, s), global(std::move(g)) {}
  wasm_ref_t* clone() const override { return new wasm_global_t(*this); }
  bool same(const wasm_ref_t& other) const override;
  atl::Global global;
};

struct wasm_table_t : wasm_extern_t {
  wasm_table_t(wasm_store_t* s, atl::Table t) : wasm_extern_t(atl::capi::RefKind::Table, s), table(std::move(t)) {}
  wasm_ref_t* clone() const override { return new wasm_table_t(*this); }
  bool same(const wasm_ref_t& other) const override;
  atl::Table table;
};

struct wasm_memory_t : wasm_extern_t {
  wasm_memory_t(wasm_store_t* s, atl::Memory m) : wasm_extern_t(atl::capi::RefKind::Memory, s), memory(std::move(m)) {}
  wasm_ref_t* clone() const override { return new wasm_memory_t(*this); }
  bool same(const wasm_ref_t& other) const override;
  atl::Memory memory;
};

struct wasm_instance_t : wasm_ref_t {
  wasm_instance_t(wasm_store_t* s, atl::Instance i) : wasm_ref_t(atl::capi::RefKind::Instance), store(s), instance(std::move(i)) {}
  wasm_ref_t* clone() const override { return new wasm_instance_t(*this); }
  bool same(const wasm_ref_t& other) const override;
  wasm_store_t* store;
  atl::Instance instance;
};

struct wasm_module_t : wasm_ref_t {
  explicit wasm_module_t(atl::Module m) : wasm_ref_t(atl::capi::RefKind::Module), module(std::move(m)) {}
  wasm_ref_t* clone() const override { return new wasm_module_t(*this); }
  bool same(const wasm_ref_t& other) const override;
  atl::Module module;
};

struct wasm_shared_module_t {
  atl::Module module;
};

// --- helpers shared by the translation units -------------------------------------------------------
namespace atl::capi {

wasm_valkind_t to_c(ValType t);
// False for a kind atoll has no ValType for.
bool from_c(wasm_valkind_t k, ValType& out);
wasm_externtype_t* to_c(const ExternType& t);
wasm_limits_t to_c(const Limits& l);
Limits from_c(const wasm_limits_t& l);
wasm_functype_t* to_c(const FuncType& t);
bool from_c(const wasm_functype_t& t, FuncType& out);

// An error of the runtime as a trap object (message, frames).
wasm_trap_t* make_trap(const Error& e);
wasm_trap_t* make_trap(std::string message);

// Values: a reference crosses as a pointer to something the store keeps alive (see wasm_store_t).
bool to_atl(wasm_store_t* store, const wasm_val_t& v, Val& out, std::string& why);
void to_c(wasm_store_t* store, const Val& v, wasm_val_t& out);
// The reference a table element or global holds, as a new handle (null for a null reference).
wasm_ref_t* ref_to_c(wasm_store_t* store, ValType type, uint64_t bits);
// A reference as the bits a table element or global holds; false (with the reason) when it
// cannot be one.
bool ref_to_bits(wasm_store_t* store, ValType type, const wasm_ref_t* ref, uint64_t& bits, std::string& why);

wasm_extern_t* extern_to_c(wasm_store_t* store, runtime::Extern x);

}  // namespace atl::capi
