// Runtime functions called by generated code (see abi.h for the list and signatures). They run on
// the guest stack and may trap: a trap longjmps out, so every check comes before any object with
// a destructor is created.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>

#include "runtime/async.h"
#include "runtime/objects.h"
#include "runtime/trap/trap_handler.h"

namespace atl::runtime {
namespace {

Instance& instance_of(abi::VMContext* ctx) { return *static_cast<Instance*>(ctx->instance); }

// The caller's PC and frame pointer, for the backtrace (this file keeps frame pointers). The PC
// is the return address minus one: a call to `trap` is often a function's last instruction, so
// its return address may already lie past the function's end.
#define ATL_TRAP(code)                                                              \
  raise_trap(code, reinterpret_cast<uintptr_t>(__builtin_return_address(0)) - 1,  \
             *static_cast<uintptr_t*>(__builtin_frame_address(0)))

// Without overflow for any 64-bit start and length.
bool out_of_range(uint64_t start, uint64_t len, uint64_t size) { return start > size || len > size - start; }

}  // namespace

extern "C" {

// `site` (the trap's wasm offset) only keeps the compiler from merging trap calls; the frame's
// offset comes from the debug table at the return address, like every other frame's.
[[noreturn]] void atl_builtin_trap(abi::VMContext*, uint32_t code, uint32_t /*site*/) {
  ATL_TRAP(static_cast<abi::TrapCode>(code));
}

// The store's epoch deadline passed: inside an async call of a time-sliced store, yield and take
// a new deadline on resumption; otherwise stop the guest. Only guest frames lie between here and
// the fiber's activation, so trapping out of a cancelled yield skips no host destructors.
void atl_builtin_epoch_reached(abi::VMContext* ctx) {
  StoreData& store = *instance_of(ctx).store;
  if (store.epoch_callback) {
    store.epoch_pc = reinterpret_cast<uintptr_t>(__builtin_return_address(0)) - 1;
    store.epoch_fp = *static_cast<uintptr_t*>(__builtin_frame_address(0));
    uint64_t ticks = 0;
    bool failed = true;  // generated code cannot unwind: an exception becomes a trap
    try {
      ticks = store.epoch_callback();
      failed = false;
    } catch (const std::exception& e) {
      set_host_error(std::string("epoch deadline callback threw: ") + e.what());
    } catch (...) {
      set_host_error("epoch deadline callback threw an exception");
    }
    store.epoch_pc = store.epoch_fp = 0;
    if (failed) ATL_TRAP(abi::TrapCode::HostError);
    if (ticks != 0) {
      const uint64_t now = __atomic_load_n(store.limits.epoch, __ATOMIC_RELAXED);
      store.limits.epoch_deadline = ticks > UINT64_MAX - now ? UINT64_MAX : now + ticks;
      return;
    }
  }
  if (store.epoch_yield_ticks != 0 && Fiber::current() != nullptr) {
    if (!suspend_current(kEpochYield).ok()) ATL_TRAP(abi::TrapCode::Interrupted);
    const uint64_t now = __atomic_load_n(store.limits.epoch, __ATOMIC_RELAXED);
    store.limits.epoch_deadline = now + store.epoch_yield_ticks;
    return;
  }
  ATL_TRAP(abi::TrapCode::Interrupted);
}

// A refused growth returns -1, as the spec says, never a trap.
uint64_t atl_builtin_memory_grow(abi::VMContext* ctx, uint32_t mem, uint64_t delta) {
  Instance& inst = instance_of(ctx);
  LinearMemory& memory = *inst.memories[mem];
  const StoreLimits& limits = inst.store->resource_limits;
  const uint64_t current = memory.size_bytes();
  if (delta != 0) {
    if (delta > (limits.max_memory_bytes - std::min(current, limits.max_memory_bytes)) >> 16) return UINT64_MAX;
    const uint64_t desired = current + (delta << 16);
    if (limits.memory_growing && !limits.memory_growing(current, desired)) return UINT64_MAX;
  }
  return static_cast<uint64_t>(memory.grow(delta));
}

void atl_builtin_memory_fill(abi::VMContext* ctx, uint32_t mem, uint64_t dst, uint32_t value, uint64_t len) {
  const abi::MemoryView& m = ctx->memories[mem];
  if (out_of_range(dst, len, m.size)) ATL_TRAP(abi::TrapCode::MemoryOutOfBounds);
  std::memset(m.base + dst, static_cast<int>(value & 0xff), len);
}

void atl_builtin_memory_copy(abi::VMContext* ctx, uint32_t dst_mem, uint32_t src_mem, uint64_t dst, uint64_t src,
                             uint64_t len) {
  const abi::MemoryView& d = ctx->memories[dst_mem];
  const abi::MemoryView& s = ctx->memories[src_mem];
  if (out_of_range(dst, len, d.size) || out_of_range(src, len, s.size)) ATL_TRAP(abi::TrapCode::MemoryOutOfBounds);
  std::memmove(d.base + dst, s.base + src, len);
}

void atl_builtin_memory_init(abi::VMContext* ctx, uint32_t mem, uint32_t seg, uint64_t dst, uint32_t src, uint32_t len) {
  Instance& inst = instance_of(ctx);
  const abi::MemoryView& m = ctx->memories[mem];
  const wasm::DataSegment& d = inst.module->module.datas[seg];
  const uint64_t seg_size = inst.data_dropped[seg] ? 0 : d.size;
  if (out_of_range(src, len, seg_size) || out_of_range(dst, len, m.size)) ATL_TRAP(abi::TrapCode::MemoryOutOfBounds);
  if (len) std::memcpy(m.base + dst, inst.module->module.bytes.data() + d.data_offset + src, len);
}

void atl_builtin_data_drop(abi::VMContext* ctx, uint32_t seg) { instance_of(ctx).data_dropped[seg] = true; }

uint32_t atl_builtin_table_grow(abi::VMContext* ctx, uint32_t t, void* init, uint32_t delta) {
  Instance& inst = instance_of(ctx);
  TableObject& table = *inst.tables[t];
  const StoreLimits& limits = inst.store->resource_limits;
  StoreData& store = *inst.store;
  const uint64_t old = table.elements.size();
  if (old + delta > table.max() || old + delta > limits.max_table_elements ||
      store.table_elements + delta > limits.max_store_table_elements) {
    return UINT32_MAX;
  }
  if (delta && limits.table_growing &&
      !limits.table_growing(static_cast<uint32_t>(old), static_cast<uint32_t>(old + delta))) {
    return UINT32_MAX;
  }
  // Generated code cannot unwind: an allocation failure is the spec's "cannot grow" (-1).
  try {
    table.elements.resize(old + delta, init);
  } catch (const std::bad_alloc&) {
    return UINT32_MAX;
  }
  store.table_elements += delta;
  table.sync();
  return static_cast<uint32_t>(old);
}

void atl_builtin_table_fill(abi::VMContext* ctx, uint32_t t, uint32_t dst, void* value, uint32_t len) {
  TableObject& table = *instance_of(ctx).tables[t];
  if (out_of_range(dst, len, table.elements.size())) ATL_TRAP(abi::TrapCode::TableOutOfBounds);
  std::fill_n(table.elements.begin() + dst, len, value);
}

void atl_builtin_table_copy(abi::VMContext* ctx, uint32_t dt, uint32_t st, uint32_t dst, uint32_t src, uint32_t len) {
  Instance& inst = instance_of(ctx);
  TableObject& d = *inst.tables[dt];
  TableObject& s = *inst.tables[st];
  if (out_of_range(dst, len, d.elements.size()) || out_of_range(src, len, s.elements.size())) {
    ATL_TRAP(abi::TrapCode::TableOutOfBounds);
  }
  if (len) std::memmove(d.elements.data() + dst, s.elements.data() + src, len * sizeof(void*));
}

void atl_builtin_table_init(abi::VMContext* ctx, uint32_t t, uint32_t seg, uint32_t dst, uint32_t src, uint32_t len) {
  Instance& inst = instance_of(ctx);
  TableObject& table = *inst.tables[t];
  const std::vector<void*>& values = inst.elem_values[seg];
  const uint64_t seg_size = inst.elem_dropped[seg] ? 0 : values.size();
  if (out_of_range(src, len, seg_size) || out_of_range(dst, len, table.elements.size())) {
    ATL_TRAP(abi::TrapCode::TableOutOfBounds);
  }
  if (len) std::memcpy(table.elements.data() + dst, values.data() + src, len * sizeof(void*));
}

void atl_builtin_elem_drop(abi::VMContext* ctx, uint32_t seg) { instance_of(ctx).elem_dropped[seg] = true; }

// throw: the exception becomes the store's pending one; generated code then leaves for the
// innermost handler (or returns, and so on up to the host).
void atl_builtin_throw(abi::VMContext* ctx, uint32_t tag, const uint64_t* slots) {
  Instance& inst = instance_of(ctx);
  const TagObject* t = inst.tags[tag].get();
  abi::Exception* e = inst.store->new_exception(t, static_cast<uint32_t>(t->type.params.size()), slots);
  if (!e) {
    set_host_error("too many live exceptions in this store (kept as exnrefs, or left by a branch out of a catch), or out of memory");
    ATL_TRAP(abi::TrapCode::HostError);
  }
  inst.store->limits.exception = e;
}

void atl_builtin_throw_ref(abi::VMContext* ctx, abi::Exception* e) {
  if (!e) ATL_TRAP(abi::TrapCode::NullExceptionReference);
  instance_of(ctx).store->limits.exception = e;
}

void atl_builtin_exception_drop(abi::VMContext* ctx, abi::Exception* e) { instance_of(ctx).store->free_if_unused(e); }
void atl_builtin_exception_pin(abi::VMContext*, abi::Exception* e) { e->pinned = 1; }
void atl_builtin_exception_hold(abi::VMContext* ctx, abi::Exception* old, abi::Exception* e) {
  ++e->holders;  // first: `old` may be `e` itself (a catch body entered again with its own rethrow)
  instance_of(ctx).store->release_exception(old);
}
void atl_builtin_exception_release(abi::VMContext* ctx, abi::Exception* e) {
  instance_of(ctx).store->release_exception(e);
}

}  // extern "C"

void* resolve_runtime_symbol(const std::string& name) {
  static const std::unordered_map<std::string, void*> table = {
#define ATL_BUILTIN_ENTRY(n) {std::string("atl_builtin_") + #n, reinterpret_cast<void*>(&atl_builtin_##n)},
      ATL_BUILTINS(ATL_BUILTIN_ENTRY)
#undef ATL_BUILTIN_ENTRY
      // What LLVM lowers float rounding and fma to on CPUs without SSE4.1/FMA: pure functions of
      // their arguments that touch no memory. memcpy/memset/memmove are deliberately absent: a
      // fault inside them would be outside guest code (the compiler never emits them).
      {"ceil", reinterpret_cast<void*>(static_cast<double (*)(double)>(&ceil))},
      {"ceilf", reinterpret_cast<void*>(static_cast<float (*)(float)>(&ceilf))},
      {"floor", reinterpret_cast<void*>(static_cast<double (*)(double)>(&floor))},
      {"floorf", reinterpret_cast<void*>(static_cast<float (*)(float)>(&floorf))},
      {"trunc", reinterpret_cast<void*>(static_cast<double (*)(double)>(&trunc))},
      {"truncf", reinterpret_cast<void*>(static_cast<float (*)(float)>(&truncf))},
      {"rint", reinterpret_cast<void*>(static_cast<double (*)(double)>(&rint))},
      {"rintf", reinterpret_cast<void*>(static_cast<float (*)(float)>(&rintf))},
      {"nearbyint", reinterpret_cast<void*>(static_cast<double (*)(double)>(&nearbyint))},
      {"nearbyintf", reinterpret_cast<void*>(static_cast<float (*)(float)>(&nearbyintf))},
      {"roundeven", reinterpret_cast<void*>(static_cast<double (*)(double)>(&roundeven))},
      {"roundevenf", reinterpret_cast<void*>(static_cast<float (*)(float)>(&roundevenf))},
      {"fma", reinterpret_cast<void*>(static_cast<double (*)(double, double, double)>(&fma))},
      {"fmaf", reinterpret_cast<void*>(static_cast<float (*)(float, float, float)>(&fmaf))},
  };
  auto it = table.find(name);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace atl::runtime
