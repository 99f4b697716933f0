// The runtime's object model: linear memories, tables, globals, functions (wasm or host), loaded
// modules and instances. Everything an instance refers to is held by shared_ptr, so an instance
// keeps alive what it imported and the code it runs.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "abi/abi.h"
#include "artifact/artifact.h"
#include "artifact/debug_table.h"
#include "runtime/code_image.h"
#include "atoll/result.h"
#include "support/sharded_refs.h"
#include "wasm/module.h"

namespace atl::runtime {

class MemoryPool;
class MemoryImage;
struct EngineState;
struct StoreData;

enum class BoundsMode : uint8_t { GuardPages = 0, Explicit = 1 };

// --- linear memory ----------------------------------------------------------------------------
// Guard-page mode reserves 8 GiB (4 GiB addressable + 4 GiB guard: any i32 address plus any u32
// offset stays inside), PROT_NONE except the current size. Explicit mode reserves only the
// maximum size. The base never moves, so generated code loads it once per function.
class LinearMemory {
 public:
  // With a pool (its primary reference), the memory lives in one of its slots (released, not
  // unmapped, on destruction). With an image, the memory starts as the image's copy-on-write
  // mapping (see memory_image.h) rather than zeros.
  static Result<std::shared_ptr<LinearMemory>> create(const wasm::MemoryType& type, BoundsMode mode,
                                                      uint64_t max_pages_limit,
                                                      const std::shared_ptr<MemoryPool>& pool = nullptr,
                                                      const std::shared_ptr<const MemoryImage>& image = nullptr);
  ~LinearMemory();

  uint8_t* base() const { return base_; }
  uint64_t size_bytes() const { return size_; }
  uint32_t pages() const { return static_cast<uint32_t>(size_ >> 16); }
  const wasm::MemoryType& type() const { return type_; }
  BoundsMode mode() const { return mode_; }
  // Returns the old size in pages, or -1 if the memory cannot grow by `delta` pages.
  int64_t grow(uint64_t delta);
  // Views (in VM contexts) that hold a copy of this memory's base and size (updated on growth),
  // and the store they belong to.
  void attach(abi::MemoryView* view, const StoreData* store);
  void detach(abi::MemoryView* view);

  // Whether a pooled slot must be reset when this memory goes. Resetting (madvise) costs half a
  // microsecond and, when threads overlap, TLB shootdowns; a memory that nothing wrote needs
  // none. Writers: the data-segment copy, host access (mark_written), and guest code, which
  // runs only inside calls of its store: when the creating store closes it reports whether it
  // ever ran guest code. Use from another store counts as written.
  void set_owner(const StoreData* store) { owner_ = store; }
  void mark_written() {
    written_ = true;
    known_clean_ = false;
  }
  void owner_closed(bool ran_guest_code) {
    known_clean_ = !written_ && !ran_guest_code;
    owner_ = nullptr;
  }

 private:
  LinearMemory() = default;
  wasm::MemoryType type_;
  BoundsMode mode_ = BoundsMode::GuardPages;
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  uint64_t reserved_ = 0;
  uint64_t high_water_ = 0;  // bytes ever made accessible (what a pooled slot must reset)
  SharedRef<MemoryPool> pool_;
  uint32_t slot_ = 0;
  const StoreData* owner_ = nullptr;
  bool written_ = false;
  bool known_clean_ = false;
  uint64_t max_pages_ = 0;
  std::vector<abi::MemoryView*> users_;
};

// --- tables -----------------------------------------------------------------------------------
struct TableObject {
  wasm::TableType type;
  std::vector<void*> elements;
  abi::Table abi{};  // FuncRefs stored here point into instances of the same store, which
                     // outlive every use of the table
  // A table64's maximum may lie beyond 2^32-1; no table grows that far here.
  uint32_t max() const {
    return type.limits.max ? static_cast<uint32_t>(std::min<uint64_t>(*type.limits.max, UINT32_MAX)) : UINT32_MAX;
  }
  void sync() {
    abi.elements = elements.data();
    abi.size = static_cast<uint32_t>(elements.size());
    abi.max = max();
  }
};

// --- globals ----------------------------------------------------------------------------------
struct GlobalObject {
  wasm::GlobalType type;
  alignas(16) uint8_t cell[16] = {};
};

// --- functions --------------------------------------------------------------------------------
// A host function's callback reads its arguments from 16-byte slots and writes its results to
// them. A failure is returned as an Error and becomes a HostError trap in the guest.
struct Instance;
using HostFunction = std::function<Result<void>(Instance* caller, uint64_t* slots)>;

struct HostFunctionData {
  abi::HostContext ctx;  // first member: generated adapters receive &ctx
  wasm::FuncType type;
  uint32_t type_id = 0;
  HostFunction fn;
  // Importing instances hold secondary references: a host function shared by every store of a
  // server is linked on many threads at once (see sharded_refs.h).
  mutable ShardedRefs refs;
};

struct FunctionObject {
  abi::FuncRef ref{};             // for wasm functions; host functions get one per importer
  abi::EntryTrampoline entry = nullptr;
  wasm::FuncType type;
  std::shared_ptr<HostFunctionData> host;  // set for host functions
};

// --- modules ----------------------------------------------------------------------------------
struct LoadedModule {
  ~LoadedModule();
  std::vector<uint8_t> artifact;  // the bytes the view and code were loaded from
  artifact::MetaHeader meta;
  wasm::Module module;
  std::unique_ptr<CodeImage> code;
  std::vector<void*> func_code;     // per function index; nullptr for imports
  std::vector<abi::EntryTrampoline> entry;  // per type index
  std::vector<void*> host_adapter;          // per type index
  std::vector<uint32_t> type_ids;           // canonical id per type index
  // A type as runtime objects (tables, globals) hold it: type indices replaced by canonical ids,
  // so types of different modules compare as values.
  wasm::ValType canonical(wasm::ValType t) const {
    if (!wasm::is_ref(t) || !wasm::heap::is_index(wasm::heap_type(t))) return t;
    return wasm::make_ref(wasm::heap::of_index(type_ids[wasm::heap::index(wasm::heap_type(t))]), wasm::is_nullable(t));
  }
  // Sorted by start: the code range of each defined function, for mapping PCs in backtraces.
  struct FuncRange {
    uintptr_t start;
    uintptr_t end;
    uint32_t index;
    bool wrapper = false;  // atl_wrap_<index>: no guest code of its own (backtraces skip it)
  };
  std::vector<FuncRange> func_ranges;
  const FuncRange* function_at(uintptr_t pc) const;
  artifact::DebugTable debug;  // native -> wasm -> source frames (empty for old artifacts)
  BoundsMode bounds() const { return static_cast<BoundsMode>(meta.bounds_mode); }
  // The copy-on-write image of the data segments, built on first use; null when they are copied.
  const std::shared_ptr<const MemoryImage>& memory_image() const;

  mutable ShardedRefs refs;  // instances hold secondary references (see sharded_refs.h)
  // The debugger's registration (Config::debug_info); last, so it ends before the code goes.
  std::shared_ptr<void> debugger;

 private:
  mutable std::once_flag image_once_;
  mutable std::shared_ptr<const MemoryImage> image_;
};

// The result is the module's primary reference (make_sharded).
// `shared_code_file`: see CodeImage::load.
Result<std::shared_ptr<LoadedModule>> load_module(std::vector<uint8_t> artifact_bytes,
                                                  const std::string& shared_code_file = {});

// The loaded module whose code contains `pc`, in O(log modules); null if none. For backtraces of
// frames on the current stack (whose instances keep their modules alive), after a trap has
// returned to the host (not from the signal handler).
const LoadedModule* module_at(uintptr_t pc);

// The wasm frames from `pc` (in guest code) and `fp` (its frame pointer) outwards, innermost
// first, appended to `frames`; returns them as text, one per line. Stops at the first frame
// that is not guest code (a trampoline, the host).
std::string wasm_backtrace(uintptr_t pc, uintptr_t fp, std::vector<Error::Frame>& frames);

// Why the trap TrapCode::HostError about to be raised on this thread happened (its message).
void set_host_error(std::string message);

// Process-wide canonical ids for function signatures: equal types, equal ids.
uint32_t canonical_type_id(const wasm::FuncType& t);

// --- externs and instances ----------------------------------------------------------------------
// --- tags (exception handling) ------------------------------------------------------------------
// A tag's identity is its object: an exception matches a catch clause when it was thrown with
// the very tag the catching instance has at that index (imported or its own).
struct TagObject {
  uint32_t type_id = 0;  // canonical id of its payload type
  wasm::FuncType type;
};

struct Extern {
  wasm::ExternKind kind = wasm::ExternKind::Func;
  std::shared_ptr<TagObject> tag;
  std::shared_ptr<FunctionObject> func;
  std::shared_ptr<TableObject> table;
  std::shared_ptr<LinearMemory> memory;
  std::shared_ptr<GlobalObject> global;
};

struct StoreData;

// Owned by its store (StoreData::instances): functions, tables and memories handed out from an
// instance are valid as long as the store is.
struct Instance {
  ~Instance();
  // What this instance counts against its engine's pool caps (Config::pool_instances/tables).
  std::atomic<int64_t>* pooled_instances = nullptr;
  std::atomic<int64_t>* pooled_tables = nullptr;
  int64_t defined_tables = 0;
  SharedRef<const LoadedModule> module;
  StoreData* store = nullptr;
  abi::VMContext vmctx{};
  std::vector<abi::FuncRef> funcs;
  std::vector<SharedRef<HostFunctionData>> host_imports;
  std::vector<std::unique_ptr<abi::HostContext>> host_contexts;  // per host import: knows its caller
  std::vector<std::shared_ptr<GlobalObject>> globals;
  std::vector<uint8_t*> global_cells;
  std::vector<std::shared_ptr<TableObject>> tables;
  std::vector<abi::Table*> table_ptrs;
  std::vector<std::shared_ptr<TagObject>> tags;  // by tag index, imports first
  std::vector<const void*> tag_ptrs;             // VMContext::tags
  std::vector<std::shared_ptr<LinearMemory>> memories;  // by memory index, imports first
  // What generated code sees of each memory (VMContext::memories); memory 0 also in vmctx.memory.
  std::vector<abi::MemoryView> memory_views;
  LinearMemory* memory0() const { return memories.empty() ? nullptr : memories[0].get(); }
  std::vector<bool> data_dropped;
  std::vector<bool> elem_dropped;
  std::vector<std::vector<void*>> elem_values;  // evaluated element segments

  Extern export_extern(const wasm::Export& e);
  const wasm::Export* find_export(const std::string& name) const;
};

// The epoch of stores whose engine has none: never advances.
inline const uint64_t kNoEpoch = 0;

// Per-store resource limits. The callbacks, when set, approve each growth after the caps pass.
struct StoreLimits {
  uint64_t max_memory_bytes = uint64_t{65536} * 65536;  // per linear memory
  uint32_t max_table_elements = 10'000'000;             // per table
  uint64_t max_store_table_elements = 10'000'000;       // all tables of the store together
  uint32_t max_instances = UINT32_MAX;
  std::function<bool(uint64_t current_bytes, uint64_t desired_bytes)> memory_growing;
  std::function<bool(uint32_t current, uint32_t desired)> table_growing;
};

// What an async call hands the embedder when it yields because its epoch deadline passed.
constexpr uint64_t kEpochYield = ~uint64_t{0};

struct StoreData {
  StoreLimits resource_limits;
  SharedRef<EngineState> engine;  // epoch counter, memory pool, fiber stacks
  bool ran_guest_code = false;     // any guest call made (see LinearMemory::owner_closed)
  // Host libraries' per-store state (Store::set_host_state); a handful of entries at most.
  std::vector<std::pair<const void*, std::shared_ptr<void>>> host_state;
  void* find_host_state(const void* key) const {
    for (const auto& [k, v] : host_state) {
      if (k == key) return v.get();
    }
    return nullptr;
  }
  // Memories this store created (see LinearMemory::owner_closed). Each is alive until the store
  // closes: an instance's is held by the instance (the store holds the instance), a host-made
  // one by host_memories, as every object a store makes lives as long as the store.
  std::vector<LinearMemory*> created_memories;
  std::vector<std::shared_ptr<LinearMemory>> host_memories;
  // When non-zero, reaching the epoch deadline inside an async call yields (time slicing) and
  // the next deadline is this many ticks after the resume; otherwise it traps.
  uint64_t epoch_yield_ticks = 0;
  // Store::set_epoch_deadline_callback, and while it runs, where the guest was (its pc and
  // frame pointer; pc 0 outside the callback) for Store::wasm_frames.
  std::function<uint64_t()> epoch_callback;
  uintptr_t epoch_pc = 0, epoch_fp = 0;
  StoreData();  // out of line, where EngineState is complete
  ~StoreData();
  abi::RuntimeLimits limits{};
  size_t max_wasm_stack = 1 << 20;
  size_t host_stack_reserve = 256 << 10;
  uint64_t max_memory_pages = 65536;
  uint64_t table_elements = 0;  // elements of every table the store's instances defined
  // Exceptions thrown and not yet freed, at most kMaxLiveExceptions. One is freed once nothing
  // can use it again: not pending, held by no legacy catch body, never given out as an exnref
  // (those live until the store ends).
  std::vector<abi::Exception*> exceptions;
  static constexpr size_t kMaxLiveExceptions = 1 << 20;
  abi::Exception* new_exception(const TagObject* tag, uint32_t count, const uint64_t* slots);
  void free_if_unused(abi::Exception* e);
  void release_exception(abi::Exception* e);  // a holder lets go
  // Whether `e` is one of this store's exceptions: what the host hands in as an exnref must be
  // (code trusts it).
  bool is_live_exception(const abi::Exception* e) const;
  // The exception that reached the host (after a call returned), as an error; clears it.
  Result<void> take_uncaught();
  std::vector<std::shared_ptr<Instance>> instances;
};

// Instantiates with imports given in the module's import order (already matched by name; the
// caller keeps them alive during the call). Runs element and data initialisation and the start
// function; a trap is returned as an error.
Result<std::shared_ptr<Instance>> instantiate(StoreData& store, const std::shared_ptr<const LoadedModule>& m,
                                              std::span<const Extern* const> imports);

// Calls a function with arguments and results in 16-byte slots (at least max(params, results)).
Result<void> invoke(StoreData& store, const FunctionObject& f, uint64_t* slots);

std::shared_ptr<HostFunctionData> make_host_function(wasm::FuncType type, HostFunction fn);
std::shared_ptr<FunctionObject> host_function_object(std::shared_ptr<HostFunctionData> h);

}  // namespace atl::runtime
