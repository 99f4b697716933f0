// The contract between generated code and the runtime: the VM context layout, function
// references, tables, trap codes and the names of runtime builtins. The compiler emits field
// accesses by the offsets pinned here; the runtime fills the structures. Changing anything here
// changes the artifact format: bump kArtifactVersion.
//
// VMContext (one per instance; every wasm function gets it as its first argument):
//
//   +0   memory.base   u8*       start of linear memory 0 (never moves for an instance's life)
//   +8   memory.size   u64       current size in bytes (bounds checks, memory.size)
//   +16  limits        RuntimeLimits*  per-store: stack limit (checked on entry), later epochs/fuel
//   +24  type_ids      u32*      canonical signature id per module type index
//   +32  funcs         FuncRef*  one per function index (imports first): calls to imports, ref.func
//   +40  globals       u8**      per global index, its 16-byte storage cell
//   +48  tables        Table**   per table index
//   +56  instance      void*     the runtime's Instance (builtins use it)
//   +64  memories      MemoryView*  every memory by index, memory 0 included (multi-memory,
//                                 memory64): what code uses for all but a 32-bit memory 0
//   +72  tags          per tag index, its identity
//   +80  first_globals u8*[4]    the cells of globals 0..3 again (see kInlineGlobalCells)
#pragma once

#include <cstddef>
#include <cstdint>

#include "atoll/result.h"

namespace atl::abi {

constexpr uint32_t kArtifactVersion = 8;  // 6: exception handling; 7: exception holders and pins;
                                          // 8: VMContext::first_globals, atl_wrap_ entries

// Trap codes are public (include/atoll/result.h: Error::trap()); generated code uses the same values.
using TrapCode = atl::TrapCode;
constexpr uint32_t kNumTrapCodes = 18;

// The spec test suite's wording for each trap.
const char* trap_message(TrapCode code);

// What a funcref points to. Tables of funcref hold FuncRef*; null is nullptr.
struct FuncRef {
  void* code;        // native entry: ret code(void* vmctx, params...)
  void* vmctx;       // passed as the first argument: callee instance's VMContext or host context
  uint32_t type_id;  // canonical signature id (process-wide)
  uint32_t reserved;
};
static_assert(sizeof(FuncRef) == 24);
static_assert(offsetof(FuncRef, code) == 0);
static_assert(offsetof(FuncRef, vmctx) == 8);
static_assert(offsetof(FuncRef, type_id) == 16);

struct Table {
  void** elements;  // funcref: FuncRef*; externref: opaque host value; 0 is null
  uint32_t size;
  uint32_t max;
};
static_assert(sizeof(Table) == 16);
static_assert(offsetof(Table, elements) == 0);
static_assert(offsetof(Table, size) == 8);

// Shared by all instances of a store, so the limits hold whichever instance a call reaches.
struct RuntimeLimits {
  uintptr_t stack_limit;          // lowest stack address guest code may use
  int64_t fuel;                   // remaining fuel (code compiled with fuel metering)
  const uint64_t* epoch;          // the engine's epoch counter (read atomically)
  uint64_t epoch_deadline;        // code compiled with epoch checks stops at this epoch
  // The exception being thrown (abi::Exception*), or null: set by the throw builtins, checked
  // after every call by code compiled with exception handling, cleared where it is caught.
  void* exception;
};
static_assert(offsetof(RuntimeLimits, stack_limit) == 0);
static_assert(offsetof(RuntimeLimits, fuel) == 8);
static_assert(offsetof(RuntimeLimits, epoch) == 16);
static_assert(offsetof(RuntimeLimits, epoch_deadline) == 24);
static_assert(offsetof(RuntimeLimits, exception) == 32);

// A thrown exception: its tag (identity: the runtime's tag object) and payload in 16-byte slots.
// Who may still use it decides when it is freed: `holders` counts legacy catch bodies that have
// it (for rethrow), `pinned` says it was given out as an exnref (kept until the store ends).
struct Exception {
  const void* tag;
  uint32_t count;
  uint32_t holders;
  uint32_t pinned;
  uint32_t reserved;
  uint64_t slots[];  // 2 * count
};
static_assert(offsetof(Exception, tag) == 0);
static_assert(offsetof(Exception, slots) == 24);

// Where a memory is and how big it is now, as generated code sees it. Each instance keeps one per
// memory (and one in its VMContext for memory 0); the memory updates them all when it grows.
struct MemoryView {
  uint8_t* base;
  uint64_t size;
};
static_assert(sizeof(MemoryView) == 16);
static_assert(offsetof(MemoryView, base) == 0);
static_assert(offsetof(MemoryView, size) == 8);

struct VMContext {
  MemoryView memory;
  RuntimeLimits* limits;
  const uint32_t* type_ids;
  FuncRef* funcs;
  uint8_t** globals;
  Table** tables;
  void* instance;
  MemoryView* memories;
  const void* const* tags;  // per tag index, its identity (the runtime's tag object)
  // The cells of the first globals, also in `globals`: one load less on each access. Clang's
  // wasm32 code keeps its shadow stack pointer in global 0 and reads it on entry to every
  // function with locals in memory, where the three dependent loads through `globals` were on
  // the path to every local's address.
  uint8_t* first_globals[4];
};
constexpr uint32_t kInlineGlobalCells = 4;
// Memory 0's view, as generated code addresses it.
constexpr unsigned kVmMemoryBase = 0;
constexpr unsigned kVmMemorySize = 8;
static_assert(offsetof(VMContext, memory) + offsetof(MemoryView, base) == kVmMemoryBase);
static_assert(offsetof(VMContext, memory) + offsetof(MemoryView, size) == kVmMemorySize);
static_assert(offsetof(VMContext, limits) == 16);
static_assert(offsetof(VMContext, type_ids) == 24);
static_assert(offsetof(VMContext, funcs) == 32);
static_assert(offsetof(VMContext, globals) == 40);
static_assert(offsetof(VMContext, tables) == 48);
static_assert(offsetof(VMContext, instance) == 56);
static_assert(offsetof(VMContext, memories) == 64);
static_assert(offsetof(VMContext, tags) == 72);
static_assert(offsetof(VMContext, first_globals) == 80);

// Host functions are reached through a FuncRef whose code is the importing module's per-type
// host adapter and whose vmctx is a HostContext. The adapter spills the arguments to 16-byte
// slots, calls `callback`, and traps with TrapCode::HostError if it returns non-zero.
struct HostContext;
using HostCallback = uint32_t (*)(HostContext* ctx, uint64_t* slots);
struct HostContext {
  HostCallback callback;
  void* data;    // the host function
  void* caller;  // the importing instance (one HostContext per import), or null
};
static_assert(offsetof(HostContext, callback) == 0);

// Entry trampolines, one per module type: call `fn` with arguments from 16-byte slots and write
// the results back to the same slots.
using EntryTrampoline = void (*)(void* vmctx, void* fn, uint64_t* slots);
constexpr size_t kSlotBytes = 16;

// Symbols generated code calls, resolved by the runtime's loader. Signatures (all take the
// caller's VMContext first):
//   trap(vmctx, u32 code, u32 site)                         [[noreturn]]
// Memory addresses and lengths are u64 (a 32-bit memory's zero-extended):
//   memory_grow(vmctx, u32 mem, u64 delta) -> u64 old pages or -1
//   memory_fill(vmctx, u32 mem, u64 dst, u32 value, u64 len)
//   memory_copy(vmctx, u32 dst_mem, u32 src_mem, u64 dst, u64 src, u64 len)
//   memory_init(vmctx, u32 mem, u32 seg, u64 dst, u32 src, u32 len)
//   data_drop(vmctx, u32 seg)
//   table_grow(vmctx, u32 table, ptr init, u32 delta) -> u32 old size or -1
//   table_fill(vmctx, u32 table, u32 dst, ptr value, u32 len)
//   table_copy(vmctx, u32 dst_table, u32 src_table, u32 dst, u32 src, u32 len)
//   table_init(vmctx, u32 table, u32 seg, u32 dst, u32 src, u32 len)
//   elem_drop(vmctx, u32 seg)
//   epoch_reached(vmctx)                                   the store's epoch deadline passed
//   throw(vmctx, u32 tag, ptr payload slots)               sets RuntimeLimits::exception
//   throw_ref(vmctx, ptr exception)                        the same for a caught one (traps on null)
//   exception_drop(vmctx, ptr exception)                   caught by a plain try_table catch:
//                                                          freed unless held or pinned
//   exception_pin(vmctx, ptr exception)                    caught as an exnref: kept
//   exception_hold(vmctx, ptr old, ptr exception)          a legacy catch body takes it (and lets
//                                                          go of what it held before, if any)
//   exception_release(vmctx, ptr exception)                a legacy catch body lets go (null: none)
#define ATL_BUILTINS(X) \
  X(epoch_reached)      \
  X(trap)               \
  X(memory_grow)        \
  X(memory_fill)        \
  X(memory_copy)        \
  X(memory_init)        \
  X(data_drop)          \
  X(table_grow)         \
  X(table_fill)         \
  X(table_copy)         \
  X(table_init)         \
  X(elem_drop)          \
  X(throw)              \
  X(throw_ref)          \
  X(exception_drop)     \
  X(exception_pin)      \
  X(exception_hold)     \
  X(exception_release)

constexpr const char* kBuiltinPrefix = "atl_builtin_";

// Symbol names in the artifact's ELF symbol table.
//   atl_func_<index>[_<name>]   compiled wasm function <index> (defined functions only)
//   atl_wrap_<index>            its entry in the wasm calling convention, where the body uses
//                               another (modules without tail calls: compiler/call_entries.cpp);
//                               what tables, exports, imports and trampolines then call
//   atl_entry_<type>            entry trampoline for module type <type>
//   atl_host_<type>             host adapter for module type <type>
constexpr const char* kFuncSymbolPrefix = "atl_func_";
constexpr const char* kWrapSymbolPrefix = "atl_wrap_";
constexpr const char* kEntrySymbolPrefix = "atl_entry_";
constexpr const char* kHostSymbolPrefix = "atl_host_";

}  // namespace atl::abi
