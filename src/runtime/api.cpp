// The public embedding API (include/atoll/atoll.h) over the runtime's object model.
#include <algorithm>
#include <cstring>
#include <map>

#include "atoll/atoll.h"
#include "artifact/artifact.h"
#include "wasm/decoder.h"
#include "runtime/async.h"
#include "runtime/engine_state.h"
#include "runtime/pool.h"
#include "runtime/gdb_jit.h"
#include "runtime/profile.h"
#include "runtime/objects.h"
#include "support/process.h"

namespace atl {

namespace {

ValType from_wasm(wasm::ValType t) {
  switch (t) {
    case wasm::ValType::I32: return ValType::I32;
    case wasm::ValType::I64: return ValType::I64;
    case wasm::ValType::F32: return ValType::F32;
    case wasm::ValType::F64: return ValType::F64;
    case wasm::ValType::V128: return ValType::V128;
    default:
      // Typed references (3.0) are seen by the host as the funcref, externref or exnref they refine.
      if (wasm::is_func_ref(t)) return ValType::FuncRef;
      if (wasm::heap::top(wasm::heap_type(t)) == wasm::heap::Exn) return ValType::ExnRef;
      return ValType::ExternRef;
  }
}

wasm::ValType to_wasm(ValType t) {
  switch (t) {
    case ValType::I32: return wasm::ValType::I32;
    case ValType::I64: return wasm::ValType::I64;
    case ValType::F32: return wasm::ValType::F32;
    case ValType::F64: return wasm::ValType::F64;
    case ValType::V128: return wasm::ValType::V128;
    case ValType::FuncRef: return wasm::ValType::FuncRef;
    case ValType::ExternRef: return wasm::ValType::ExternRef;
    case ValType::ExnRef: return wasm::make_ref(wasm::heap::Exn, true);
  }
  return wasm::ValType::I32;
}

FuncType from_wasm(const wasm::FuncType& t) {
  FuncType out;
  for (auto p : t.params) out.params.push_back(from_wasm(p));
  for (auto r : t.results) out.results.push_back(from_wasm(r));
  return out;
}

wasm::FuncType to_wasm(const FuncType& t) {
  wasm::FuncType out;
  for (auto p : t.params) out.params.push_back(to_wasm(p));
  for (auto r : t.results) out.results.push_back(to_wasm(r));
  return out;
}

ExternKind from_wasm(wasm::ExternKind k) { return static_cast<ExternKind>(k); }

Error usage(const std::string& what) { return make_error(ErrorKind::Usage, what); }

Result<void> check_range(const runtime::LinearMemory& m, uint64_t offset, uint64_t len) {
  if (offset > m.size_bytes() || len > m.size_bytes() - offset) {
    return make_error(ErrorKind::Usage, "memory access [" + std::to_string(offset) + ", +" +
                                            std::to_string(len) + ") is outside the memory of " +
                                            std::to_string(m.size_bytes()) + " bytes");
  }
  return {};
}

}  // namespace

const char* to_string(ValType t) { return t == ValType::ExnRef ? "exnref" : wasm::basic_valtype_name(to_wasm(t)); }
const char* to_string(ExternKind k) { return wasm::extern_kind_name(static_cast<wasm::ExternKind>(k)); }
std::string FuncType::to_string() const { return wasm::functype_to_string(to_wasm(*this)); }

std::string Val::to_string() const {
  char buf[64];
  switch (type) {
    case ValType::I32: std::snprintf(buf, sizeof buf, "%d", i32()); break;
    case ValType::I64: std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(i64())); break;
    case ValType::F32: std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(f32())); break;
    case ValType::F64: std::snprintf(buf, sizeof buf, "%.17g", f64()); break;
    case ValType::V128:
      std::snprintf(buf, sizeof buf, "0x%016llx%016llx", static_cast<unsigned long long>(bits[1]),
                    static_cast<unsigned long long>(bits[0]));
      break;
    default: std::snprintf(buf, sizeof buf, "%s", bits[0] ? "<ref>" : "null"); break;
  }
  return buf;
}

// --- Module ---------------------------------------------------------------------------------------
Result<Module> Module::from_artifact(const Engine& engine, std::vector<uint8_t> bytes, const ArtifactOptions& options) {
  auto loaded = runtime::load_module(std::move(bytes), options.shared_code_file);
  if (!loaded.ok()) return loaded.take_error();
  const bool explicit_checks = (*loaded)->bounds() == runtime::BoundsMode::Explicit;
  if (explicit_checks != (engine.config().bounds == BoundsChecks::Explicit)) {
    return make_error(ErrorKind::Usage, std::string("artifact was compiled for ") +
                                            (explicit_checks ? "explicit bounds checks" : "guard pages") +
                                            ", but the engine is configured for " +
                                            (explicit_checks ? "guard pages" : "explicit bounds checks"));
  }
  const uint32_t inst = (*loaded)->meta.instrumentation;
  if (engine.config().epoch_interruption && !(inst & artifact::kEpochChecks)) {
    return make_error(ErrorKind::Usage, "artifact was compiled without epoch checks, but the engine wants epoch interruption");
  }
  if (engine.config().consume_fuel && !(inst & artifact::kFuelMetering)) {
    return make_error(ErrorKind::Usage, "artifact was compiled without fuel metering, but the engine wants to consume fuel");
  }
  runtime::announce_code(**loaded, engine.config().profiler);
  if (engine.config().debug_info) (*loaded)->debugger = runtime::register_with_debugger(**loaded);
  Module m;
  m.impl_ = std::move(loaded.value());
  return m;
}

Result<ArtifactInfo> read_artifact_info(std::span<const uint8_t> bytes) {
  auto view = artifact::open(bytes, ~uint64_t{0});  // every feature: report, don't refuse
  if (!view.ok()) return view.take_error();
  const artifact::MetaHeader& h = view->meta;
  ArtifactInfo info;
  info.format_version = h.version;
  info.bounds = h.bounds_mode == static_cast<uint32_t>(runtime::BoundsMode::Explicit) ? BoundsChecks::Explicit
                                                                                      : BoundsChecks::GuardPages;
  info.epoch_interruption = (h.instrumentation & artifact::kEpochChecks) != 0;
  info.consume_fuel = (h.instrumentation & artifact::kFuelMetering) != 0;
  info.target_cpu.assign(h.target_cpu, strnlen(h.target_cpu, sizeof h.target_cpu));
  info.compiler.assign(h.fingerprint, strnlen(h.fingerprint, sizeof h.fingerprint));
  info.cpu_features = artifact::feature_names(h.cpu_features);
  info.runs_here = (h.cpu_features & ~artifact::host_cpu_features()) == 0;
  info.file_size = h.file_size;
  constexpr uint64_t kExecutable = 0x4;  // SHF_EXECINSTR
  for (const artifact::ElfSection& sec : view->elf.sections()) {
    if (sec.flags & kExecutable) info.code_size += sec.size;
  }
  info.imported_functions = view->module.num_imported_funcs;
  info.defined_functions = view->module.num_funcs() - view->module.num_imported_funcs;
  return info;
}

Result<void> Module::validate(const Engine& engine, std::span<const uint8_t> wasm) {
  auto m = wasm::decode_and_validate(wasm, engine.config().features);
  if (!m.ok()) return m.take_error();
  return {};
}

Result<Module> Module::from_file(const Engine& engine, const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes.ok()) return bytes.take_error();
  auto m = from_artifact(engine, std::move(bytes.value()));
  if (!m.ok()) {
    Error e = m.take_error();
    e.message = path + ": " + e.message;
    return e;
  }
  return m;
}

namespace {

Limits from_wasm(const wasm::Limits& l) { return Limits{l.min, l.max}; }

// The type of entity `index` of `kind` in the module's index spaces (imports first).
ExternType extern_type(const wasm::Module& m, wasm::ExternKind kind, uint32_t index) {
  ExternType t;
  t.kind = from_wasm(kind);
  switch (kind) {
    case wasm::ExternKind::Func: t.func = from_wasm(m.func_type(index)); break;
    case wasm::ExternKind::Table:
      t.table = TableType{from_wasm(m.tables[index].elem), from_wasm(m.tables[index].limits), m.tables[index].is64};
      break;
    case wasm::ExternKind::Memory: t.memory = MemoryType{from_wasm(m.memories[index].limits), m.memories[index].is64}; break;
    case wasm::ExternKind::Global:
      t.global = GlobalType{from_wasm(m.globals[index].type), m.globals[index].is_mutable};
      break;
    case wasm::ExternKind::Tag: t.func = from_wasm(m.types[m.tags[index]]); break;  // the payload's type
  }
  return t;
}

std::vector<ExportType> export_types(const wasm::Module& m) {
  std::vector<ExportType> out;
  for (const wasm::Export& e : m.exports) out.push_back({e.name, from_wasm(e.kind), extern_type(m, e.kind, e.index)});
  return out;
}

std::string limits_string(const Limits& l) {
  return std::to_string(l.min) + (l.max ? ".." + std::to_string(*l.max) : "..");
}

}  // namespace

std::string ExternType::to_string() const {
  switch (kind) {
    case ExternKind::Func: return "func " + func.to_string();
    case ExternKind::Table:
      return std::string("table ") + (table.is64 ? "i64 " : "") + atl::to_string(table.element) + " " + limits_string(table.limits);
    case ExternKind::Memory: return std::string("memory ") + (memory.is64 ? "i64 " : "") + limits_string(memory.limits);
    case ExternKind::Global: return std::string("global ") + (global.is_mutable ? "mut " : "") + atl::to_string(global.type);
    case ExternKind::Tag: return "tag " + func.to_string();
  }
  return "?";
}

std::vector<ImportType> Module::imports() const {
  const wasm::Module& m = impl_->module;
  std::vector<ImportType> out;
  uint32_t next[4] = {0, 0, 0, 0};  // imports come first in each index space, in order
  for (const wasm::Import& i : m.imports) {
    const uint32_t index = next[static_cast<int>(i.kind)]++;
    out.push_back({i.module, i.name, from_wasm(i.kind), extern_type(m, i.kind, index)});
  }
  return out;
}

std::vector<ExportType> Module::exports() const { return export_types(impl_->module); }

const std::vector<uint8_t>& Module::artifact() const { return impl_->artifact; }

// --- Engine ---------------------------------------------------------------------------------------
namespace runtime {
EngineState::EngineState(const Config& c)
    : config(c), fiber_stacks(c.max_wasm_stack, c.host_stack_reserve, c.fiber_stack_cache) {
  if (c.memory_pool_slots == 0) return;
  MemoryPool::Options o;
  o.slots = c.memory_pool_slots;
  o.guard_pages = c.bounds == BoundsChecks::GuardPages;
  o.stride = o.guard_pages ? (uint64_t{8} << 30) : uint64_t{c.max_memory_pages} << 16;
  o.keep_resident = c.memory_pool_keep_resident;
  auto pool = MemoryPool::create(o);
  if (pool.ok()) {
    memory_pool = std::move(pool.value());
  } else {
    memory_pool_error = pool.error().message;  // reported by every instantiation
  }
}
}  // namespace runtime

Engine::Engine(Config config)
    : config_(std::move(config)), state_(make_sharded<runtime::EngineState>(config_)) {}
void Engine::increment_epoch() { state_->epoch.fetch_add(1, std::memory_order_relaxed); }
uint64_t Engine::epoch() const { return state_->epoch.load(std::memory_order_relaxed); }
void Engine::prewarm_fiber_stacks(uint32_t count, size_t touch_bytes) const {
  state_->fiber_stacks.prewarm(count, touch_bytes);
}
size_t Engine::trim_fiber_stacks(size_t max_stacks) const { return state_->fiber_stacks.trim(max_stacks); }

// --- Store ----------------------------------------------------------------------------------------
// The engine's per-table cap (Config::pool_table_elements) bounds whatever the store allows.
static void apply_pool_caps(runtime::StoreData& s) {
  if (const uint32_t cap = s.engine->config.pool_table_elements) {
    s.resource_limits.max_table_elements = std::min(s.resource_limits.max_table_elements, cap);
  }
}

Store::Store(const Engine& engine) : impl_(std::make_unique<runtime::StoreData>()) {
  static_assert(sizeof(std::atomic<uint64_t>) == sizeof(uint64_t) && std::atomic<uint64_t>::is_always_lock_free);
  impl_->engine = SharedRef<runtime::EngineState>(engine.state());
  // Generated code reads the counter with an atomic 64-bit load.
  impl_->limits.epoch = reinterpret_cast<const uint64_t*>(&impl_->engine->epoch);
  impl_->max_wasm_stack = engine.config().max_wasm_stack;
  impl_->host_stack_reserve = engine.config().host_stack_reserve;
  impl_->max_memory_pages = engine.config().max_memory_pages;
  apply_pool_caps(*impl_);
}
Store::~Store() = default;

void Store::set_epoch_deadline(uint64_t ticks) {
  const uint64_t now = impl_->engine->epoch.load(std::memory_order_relaxed);
  impl_->limits.epoch_deadline = ticks > UINT64_MAX - now ? UINT64_MAX : now + ticks;
}
void Store::set_epoch_yield(uint64_t ticks) { impl_->epoch_yield_ticks = ticks; }
void Store::set_epoch_deadline_callback(std::function<uint64_t()> callback) {
  impl_->epoch_callback = std::move(callback);
}
std::vector<Error::Frame> Store::wasm_frames() const {
  std::vector<Error::Frame> frames;
  if (impl_->epoch_pc != 0) runtime::wasm_backtrace(impl_->epoch_pc, impl_->epoch_fp, frames);
  return frames;
}

void Store::set_limits(Limits limits) {
  runtime::StoreLimits& l = impl_->resource_limits;
  l.max_memory_bytes = limits.max_memory_bytes;
  l.max_table_elements = limits.max_table_elements;
  l.max_store_table_elements = limits.max_store_table_elements;
  l.max_instances = limits.max_instances;
  l.memory_growing = std::move(limits.memory_growing);
  l.table_growing = std::move(limits.table_growing);
  apply_pool_caps(*impl_);
}

void Store::set_host_state(const void* key, std::shared_ptr<void> state) {
  for (auto& [k, v] : impl_->host_state) {
    if (k == key) {
      v = std::move(state);
      return;
    }
  }
  impl_->host_state.emplace_back(key, std::move(state));
}
void* Store::host_state(const void* key) const { return impl_->find_host_state(key); }

void* Caller::host_state(const void* key) const {
  return instance_ ? instance_->store->find_host_state(key) : nullptr;
}

void Store::set_fuel(uint64_t fuel) { impl_->limits.fuel = fuel > INT64_MAX ? INT64_MAX : static_cast<int64_t>(fuel); }
uint64_t Store::fuel() const { return impl_->limits.fuel < 0 ? 0 : static_cast<uint64_t>(impl_->limits.fuel); }

// --- Memory, Global, Table ------------------------------------------------------------------------
namespace {

Result<void> check_limits(const Limits& l, uint64_t ceiling, const char* what) {
  if (l.max && *l.max < l.min) return usage(std::string(what) + " maximum is below its minimum");
  if (l.min > ceiling || (l.max && *l.max > ceiling)) {
    return usage(std::string(what) + " limits exceed " + std::to_string(ceiling));
  }
  return {};
}

wasm::Limits to_wasm(const Limits& l) { return wasm::Limits{l.min, l.max}; }

}  // namespace

Result<Memory> Memory::create(Store& store, const MemoryType& type) {
  if (auto ok = check_limits(type.limits, type.is64 ? wasm::kMaxPages64 : wasm::kMaxPages, "memory"); !ok.ok()) {
    return ok.take_error();
  }
  runtime::StoreData& s = store.impl();
  const auto mode = s.engine->config.bounds == BoundsChecks::Explicit ? runtime::BoundsMode::Explicit
                                                                       : runtime::BoundsMode::GuardPages;
  auto mem = runtime::LinearMemory::create(wasm::MemoryType{to_wasm(type.limits), type.is64}, mode, s.max_memory_pages);
  if (!mem.ok()) return mem.take_error();
  (*mem)->set_owner(&s);
  s.created_memories.push_back(mem->get());
  s.host_memories.push_back(mem.value());
  return Memory{std::move(mem.value())};
}

MemoryType Memory::type() const {
  const wasm::Limits& l = impl_->type().limits;
  return MemoryType{Limits{l.min, l.max}, impl_->type().is64};
}

uint64_t Memory::size() const { return impl_->size_bytes(); }
uint32_t Memory::pages() const { return impl_->pages(); }
int64_t Memory::grow(uint64_t delta) { return impl_->grow(delta); }

Result<void> Memory::read(uint64_t offset, std::span<uint8_t> out) const {
  auto ok = check_range(*impl_, offset, out.size());
  if (!ok.ok()) return ok;
  if (!out.empty()) std::memcpy(out.data(), impl_->base() + offset, out.size());
  return {};
}

Result<void> Memory::write(uint64_t offset, std::span<const uint8_t> in) {
  auto ok = check_range(*impl_, offset, in.size());
  if (!ok.ok()) return ok;
  impl_->mark_written();
  if (!in.empty()) std::memcpy(impl_->base() + offset, in.data(), in.size());
  return {};
}

Result<std::string> Memory::read_string(uint64_t offset, uint64_t length) const {
  auto ok = check_range(*impl_, offset, length);
  if (!ok.ok()) return ok.take_error();
  return std::string(reinterpret_cast<const char*>(impl_->base() + offset), length);
}

Result<std::span<uint8_t>> Memory::span(uint64_t offset, uint64_t length) const {
  auto ok = check_range(*impl_, offset, length);
  if (!ok.ok()) return ok.take_error();
  impl_->mark_written();  // the span is writable
  return std::span<uint8_t>(impl_->base() + offset, length);
}

Result<Global> Global::create(Store&, const GlobalType& type, const Val& init) {
  if (init.type != type.type) return usage(std::string("a global of type ") + to_string(type.type) + " cannot start as " + to_string(init.type));
  if ((type.type == ValType::FuncRef || type.type == ValType::ExnRef) && (init.bits[0] | init.bits[1])) {
    return usage(std::string("a ") + to_string(type.type) + " global made by the host must start null");
  }
  auto g = std::make_shared<runtime::GlobalObject>();
  g->type = wasm::GlobalType{to_wasm(type.type), type.is_mutable};
  std::memcpy(g->cell, init.bits, 16);
  return Global{std::move(g)};
}

ValType Global::type() const { return from_wasm(impl_->type.type); }
bool Global::is_mutable() const { return impl_->type.is_mutable; }
Val Global::get() const {
  Val v;
  v.type = type();
  std::memcpy(v.bits, impl_->cell, 16);
  return v;
}
Result<void> Global::set(const Val& v) {
  if (!impl_->type.is_mutable) return usage("global is immutable");
  // Code trusts a typed reference's type (call_ref does not check it): the host, whose Val
  // carries only funcref or externref, may not store one there.
  const wasm::ValType t = impl_->type.type;
  if (wasm::is_ref(t) && t != wasm::ValType::FuncRef && t != wasm::ValType::ExternRef) {
    return usage("a global of type " + wasm::valtype_name(t) + " cannot be set by the host");
  }
  if (v.type != type()) return usage(std::string("global has type ") + to_string(type()));
  std::memcpy(impl_->cell, v.bits, 16);
  return {};
}

Result<Table> Table::create(Store& store, const TableType& type) {
  if (type.element != ValType::FuncRef && type.element != ValType::ExternRef) return usage("a table holds funcref or externref");
  if (auto ok = check_limits(type.limits, UINT32_MAX, "table"); !ok.ok()) return ok.take_error();
  runtime::StoreData& s = store.impl();
  const runtime::StoreLimits& limits = s.resource_limits;
  if (type.limits.min > limits.max_table_elements || s.table_elements + type.limits.min > limits.max_store_table_elements) {
    return usage("table of " + std::to_string(type.limits.min) + " elements exceeds the store's limits");
  }
  auto t = std::make_shared<runtime::TableObject>();
  t->type = wasm::TableType{to_wasm(type.element), to_wasm(type.limits), type.is64};
  try {
    t->elements.assign(type.limits.min, nullptr);
  } catch (const std::bad_alloc&) {
    return make_error(ErrorKind::Other, "out of memory for a table of " + std::to_string(type.limits.min) + " elements");
  }
  t->sync();
  s.table_elements += type.limits.min;
  return Table{std::move(t), &s};
}

TableType Table::type() const {
  return TableType{from_wasm(impl_->type.elem), Limits{impl_->type.limits.min, impl_->type.limits.max}, impl_->type.is64};
}
uint32_t Table::size() const { return static_cast<uint32_t>(impl_->elements.size()); }

Result<Val> Table::get(uint32_t index) const {
  if (index >= impl_->elements.size()) return usage("table index " + std::to_string(index) + " is out of bounds");
  Val v;
  v.type = from_wasm(impl_->type.elem);
  v.bits[0] = reinterpret_cast<uintptr_t>(impl_->elements[index]);
  return v;
}

Result<void> Table::set_null(uint32_t index) {
  if (!wasm::is_nullable(impl_->type.elem)) return usage("the table's elements cannot be null");
  if (index >= impl_->elements.size()) return usage("table index " + std::to_string(index) + " is out of bounds");
  impl_->elements[index] = nullptr;
  return {};
}

// As table.grow does (builtins.cpp): the table's maximum and the store's limits.
int64_t Table::grow(uint32_t delta) {
  runtime::TableObject& t = *impl_;
  if (delta && !wasm::is_nullable(t.type.elem)) return -1;  // new elements would be null
  const uint64_t old = t.elements.size();
  if (old + delta > t.max()) return -1;
  if (store_) {
    const runtime::StoreLimits& limits = store_->resource_limits;
    if (old + delta > limits.max_table_elements || store_->table_elements + delta > limits.max_store_table_elements) return -1;
    if (delta && limits.table_growing &&
        !limits.table_growing(static_cast<uint32_t>(old), static_cast<uint32_t>(old + delta))) {
      return -1;
    }
  }
  try {
    t.elements.resize(old + delta, nullptr);
  } catch (const std::bad_alloc&) {
    return -1;
  }
  if (store_) store_->table_elements += delta;
  t.sync();
  return static_cast<int64_t>(old);
}

// --- Func -----------------------------------------------------------------------------------------
Result<void> detail::call_slots(runtime::StoreData* store, const runtime::FunctionObject& f, uint64_t* slots) {
  return runtime::invoke(*store, f, slots);
}

Result<void> detail::check_signature(const runtime::FunctionObject& f, const FuncType& want) {
  const FuncType have = from_wasm(f.type);
  if (have != want) return usage("function has type " + have.to_string() + ", not " + want.to_string());
  return {};
}

FuncType Func::type() const { return from_wasm(impl_->type); }

// Checks the arguments against the signature and lays them out in 16-byte slots. An exnref must
// be one of this store's live exceptions: code trusts it (throw_ref rethrows it as it is).
static Result<std::vector<uint64_t>> argument_slots(const runtime::StoreData& store, const wasm::FuncType& t,
                                                   std::span<const Val> args) {
  if (args.size() != t.params.size()) {
    return usage("expected " + std::to_string(t.params.size()) + " arguments, got " + std::to_string(args.size()));
  }
  std::vector<uint64_t> slots(2 * std::max<size_t>({t.params.size(), t.results.size(), 1}), 0);
  for (size_t i = 0; i < args.size(); ++i) {
    if (to_wasm(args[i].type) != t.params[i]) {
      return usage("argument " + std::to_string(i) + " should be " + wasm::valtype_name(t.params[i]));
    }
    if (args[i].type == ValType::ExnRef && args[i].bits[0] != 0) {
      if (!store.is_live_exception(reinterpret_cast<const abi::Exception*>(args[i].bits[0]))) {
        return usage("argument " + std::to_string(i) + " is an exnref that is not a live exception of this store");
      }
    }
    slots[2 * i] = args[i].bits[0];
    slots[2 * i + 1] = args[i].bits[1];
  }
  return slots;
}

Result<std::vector<Val>> Func::call(std::span<const Val> args) const {
  const wasm::FuncType& t = impl_->type;
  auto marshalled = argument_slots(*store_, t, args);
  if (!marshalled.ok()) return marshalled.take_error();
  std::vector<uint64_t>& slots = *marshalled;
  Result<void> r = runtime::invoke(*store_, *impl_, slots.data());
  if (!r.ok()) return r.take_error();
  std::vector<Val> out(t.results.size());
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].type = from_wasm(t.results[i]);
    out[i].bits[0] = slots[2 * i];
    out[i].bits[1] = slots[2 * i + 1];
    if (out[i].type == ValType::I32 || out[i].type == ValType::F32) out[i].bits[0] &= 0xffffffffu;
    if (out[i].type != ValType::V128) out[i].bits[1] = 0;
  }
  return out;
}

Result<AsyncCall> Func::call_async(std::span<const Val> args) const {
  const wasm::FuncType& t = impl_->type;
  auto slots = argument_slots(*store_, t, args);
  if (!slots.ok()) return slots.take_error();
  auto state = runtime::start_async(*store_, impl_, std::move(slots.value()));
  if (!state.ok()) return state.take_error();
  AsyncCall call;
  call.impl_ = std::move(state.value());
  for (auto r : t.results) call.result_types_.push_back(from_wasm(r));
  return call;
}

Result<AsyncCall::State> AsyncCall::resume() {
  if (impl_->fiber->finished()) return usage("the call has already finished");
  impl_->started = true;
  if (!impl_->resume()) return State::Suspended;
  if (!impl_->result.ok()) return impl_->result.take_error();
  results_.clear();
  for (size_t i = 0; i < result_types_.size(); ++i) {
    Val v;
    v.type = result_types_[i];
    v.bits[0] = impl_->slots[2 * i];
    v.bits[1] = v.type == ValType::V128 ? impl_->slots[2 * i + 1] : 0;
    if (v.type == ValType::I32 || v.type == ValType::F32) v.bits[0] &= 0xffffffffu;
    results_.push_back(v);
  }
  return State::Finished;
}

uint64_t AsyncCall::suspended_value() const { return impl_->suspended_value; }
const std::vector<Val>& AsyncCall::results() const { return results_; }

Result<void> Caller::suspend(uint64_t value) { return runtime::suspend_current(value); }

// --- Instance -------------------------------------------------------------------------------------
static Result<runtime::Extern> find_export(const runtime::Instance& inst, const std::string& name,
                                          wasm::ExternKind kind) {
  const wasm::Export* e = inst.find_export(name);
  if (!e) return usage("no export named \"" + name + "\"");
  if (e->kind != kind) {
    return usage("export \"" + name + "\" is a " + wasm::extern_kind_name(e->kind) + ", not a " +
                 wasm::extern_kind_name(kind));
  }
  return const_cast<runtime::Instance&>(inst).export_extern(*e);
}

Result<Func> Instance::func(const std::string& name) const {
  auto x = find_export(*impl_, name, wasm::ExternKind::Func);
  if (!x.ok()) return x.take_error();
  Func f;
  f.impl_ = x->func;
  f.store_ = impl_->store;
  return f;
}

Result<Memory> Instance::memory(const std::string& name) const {
  auto x = find_export(*impl_, name, wasm::ExternKind::Memory);
  if (!x.ok()) return x.take_error();
  return Memory{x->memory};
}

Result<Table> Instance::table(const std::string& name) const {
  auto x = find_export(*impl_, name, wasm::ExternKind::Table);
  if (!x.ok()) return x.take_error();
  return Table{x->table, impl_->store};
}

Result<Global> Instance::global(const std::string& name) const {
  auto x = find_export(*impl_, name, wasm::ExternKind::Global);
  if (!x.ok()) return x.take_error();
  return Global{x->global};
}

std::vector<ExportType> Instance::exports() const { return export_types(impl_->module->module); }

Result<Memory> Caller::memory(const std::string& name) const {
  if (!instance_) return usage("no calling instance (the host called this function directly)");
  auto x = find_export(*instance_, name, wasm::ExternKind::Memory);
  if (!x.ok()) return x.take_error();
  return Memory{x->memory};
}

// --- Linker ---------------------------------------------------------------------------------------
struct Linker::Definition {
  runtime::Extern value;
};

void Linker::add(const std::string& module, const std::string& name, runtime::Extern x) {
  defs_[module][name] = std::make_shared<Definition>(Definition{std::move(x)});  // the latest wins
}

void Linker::define_host(const std::string& module, const std::string& name, FuncType type, detail::RawHost fn) {
  auto host = runtime::make_host_function(
      to_wasm(type), [fn = std::move(fn)](runtime::Instance* caller, uint64_t* slots) -> Result<void> {
        Caller c;
        c.instance_ = caller;
        return fn(c, slots);
      });
  runtime::Extern x;
  x.kind = wasm::ExternKind::Func;
  x.func = runtime::host_function_object(std::move(host));
  add(module, name, std::move(x));
}

void Linker::define(const std::string& module, const std::string& name, const Func& f) {
  runtime::Extern x;
  x.kind = wasm::ExternKind::Func;
  x.func = f.impl_;
  add(module, name, std::move(x));
}

void Linker::define(const std::string& module, const std::string& name, const Table& t) {
  runtime::Extern x;
  x.kind = wasm::ExternKind::Table;
  x.table = t.impl_;
  add(module, name, std::move(x));
}

void Linker::define(const std::string& module, const std::string& name, const Memory& m) {
  runtime::Extern x;
  x.kind = wasm::ExternKind::Memory;
  x.memory = m.impl_;
  add(module, name, std::move(x));
}

void Linker::define(const std::string& module, const std::string& name, const Global& g) {
  runtime::Extern x;
  x.kind = wasm::ExternKind::Global;
  x.global = g.impl_;
  add(module, name, std::move(x));
}

void Linker::define_instance(const std::string& module, const Instance& instance) {
  for (const wasm::Export& e : instance.impl_->module->module.exports) {
    add(module, e.name, instance.impl_->export_extern(e));
  }
}

Result<Instance> Linker::instantiate(const Module& module) {
  if (!store_) return usage("this Linker has no store: use instantiate(store, module)");
  return instantiate(*store_, module);
}

Result<Instance> Linker::instantiate(Store& store, const Module& module) const {
  std::vector<const runtime::Extern*> imports;
  imports.reserve(module.impl()->module.imports.size());
  for (const wasm::Import& imp : module.impl()->module.imports) {
    const Definition* found = nullptr;
    if (auto m = defs_.find(imp.module); m != defs_.end()) {
      if (auto d = m->second.find(imp.name); d != m->second.end()) found = d->second.get();
    }
    if (!found) {
      return make_error(ErrorKind::Link, "unknown import: " + imp.module + "." + imp.name + " (" +
                                             wasm::extern_kind_name(imp.kind) + ") is not defined");
    }
    imports.push_back(&found->value);
  }
  auto inst = runtime::instantiate(store.impl(), module.impl(), imports);
  if (!inst.ok()) return inst.take_error();
  Instance out;
  out.impl_ = std::move(inst.value());
  return out;
}

}  // namespace atl
