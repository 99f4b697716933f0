// Instantiation (linking, globals, tables, segments, start) in the spec's order of effects.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "runtime/engine_state.h"
#include "runtime/memory_image.h"
#include "runtime/objects.h"
#include "wasm/const_eval.h"
#include "wasm/subtyping.h"

namespace atl::runtime {
namespace {

Error link_error(const wasm::Import& imp, const std::string& why) {
  return make_error(ErrorKind::Link, "incompatible import type for " + imp.module + "." + imp.name + ": " + why);
}

bool limits_match(uint64_t actual_min, std::optional<uint64_t> actual_max, const wasm::Limits& wanted) {
  if (actual_min < wanted.min) return false;
  if (wanted.max) return actual_max && *actual_max <= *wanted.max;
  return true;
}

Error trap_error(abi::TrapCode code) {
  Error e = make_error(ErrorKind::Trap, abi::trap_message(code));
  e.trap_code = static_cast<uint32_t>(code);
  return e;
}

}  // namespace

StoreData::StoreData() {
  limits.epoch = &kNoEpoch;
  limits.epoch_deadline = UINT64_MAX;  // no deadline means never, not immediately
  limits.fuel = INT64_MAX;
}
StoreData::~StoreData() {
  // Before the instances (and with them, perhaps, the memories) go.
  for (LinearMemory* m : created_memories) m->owner_closed(ran_guest_code);
  for (abi::Exception* e : exceptions) std::free(e);
}

abi::Exception* StoreData::new_exception(const TagObject* tag, uint32_t count, const uint64_t* slots) {
  if (exceptions.size() >= kMaxLiveExceptions) return nullptr;
  auto* e = static_cast<abi::Exception*>(std::malloc(sizeof(abi::Exception) + count * abi::kSlotBytes));
  if (!e) return nullptr;
  e->tag = tag;
  e->count = count;
  e->holders = 0;
  e->pinned = 0;
  e->reserved = 0;
  if (count) std::memcpy(e->slots, slots, count * abi::kSlotBytes);
  try {
    exceptions.push_back(e);
  } catch (const std::bad_alloc&) {
    std::free(e);
    return nullptr;
  }
  return e;
}

// The one freed is nearly always the newest: searched from the end, swapped out.
void StoreData::free_if_unused(abi::Exception* e) {
  if (e == nullptr || e->pinned || e->holders != 0 || e == limits.exception) return;
  for (size_t i = exceptions.size(); i-- > 0;) {
    if (exceptions[i] != e) continue;
    exceptions[i] = exceptions.back();
    exceptions.pop_back();
    std::free(e);
    return;
  }
}

bool StoreData::is_live_exception(const abi::Exception* e) const {
  return std::find(exceptions.rbegin(), exceptions.rend(), e) != exceptions.rend();  // newest first
}

void StoreData::release_exception(abi::Exception* e) {
  if (e == nullptr) return;
  if (e->holders != 0) --e->holders;
  free_if_unused(e);
}

Result<void> StoreData::take_uncaught() {
  auto* e = static_cast<abi::Exception*>(limits.exception);
  if (!e) return {};
  limits.exception = nullptr;
  free_if_unused(e);
  return trap_error(abi::TrapCode::UncaughtException);
}

Instance::~Instance() {
  for (size_t i = 0; i < memories.size(); ++i) {
    if (i == 0) memories[0]->detach(&vmctx.memory);
    if (i < memory_views.size()) memories[i]->detach(&memory_views[i]);
  }
  if (pooled_instances) pooled_instances->fetch_sub(1, std::memory_order_relaxed);
  if (pooled_tables) pooled_tables->fetch_sub(defined_tables, std::memory_order_relaxed);
}

const wasm::Export* Instance::find_export(const std::string& name) const {
  for (const wasm::Export& e : module->module.exports) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

Extern Instance::export_extern(const wasm::Export& e) {
  Extern x;
  x.kind = e.kind;
  switch (e.kind) {
    case wasm::ExternKind::Func: {
      auto f = std::make_shared<FunctionObject>();
      const uint32_t type_index = module->module.func_types[e.index];
      f->ref = funcs[e.index];
      f->entry = module->entry[type_index];
      f->type = module->module.types[type_index];
      x.func = std::move(f);
      break;
    }
    case wasm::ExternKind::Table: x.table = tables[e.index]; break;
    case wasm::ExternKind::Memory: x.memory = memories[e.index]; break;
    case wasm::ExternKind::Global: x.global = globals[e.index]; break;
    case wasm::ExternKind::Tag: x.tag = tags[e.index]; break;
  }
  return x;
}

static void eval_const(const Instance& inst, const wasm::ConstExpr& c, uint8_t* cell) {
  const wasm::ValueCell v = wasm::evaluate_const(c, [&](const wasm::ConstExpr& leaf) {
    wasm::ValueCell out{};
    switch (leaf.kind) {
      case wasm::ConstExpr::Kind::RefFunc: {
        const void* p = &inst.funcs[leaf.index];
        std::memcpy(out.data(), &p, sizeof p);
        return out;
      }
      case wasm::ConstExpr::Kind::GlobalGet: std::memcpy(out.data(), inst.global_cells[leaf.index], 16); return out;
      default: return wasm::constant_cell(leaf);
    }
  });
  std::memcpy(cell, v.data(), 16);
}

// A segment offset: an i32 (zero-extended) or, for a 64-bit table or memory, an i64.
static uint64_t eval_address(const Instance& inst, const wasm::ConstExpr& c, bool is64) {
  uint8_t cell[16];
  eval_const(inst, c, cell);
  uint64_t v = 0;
  std::memcpy(&v, cell, is64 ? 8 : 4);
  return v;
}

Result<std::shared_ptr<Instance>> instantiate(StoreData& store, const std::shared_ptr<const LoadedModule>& m,
                                              std::span<const Extern* const> imports) {
  const wasm::Module& wm = m->module;
  if (imports.size() != wm.imports.size()) {
    return make_error(ErrorKind::Link, "module needs " + std::to_string(wm.imports.size()) +
                                           " imports, got " + std::to_string(imports.size()));
  }
  if (store.engine && !store.engine->memory_pool_error.empty()) {
    return make_error(ErrorKind::Other, store.engine->memory_pool_error);
  }
  const StoreLimits& limits = store.resource_limits;
  if (store.instances.size() >= limits.max_instances) {
    return make_error(ErrorKind::Other, "instance limit reached: the store allows " +
                                            std::to_string(limits.max_instances) + " instances");
  }
  for (const wasm::MemoryType& mt : wm.memories) {
    if (mt.limits.min > (limits.max_memory_bytes >> 16)) {
      return make_error(ErrorKind::Other, "memory limit: the module needs " + std::to_string(mt.limits.min) +
                                              " pages, the store allows " +
                                              std::to_string(limits.max_memory_bytes >> 16));
    }
  }
  uint64_t new_elements = 0;
  for (size_t t = wm.num_imported_tables; t < wm.tables.size(); ++t) {
    const wasm::TableType& tt = wm.tables[t];
    if (tt.limits.min > limits.max_table_elements) {
      return make_error(ErrorKind::Other, "table limit: table " + std::to_string(t) + " needs " +
                                              std::to_string(tt.limits.min) + " elements, the store allows " +
                                              std::to_string(limits.max_table_elements) + " per table");
    }
    new_elements += tt.limits.min;
  }
  if (store.table_elements + new_elements > limits.max_store_table_elements) {
    return make_error(ErrorKind::Other, "table limit: the module's tables need " + std::to_string(new_elements) +
                                            " elements, the store has " +
                                            std::to_string(limits.max_store_table_elements - store.table_elements) +
                                            " left of " + std::to_string(limits.max_store_table_elements));
  }
  auto inst = std::make_shared<Instance>();
  if (store.engine) {
    // Taken here and given back by ~Instance, whatever happens below.
    EngineState& e = *store.engine;
    if (const uint32_t cap = e.config.pool_instances) {
      inst->pooled_instances = &e.live_instances;
      if (e.live_instances.fetch_add(1, std::memory_order_relaxed) >= cap) {
        return make_error(ErrorKind::Other, "the instance pool is exhausted: all " + std::to_string(cap) +
                                                " instance slots are in use");
      }
    }
    const int64_t tables = static_cast<int64_t>(wm.tables.size() - wm.num_imported_tables);
    if (const uint32_t cap = e.config.pool_tables; cap && tables > 0) {
      inst->pooled_tables = &e.live_tables;
      inst->defined_tables = tables;
      if (e.live_tables.fetch_add(tables, std::memory_order_relaxed) + tables > cap) {
        return make_error(ErrorKind::Other, "the table pool is exhausted: " + std::to_string(cap) +
                                                " tables are allowed, all in use");
      }
    }
  }
  inst->module = SharedRef<const LoadedModule>(m);
  inst->store = &store;
  inst->funcs.resize(wm.num_funcs());
  inst->vmctx.limits = &store.limits;
  inst->vmctx.type_ids = m->type_ids.data();
  inst->vmctx.instance = inst.get();

  inst->host_contexts.reserve(wm.num_imported_funcs);
  inst->host_imports.reserve(wm.num_imported_funcs);
  size_t next_import_func = 0;
  // Imports, checked against the module's import types.
  for (size_t k = 0; k < imports.size(); ++k) {
    const wasm::Import& imp = wm.imports[k];
    const Extern& x = *imports[k];
    if (x.kind != imp.kind) {
      return link_error(imp, std::string("expected a ") + wasm::extern_kind_name(imp.kind) + ", got a " +
                                 wasm::extern_kind_name(x.kind));
    }
    switch (imp.kind) {
      case wasm::ExternKind::Func: {
        const wasm::FuncType& want = wm.types[imp.func_type];
        const uint32_t have_id = !x.func ? 0 : x.func->host ? x.func->host->type_id : x.func->ref.type_id;
        if (!x.func || have_id != m->type_ids[imp.func_type]) {
          return link_error(imp, "expected " + wasm::functype_to_string(want) + ", got " +
                                     (x.func ? wasm::functype_to_string(x.func->type) : "nothing"));
        }
        const size_t i = next_import_func++;
        if (x.func->host) {
          const abi::HostContext& h = x.func->host->ctx;
          inst->host_contexts.push_back(std::make_unique<abi::HostContext>(abi::HostContext{h.callback, h.data, inst.get()}));
          inst->host_imports.emplace_back(x.func->host);
          inst->funcs[i] = abi::FuncRef{m->host_adapter[imp.func_type], inst->host_contexts.back().get(),
                                        m->type_ids[imp.func_type], 0};
        } else {
          inst->funcs[i] = x.func->ref;
        }
        break;
      }
      case wasm::ExternKind::Table: {
        const TableObject& t = *x.table;
        if (t.type.elem != m->canonical(imp.table.elem)) return link_error(imp, "element types differ");
        if (t.type.is64 != imp.table.is64) return link_error(imp, "address types differ (i32, i64)");
        if (!limits_match(t.elements.size(), t.type.limits.max, imp.table.limits)) {
          return link_error(imp, "table limits do not match");
        }
        inst->tables.push_back(x.table);
        break;
      }
      case wasm::ExternKind::Memory: {
        const LinearMemory& mem = *x.memory;
        if (mem.type().is64 != imp.memory.is64) return link_error(imp, "address types differ (i32, i64)");
        if (!limits_match(mem.pages(), mem.type().limits.max, imp.memory.limits)) {
          return link_error(imp, "memory limits do not match");
        }
        // Only a 32-bit memory 0 is reached without checks (guard pages); the others are checked.
        if (inst->memories.empty() && !imp.memory.is64 && m->bounds() == BoundsMode::GuardPages &&
            mem.mode() != BoundsMode::GuardPages) {
          return link_error(imp, "module compiled for guard pages cannot use a bounds-checked memory");
        }
        inst->memories.push_back(x.memory);
        break;
      }
      case wasm::ExternKind::Global: {
        // A mutable global's type must be the same; an immutable one's may be a subtype.
        const wasm::ValType want_type = m->canonical(imp.global.type);
        const bool fits = imp.global.is_mutable ? x.global->type.type == want_type
                                                : wasm::matches_canonical(x.global->type.type, want_type);
        if (!fits || x.global->type.is_mutable != imp.global.is_mutable) {
          return link_error(imp, "global types differ");
        }
        inst->globals.push_back(x.global);
        break;
      }
      case wasm::ExternKind::Tag: {
        if (!x.tag || x.tag->type_id != m->type_ids[imp.tag_type]) {
          return link_error(imp, "expected a tag of type " + wasm::functype_to_string(wm.types[imp.tag_type]));
        }
        inst->tags.push_back(x.tag);
        break;
      }
    }
  }

  for (uint32_t i = wm.num_imported_funcs; i < wm.num_funcs(); ++i) {
    inst->funcs[i] = abi::FuncRef{m->func_code[i], &inst->vmctx, m->type_ids[wm.func_types[i]], 0};
  }
  const MemoryImage* image = nullptr;  // when set, memory 0's active data segments are in place
  const size_t first_created = inst->memories.size();
  for (size_t i = first_created; i < wm.memories.size(); ++i) {
    // Memory 0 (32-bit) comes from the pool, as a copy-on-write image of its data when it has
    // one; further memories and 64-bit ones are mapped on their own.
    static const std::shared_ptr<MemoryPool> kNoPool;
    const wasm::MemoryType& type = wm.memories[i];
    const bool pooled = i == 0 && !type.is64;
    const std::shared_ptr<MemoryPool>& pool = pooled && store.engine ? store.engine->memory_pool : kNoPool;
    static const std::shared_ptr<const MemoryImage> kNoImage;
    const std::shared_ptr<const MemoryImage>& module_image = i == 0 ? m->memory_image() : kNoImage;
    auto mem = LinearMemory::create(type, m->bounds(), store.max_memory_pages, pool, module_image);
    if (!mem.ok()) return mem.take_error();
    inst->memories.push_back(std::move(mem.value()));
    inst->memories.back()->set_owner(&store);
    if (i == 0) image = module_image.get();
  }
  inst->memory_views.resize(inst->memories.size());
  for (size_t i = 0; i < inst->memories.size(); ++i) {
    if (i == 0) inst->memories[0]->attach(&inst->vmctx.memory, &store);
    inst->memories[i]->attach(&inst->memory_views[i], &store);
  }
  inst->vmctx.memories = inst->memory_views.data();
  for (size_t t = wm.num_imported_tags; t < wm.tags.size(); ++t) {
    auto tag = std::make_shared<TagObject>();
    tag->type_id = m->type_ids[wm.tags[t]];
    tag->type = wm.types[wm.tags[t]];
    inst->tags.push_back(std::move(tag));
  }
  for (const auto& t : inst->tags) inst->tag_ptrs.push_back(t.get());
  inst->vmctx.tags = inst->tag_ptrs.data();
  try {
    for (size_t t = wm.num_imported_tables; t < wm.tables.size(); ++t) {
      auto table = std::make_shared<TableObject>();
      table->type = wm.tables[t];
      table->type.elem = m->canonical(table->type.elem);
      table->elements.assign(wm.tables[t].limits.min, nullptr);
      table->sync();
      inst->tables.push_back(std::move(table));
    }
  } catch (const std::bad_alloc&) {
    return make_error(ErrorKind::Other, "out of memory for the module's tables (" + std::to_string(new_elements) +
                                            " elements)");
  }
  store.table_elements += new_elements;
  for (auto& t : inst->tables) inst->table_ptrs.push_back(&t->abi);
  for (auto& g : inst->globals) inst->global_cells.push_back(g->cell);
  for (size_t g = wm.num_imported_globals; g < wm.globals.size(); ++g) {
    auto obj = std::make_shared<GlobalObject>();
    obj->type = wm.globals[g];
    obj->type.type = m->canonical(obj->type.type);
    eval_const(*inst, wm.global_inits[g - wm.num_imported_globals], obj->cell);
    inst->globals.push_back(obj);
    inst->global_cells.push_back(inst->globals.back()->cell);
  }
  // Tables that declare an initial element (it may read the globals).
  for (size_t t = wm.num_imported_tables; t < wm.tables.size() && t < wm.table_inits.size(); ++t) {
    if (!wm.table_inits[t]) continue;
    uint8_t cell[16];
    eval_const(*inst, *wm.table_inits[t], cell);
    void* init;
    std::memcpy(&init, cell, sizeof init);
    TableObject& table = *inst->tables[t];
    std::fill(table.elements.begin(), table.elements.end(), init);
  }
  inst->vmctx.funcs = inst->funcs.data();
  inst->vmctx.globals = inst->global_cells.data();
  for (size_t g = 0; g < abi::kInlineGlobalCells && g < inst->global_cells.size(); ++g) {
    inst->vmctx.first_globals[g] = inst->global_cells[g];
  }
  inst->vmctx.tables = inst->table_ptrs.data();
  // From here on other objects (imported tables) may point into this instance: the store keeps
  // it alive, even if instantiation fails below.
  store.instances.push_back(inst);
  // Only now, as a memory freed by a failure above would leave the store a dangling pointer.
  for (size_t i = first_created; i < inst->memories.size(); ++i) store.created_memories.push_back(inst->memories[i].get());

  // Element segments: evaluate, then initialise active ones in order; a failing one traps and
  // leaves the earlier ones applied, as the spec says.
  inst->elem_values.resize(wm.elems.size());
  inst->elem_dropped.assign(wm.elems.size(), false);
  for (size_t s = 0; s < wm.elems.size(); ++s) {
    const wasm::ElemSegment& seg = wm.elems[s];
    std::vector<void*>& values = inst->elem_values[s];
    values.resize(seg.items.size());
    for (size_t k = 0; k < seg.items.size(); ++k) {
      uint8_t cell[16];
      eval_const(*inst, seg.items[k], cell);
      std::memcpy(&values[k], cell, sizeof(void*));
    }
  }
  inst->data_dropped.assign(wm.datas.size(), false);
  for (size_t s = 0; s < wm.elems.size(); ++s) {
    const wasm::ElemSegment& seg = wm.elems[s];
    if (seg.mode == wasm::SegmentMode::Active) {
      TableObject& table = *inst->tables[seg.table];
      const uint64_t offset = eval_address(*inst, seg.offset, table.type.is64);
      if (offset > table.elements.size() || seg.items.size() > table.elements.size() - offset) {
        // Data segments come after elements: functions already placed in an imported table may
        // read this memory, and must find the data not yet written.
        if (image) std::memset(inst->memories[0]->base() + image->offset(), 0, image->size());
        return trap_error(abi::TrapCode::TableOutOfBounds);
      }
      std::copy(inst->elem_values[s].begin(), inst->elem_values[s].end(), table.elements.begin() + offset);
    }
    if (seg.mode != wasm::SegmentMode::Passive) inst->elem_dropped[s] = true;
  }
  for (size_t s = 0; s < wm.datas.size(); ++s) {
    const wasm::DataSegment& seg = wm.datas[s];
    if (seg.mode != wasm::SegmentMode::Active) continue;
    LinearMemory& mem = *inst->memories[seg.memory];
    if (image && seg.memory == 0) {  // already in place (and dropped, as instantiation does)
      inst->data_dropped[s] = true;
      continue;
    }
    const uint64_t offset = eval_address(*inst, seg.offset, mem.type().is64);
    if (offset > mem.size_bytes() || seg.size > mem.size_bytes() - offset) {
      return trap_error(abi::TrapCode::MemoryOutOfBounds);
    }
    if (seg.size) mem.mark_written();
    std::memcpy(mem.base() + offset, wm.bytes.data() + seg.data_offset, seg.size);
    inst->data_dropped[s] = true;
  }
  if (wm.start) {
    FunctionObject f;
    const uint32_t type_index = wm.func_types[*wm.start];
    f.ref = inst->funcs[*wm.start];
    f.entry = m->entry[type_index];
    f.type = wm.types[type_index];
    uint64_t slots[2] = {0, 0};
    Result<void> r = invoke(store, f, slots);
    if (!r.ok()) return r.take_error();
  }
  return inst;
}

}  // namespace atl::runtime
