// atoll's C++ embedding API.
//
//   atl::Engine engine;                                   // configuration
//   auto module = atl::compile_module(engine, wasm_bytes); // or Module::from_file(engine, "x.atoll")
//   atl::Store store(engine);                             // owns instances; one thread at a time
//   atl::Linker linker(store);
//   linker.func("env", "log", [](int32_t x) { std::printf("%d\n", x); });
//   auto instance = linker.instantiate(*module);
//   auto add = instance->func<int32_t(int32_t, int32_t)>("add");
//   atl::Result<int32_t> sum = (*add)(1, 2);              // a trap comes back as an Error
//
// Errors are values (atl::Result); a trap is an Error of kind ErrorKind::Trap with the trap's
// message and a wasm backtrace. Handles (Module, Instance, Func, Memory, Global) are cheap to
// copy. Instances, and everything they create, live as long as their Store.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "atoll/features.h"
#include "atoll/result.h"

namespace atl {

namespace runtime {
class MemoryPool;
struct EngineState;
struct AsyncCallState;
struct LoadedModule;
struct StoreData;
struct Extern;
struct Instance;
struct FunctionObject;
class LinearMemory;
struct GlobalObject;
struct TableObject;
}  // namespace runtime

// --- values -------------------------------------------------------------------------------------
// References: FuncRef (typed function references are seen as the funcref they refine),
// ExternRef, and ExnRef (an exception a guest caught with catch_ref / catch_all_ref: opaque,
// valid while its store lives; the host gets one only from the guest and may only give it back).
enum class ValType : uint8_t { I32, I64, F32, F64, V128, FuncRef, ExternRef, ExnRef };
ATOLL_API const char* to_string(ValType t);

struct ATOLL_API FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
  std::string to_string() const;
};

struct ATOLL_API Val {
  ValType type = ValType::I32;
  uint64_t bits[2] = {0, 0};  // little-endian value bits; references are pointers

  static Val i32(int32_t v) { return make(ValType::I32, static_cast<uint32_t>(v)); }
  static Val i64(int64_t v) { return make(ValType::I64, static_cast<uint64_t>(v)); }
  static Val f32(float v) {
    uint32_t b;
    std::memcpy(&b, &v, 4);
    return make(ValType::F32, b);
  }
  static Val f64(double v) {
    uint64_t b;
    std::memcpy(&b, &v, 8);
    return make(ValType::F64, b);
  }
  int32_t i32() const { return static_cast<int32_t>(bits[0]); }
  int64_t i64() const { return static_cast<int64_t>(bits[0]); }
  float f32() const {
    float f;
    const uint32_t b = static_cast<uint32_t>(bits[0]);
    std::memcpy(&f, &b, 4);
    return f;
  }
  double f64() const {
    double d;
    std::memcpy(&d, &bits[0], 8);
    return d;
  }
  std::string to_string() const;

 private:
  static Val make(ValType t, uint64_t b) {
    Val v;
    v.type = t;
    v.bits[0] = b;
    return v;
  }
};

// --- configuration --------------------------------------------------------------------------------
enum class BoundsChecks : uint8_t {
  GuardPages,  // default: 8 GiB reserved per memory, no checks in generated code
  Explicit,    // every access checked; reservations only as large as the memory's maximum
};

// Profilers told about loaded code (docs/CLI.md, --profile): perf's map file
// /tmp/perf-PID.map (function names), or its jitdump jit-PID.dump in $ATOLL_JITDUMP_DIR, else
// the working directory (names and machine code: `perf record -k mono`, then `perf inject --jit`).
enum class Profiler : uint8_t { None, PerfMap, JitDump };

struct Config {
  int opt_level = 2;                     // 0..3
  BoundsChecks bounds = BoundsChecks::GuardPages;
  std::string target_cpu = "x86-64-v2";  // x86-64[-v2|-v3|-v4] or "native"
  // Guest stack: wasm frames may use max_wasm_stack bytes (exhaustion is a trap); host
  // functions called from the guest run on the same stack in the host_stack_reserve below it.
  size_t max_wasm_stack = 1 << 20;
  size_t host_stack_reserve = 256 << 10;
  uint32_t max_memory_pages = 65536;  // caps every linear memory (64 KiB pages)
  // Compilation: threads for large modules (0 = one per CPU this process may use), and the code
  // size above which a module is split into chunks compiled in parallel.
  uint32_t compile_threads = 0;
  uint64_t compile_chunk_bytes = 64 * 1024;
  // A budget for compiling untrusted modules (atoll_compiler_loader only): when either is set,
  // the compiler runs in a worker process (atoll-compile-worker, beside the plugin) that is
  // killed past compile_timeout_ms and limited to compile_memory_limit bytes of address space;
  // exceeding either is a clean error, and a crash of the compiler cannot take the host down.
  uint32_t compile_timeout_ms = 0;
  uint64_t compile_memory_limit = 0;
  // Interruption, compiled into the code only when enabled (nothing is emitted otherwise):
  // epoch checks at function entry and loop headers stop a guest once the engine's epoch reaches
  // its store's deadline (Store::set_epoch_deadline); fuel metering charges one unit per executed
  // instruction against the store's fuel (Store::set_fuel). Either ends the guest with a trap.
  bool epoch_interruption = false;
  bool consume_fuel = false;
  // Pooling: when non-zero, the engine reserves this many linear-memory slots up front (8 GiB
  // each with guard pages, max_memory_pages * 64 KiB with explicit checks) and instances reuse
  // them without unmapping. Instantiation fails with a clear error when all are in use. A slot
  // is reset on release by zeroing its resident pages in place when they are at most
  // memory_pool_keep_resident bytes (and the memory has no data image): faster reuse and no
  // TLB shootdowns between threads, but a free slot keeps up to that much resident. Otherwise,
  // or with 0, by madvise. See docs/POOLING.md for sizing.
  uint32_t memory_pool_slots = 0;
  uint64_t memory_pool_keep_resident = 256 * 1024;
  // The rest of the pool's capacity, across all of the engine's stores (0: unlimited): live
  // instances, tables defined by live instances, and elements per table (a store's own
  // Limits::max_table_elements may lower it). Past a cap instantiation fails with a clear error,
  // and table.grow returns -1.
  uint32_t pool_instances = 0;
  uint32_t pool_tables = 0;
  uint32_t pool_table_elements = 0;
  // Fiber stacks (max_wasm_stack + host_stack_reserve each) of finished async calls are kept
  // for reuse, up to this many.
  uint32_t fiber_stack_cache = 1024;
  Profiler profiler = Profiler::None;
  // Describe each loaded module to gdb/lldb through GDB's JIT interface (symbols per wasm
  // function, the guest's source lines when it carried DWARF), as Wasmtime's -D debug-info.
  // Costs an in-memory ELF object per module (about the size of its debug table).
  bool debug_info = false;
  // The WebAssembly proposals beyond 2.0 that modules may use (include/atoll/features.h).
  // Checked when a module is compiled or validated; an artifact was checked when it was made.
  WasmFeatures features;
};

// Engines are cheap to copy (copies share the epoch, the pools and the configuration). Every
// Store keeps its engine's shared state alive.
class ATOLL_API Engine {
 public:
  explicit Engine(Config config = {});
  const Config& config() const { return config_; }
  // Advances the epoch; safe from any thread (a timer thread, typically).
  void increment_epoch();
  uint64_t epoch() const;
  // Creates up to `count` fiber stacks for the cache (Config::fiber_stack_cache) and touches
  // the top `touch_bytes` of each, so that the first burst of async calls finds them ready
  // instead of mapping and faulting them in (costly in a VM). They stay resident while cached.
  void prewarm_fiber_stacks(uint32_t count, size_t touch_bytes = 16 * 1024) const;
  // A cached fiber stack that a deep call left resident is given back only every few uses
  // (looking costs a system call per call); this gives back the deep pages of up to
  // `max_stacks` idle ones now. Call it now and then off the hot path (atoll serve does every
  // 100 ms); returns how many stacks it looked at.
  size_t trim_fiber_stacks(size_t max_stacks = 256) const;
  const std::shared_ptr<runtime::EngineState>& state() const { return state_; }

 private:
  Config config_;
  std::shared_ptr<runtime::EngineState> state_;
};

// --- modules --------------------------------------------------------------------------------------
enum class ExternKind : uint8_t { Func, Table, Memory, Global, Tag };  // Tag: exception handling
ATOLL_API const char* to_string(ExternKind k);

struct Limits {
  uint64_t min = 0;
  std::optional<uint64_t> max;  // none: unbounded
  bool operator==(const Limits&) const = default;
};
struct TableType {
  ValType element = ValType::FuncRef;
  Limits limits;  // elements
  bool is64 = false;  // table64: indexed by i64
  bool operator==(const TableType&) const = default;
};
struct MemoryType {
  Limits limits;  // 64 KiB pages
  bool is64 = false;  // memory64: addressed by i64, bounds-checked in every mode
  bool operator==(const MemoryType&) const = default;
};
struct GlobalType {
  ValType type = ValType::I32;
  bool is_mutable = false;
  bool operator==(const GlobalType&) const = default;
};
// The type of an import or export: the member that `kind` names is the one set.
struct ATOLL_API ExternType {
  ExternKind kind = ExternKind::Func;
  FuncType func;
  TableType table;
  MemoryType memory;
  GlobalType global;
  bool operator==(const ExternType&) const = default;
  std::string to_string() const;  // "func [i32] -> []", "memory 1..2", "global mut i64", ...
};

struct ImportType {
  std::string module;
  std::string name;
  ExternKind kind;
  ExternType type;
};
struct ExportType {
  std::string name;
  ExternKind kind;
  ExternType type;
};

// How an artifact is loaded.
struct ArtifactOptions {
  // A file in a directory of this user's (e.g. beside a compile cache entry) where the module's
  // relocated machine code is kept, so that every process loading the same artifact maps the
  // same pages instead of a copy each. Created when missing; used only when it holds exactly
  // the bytes this load produced; on any failure the load goes on with a private copy.
  std::string shared_code_file;
};

// What an artifact records about itself, read (and its checksum verified) without loading its
// code: an embedder configures its Engine from it instead of repeating compile settings.
struct ArtifactInfo {
  uint32_t format_version = 0;
  BoundsChecks bounds = BoundsChecks::GuardPages;
  bool epoch_interruption = false;  // compiled with epoch checks
  bool consume_fuel = false;        // compiled with fuel metering
  std::string target_cpu;           // what it was compiled for ("x86-64-v2", "native", ...)
  std::string cpu_features;         // the features its code needs, by name ("" for none)
  bool runs_here = false;           // this machine has them
  std::string compiler;             // the compiler's fingerprint: version, LLVM, options
  uint64_t file_size = 0;
  uint64_t code_size = 0;           // bytes of machine code (.text sections)
  uint32_t imported_functions = 0;
  uint32_t defined_functions = 0;
};
ATOLL_API Result<ArtifactInfo> read_artifact_info(std::span<const uint8_t> artifact);

// A compiled module, loaded from an artifact. Loading needs no compiler.
class ATOLL_API Module {
 public:
  static Result<Module> from_artifact(const Engine& engine, std::vector<uint8_t> artifact,
                                      const ArtifactOptions& options = {});
  static Result<Module> from_file(const Engine& engine, const std::string& path);
  // Whether `wasm` is a valid WebAssembly module (decoded and validated, not compiled); the
  // error names the function and byte offset.
  static Result<void> validate(const Engine& engine, std::span<const uint8_t> wasm);

  std::vector<ImportType> imports() const;
  std::vector<ExportType> exports() const;
  const std::vector<uint8_t>& artifact() const;
  const std::shared_ptr<const runtime::LoadedModule>& impl() const { return impl_; }

 private:
  std::shared_ptr<const runtime::LoadedModule> impl_;
};

// Compiles WebAssembly to an artifact. Provided by the library a program links: atoll_compiler
// (LLVM in-process) or atoll_compiler_loader (loads libatoll-compiler.so on first use, so a
// process that only runs artifacts never loads LLVM).
ATOLL_API Result<std::vector<uint8_t>> compile(const Engine& engine, std::span<const uint8_t> wasm);
inline Result<Module> compile_module(const Engine& engine, std::span<const uint8_t> wasm) {
  auto artifact = compile(engine, wasm);
  if (!artifact.ok()) return artifact.take_error();
  return Module::from_artifact(engine, std::move(artifact.value()));
}

// --- stores ---------------------------------------------------------------------------------------
class ATOLL_API Store {
 public:
  explicit Store(const Engine& engine);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  runtime::StoreData& impl() { return *impl_; }

  // Guests stop (trap "interrupted") once the engine's epoch reaches now + ticks.
  void set_epoch_deadline(uint64_t ticks);
  // Time slicing: inside an async call, reaching the deadline yields instead (the call's
  // suspended_value() is AsyncCall::kEpochYield) and each resume sets a deadline `ticks` later.
  // 0 turns it off (deadlines trap).
  void set_epoch_yield(uint64_t ticks);
  // Called on the guest's thread (and stack: keep it small) when the epoch deadline is reached,
  // before yielding or trapping: returning N > 0 continues the guest with a deadline N ticks on;
  // 0 goes on as if there were no callback (yield if time-sliced, else trap "interrupted").
  // wasm_frames() inside it shows where the guest is. An exception it throws is a trap. Empty
  // function: no callback.
  void set_epoch_deadline_callback(std::function<uint64_t()> callback);
  // Inside the epoch deadline callback: the wasm frames of the running guest, innermost first
  // (as Error::frames). Elsewhere: empty.
  std::vector<Error::Frame> wasm_frames() const;
  // Resource limits for everything this store creates. Growth past a cap, or refused by a
  // callback, makes memory.grow / table.grow return -1 (the spec's answer), never a trap.
  struct Limits {
    uint64_t max_memory_bytes = uint64_t{65536} * 65536;
    uint32_t max_table_elements = 10'000'000;        // per table
    // All tables the store's instances define, together (8 bytes each): without it, a small
    // module with many tables reaches gigabytes.
    uint64_t max_store_table_elements = 10'000'000;
    uint32_t max_instances = UINT32_MAX;
    std::function<bool(uint64_t current_bytes, uint64_t desired_bytes)> memory_growing;
    std::function<bool(uint32_t current, uint32_t desired)> table_growing;
  };
  void set_limits(Limits limits);

  // Fuel for guests compiled with consume_fuel; exhausted fuel traps ("all fuel consumed").
  void set_fuel(uint64_t fuel);
  uint64_t fuel() const;

  // Per-store state of a host library whose functions are shared by many stores (defined once
  // in a store-independent Linker): its functions find it with Caller::host_state(key). The key
  // is the address of something the library owns; the store keeps `state` alive.
  void set_host_state(const void* key, std::shared_ptr<void> state);
  void* host_state(const void* key) const;

 private:
  std::unique_ptr<runtime::StoreData> impl_;
};

// --- memory and globals ---------------------------------------------------------------------------
// Checked host access to a linear memory: every read and write is bounds-checked against the
// current size.
class ATOLL_API Memory {
 public:
  // A memory made by the host, to be imported by modules (Linker::define), zero-filled, bounds
  // checked as the store's engine is configured; limits in 64 KiB pages.
  static Result<Memory> create(Store& store, const MemoryType& type);
  MemoryType type() const;
  uint64_t size() const;
  uint32_t pages() const;
  Result<void> read(uint64_t offset, std::span<uint8_t> out) const;
  Result<void> write(uint64_t offset, std::span<const uint8_t> in);
  Result<std::string> read_string(uint64_t offset, uint64_t length) const;
  // A bounds-checked view of [offset, offset + length); valid until the memory grows.
  Result<std::span<uint8_t>> span(uint64_t offset, uint64_t length) const;
  template <class T>
  Result<T> load(uint64_t offset) const {
    static_assert(std::is_trivially_copyable_v<T>);
    T v;
    auto r = read(offset, {reinterpret_cast<uint8_t*>(&v), sizeof v});
    if (!r.ok()) return r.take_error();
    return v;
  }
  template <class T>
  Result<void> store(uint64_t offset, const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    return write(offset, {reinterpret_cast<const uint8_t*>(&v), sizeof v});
  }
  int64_t grow(uint64_t delta_pages);  // old size in pages, or -1

  std::shared_ptr<runtime::LinearMemory> impl_;
};

class ATOLL_API Global {
 public:
  // A global made by the host, to be imported by modules (Linker::define); `init` must have the
  // global's type, and a funcref global must start null (the host cannot make up references).
  static Result<Global> create(Store& store, const GlobalType& type, const Val& init);
  ValType type() const;
  bool is_mutable() const;
  Val get() const;
  Result<void> set(const Val& v);

  std::shared_ptr<runtime::GlobalObject> impl_;
};

// A table of references, exported by an instance or made by the host. Elements read back as Val
// (a null reference has all bits zero); the host may clear elements, not make references up.
class ATOLL_API Table {
 public:
  static Result<Table> create(Store& store, const TableType& type);  // every element null
  TableType type() const;
  uint32_t size() const;
  Result<Val> get(uint32_t index) const;
  Result<void> set_null(uint32_t index);
  int64_t grow(uint32_t delta);  // new elements null; old size, or -1 past the maximum

  std::shared_ptr<runtime::TableObject> impl_;
  runtime::StoreData* store_ = nullptr;
};

// --- functions ------------------------------------------------------------------------------------
namespace detail {
template <class T>
struct WasmType;
template <> struct WasmType<int32_t> { static constexpr ValType value = ValType::I32; };
template <> struct WasmType<uint32_t> { static constexpr ValType value = ValType::I32; };
template <> struct WasmType<int64_t> { static constexpr ValType value = ValType::I64; };
template <> struct WasmType<uint64_t> { static constexpr ValType value = ValType::I64; };
template <> struct WasmType<float> { static constexpr ValType value = ValType::F32; };
template <> struct WasmType<double> { static constexpr ValType value = ValType::F64; };

template <class T>
void to_slot(uint64_t* slot, T v) {
  slot[0] = slot[1] = 0;
  std::memcpy(slot, &v, sizeof v);
}
template <class T>
T from_slot(const uint64_t* slot) {
  T v;
  std::memcpy(&v, slot, sizeof v);
  return v;
}
ATOLL_API Result<void> call_slots(runtime::StoreData* store, const runtime::FunctionObject& f, uint64_t* slots);

// A typed call's results: none (void), one (T), or several (std::tuple<T...>).
template <class R>
struct Results {
  static constexpr size_t count = std::is_void_v<R> ? 0 : 1;
  static R read(const uint64_t* slots) { return from_slot<R>(slots); }
  static void types(std::vector<ValType>& out) {
    if constexpr (!std::is_void_v<R>) out.push_back(WasmType<R>::value);
  }
};
template <class... T>
struct Results<std::tuple<T...>> {
  static constexpr size_t count = sizeof...(T);
  static std::tuple<T...> read(const uint64_t* slots) { return read(slots, std::index_sequence_for<T...>()); }
  template <size_t... I>
  static std::tuple<T...> read(const uint64_t* slots, std::index_sequence<I...>) {
    return std::tuple<T...>(from_slot<T>(&slots[2 * I])...);
  }
  static void types(std::vector<ValType>& out) { (out.push_back(WasmType<T>::value), ...); }
};
}  // namespace detail

template <class Sig>
class TypedFunc;

// A typed view of an export: calling it converts arguments and results with no boxing. Several
// results come back as a std::tuple: func<std::tuple<int64_t, int32_t>(int32_t)>("f").
template <class R, class... A>
class TypedFunc<R(A...)> {
 public:
  Result<R> operator()(A... args) const {
    constexpr size_t n = std::max<size_t>({sizeof...(A), detail::Results<R>::count, 1});
    uint64_t slots[2 * n] = {};
    size_t i = 0;
    ((detail::to_slot(&slots[2 * i++], args)), ...);
    Result<void> r = detail::call_slots(store_, *f_, slots);
    if (!r.ok()) return r.take_error();
    if constexpr (std::is_void_v<R>) {
      return {};
    } else {
      return detail::Results<R>::read(slots);
    }
  }

  std::shared_ptr<runtime::FunctionObject> f_;
  runtime::StoreData* store_ = nullptr;
};

// A guest call that may suspend inside a host function (Caller::suspend) and be resumed later,
// from this or another thread, never two at once. Dropping an unfinished call cancels it: the
// suspended host function gets an error from suspend() and must return it.
class ATOLL_API AsyncCall {
 public:
  enum class State { Suspended, Finished };
  static constexpr uint64_t kEpochYield = ~uint64_t{0};  // suspended by its epoch deadline
  // Runs until the guest suspends or finishes; a trap is an Error.
  Result<State> resume();
  uint64_t suspended_value() const;       // what the host passed to Caller::suspend
  const std::vector<Val>& results() const;  // once Finished

  std::shared_ptr<runtime::AsyncCallState> impl_;
  std::vector<ValType> result_types_;
  std::vector<Val> results_;
};

class ATOLL_API Func {
 public:
  FuncType type() const;
  Result<std::vector<Val>> call(std::span<const Val> args) const;
  // Starts a call on its own stack (a fiber); nothing runs until AsyncCall::resume().
  Result<AsyncCall> call_async(std::span<const Val> args) const;
  template <class Sig>
  Result<TypedFunc<Sig>> typed() const;

  std::shared_ptr<runtime::FunctionObject> impl_;
  runtime::StoreData* store_ = nullptr;
};

namespace detail {
template <class R, class... A>
FuncType signature_of(R (*)(A...)) {
  FuncType t{{WasmType<A>::value...}, {}};
  Results<R>::types(t.results);
  return t;
}
ATOLL_API Result<void> check_signature(const runtime::FunctionObject& f, const FuncType& want);
}  // namespace detail

template <class Sig>
Result<TypedFunc<Sig>> Func::typed() const {
  Result<void> ok = detail::check_signature(*impl_, detail::signature_of(static_cast<Sig*>(nullptr)));
  if (!ok.ok()) return ok.take_error();
  TypedFunc<Sig> t;
  t.f_ = impl_;
  t.store_ = store_;
  return t;
}

// --- instances --------------------------------------------------------------------------------------
class ATOLL_API Instance {
 public:
  Result<Func> func(const std::string& name) const;
  template <class Sig>
  Result<TypedFunc<Sig>> func(const std::string& name) const {
    auto f = func(name);
    if (!f.ok()) return f.take_error();
    return f->typed<Sig>();
  }
  Result<Memory> memory(const std::string& name = "memory") const;
  Result<Global> global(const std::string& name) const;
  Result<Table> table(const std::string& name) const;
  std::vector<ExportType> exports() const;

  std::shared_ptr<runtime::Instance> impl_;
};

// Passed to host functions that take `Caller&` as their first parameter: the calling instance,
// for access to its memory.
class ATOLL_API Caller {
 public:
  Result<Memory> memory(const std::string& name = "memory") const;
  // Suspends the async call this host function runs in, handing `value` to the embedder; returns
  // when the call is resumed. An error (not in an async call, or the call is being cancelled)
  // must be returned by the host function.
  Result<void> suspend(uint64_t value = 0);
  // The calling store's state for `key` (Store::set_host_state), or null.
  void* host_state(const void* key) const;
  runtime::Instance* instance_ = nullptr;
};

// --- linking ----------------------------------------------------------------------------------------
namespace detail {
using RawHost = std::function<Result<void>(Caller&, uint64_t* slots)>;

template <class T>
struct ResultValue {
  using type = T;
};
template <class T>
struct ResultValue<Result<T>> {
  using type = T;
};

template <class F>
struct HostTraits : HostTraits<decltype(&std::decay_t<F>::operator())> {};
template <class C, class R, class... A>
struct HostTraits<R (C::*)(A...) const> : HostTraits<R (*)(A...)> {};
template <class C, class R, class... A>
struct HostTraits<R (C::*)(A...)> : HostTraits<R (*)(A...)> {};
template <class R, class... A>
struct HostTraits<R (*)(A...)> {
  using Ret = R;
  using Args = std::tuple<A...>;
};

// Whether a host callable's first parameter is `Caller&` (written so that a callable without
// parameters never names tuple_element 0).
template <class Tuple>
constexpr bool takes_caller() {
  if constexpr (std::tuple_size_v<Tuple> > 0) {
    return std::is_same_v<std::tuple_element_t<0, Tuple>, Caller&>;
  } else {
    return false;
  }
}

template <class F, class R, class Tuple, size_t... I>
RawHost wrap_host(F f, std::index_sequence<I...>) {
  return [f = std::move(f)](Caller& caller, uint64_t* slots) -> Result<void> {
    constexpr bool with_caller = takes_caller<Tuple>();
    auto invoke = [&]() -> decltype(auto) {
      if constexpr (with_caller) {
        return f(caller, from_slot<std::decay_t<std::tuple_element_t<I + 1, Tuple>>>(&slots[2 * I])...);
      } else {
        return f(from_slot<std::decay_t<std::tuple_element_t<I, Tuple>>>(&slots[2 * I])...);
      }
    };
    if constexpr (std::is_void_v<R>) {
      invoke();
      return {};
    } else if constexpr (std::is_same_v<R, Result<void>>) {
      return invoke();
    } else {
      auto r = invoke();
      if constexpr (std::is_same_v<R, typename ResultValue<R>::type>) {
        to_slot(slots, r);
      } else {
        if (!r.ok()) return r.take_error();
        to_slot(slots, r.value());
      }
      return {};
    }
  };
}

template <class Tuple, size_t Skip, size_t... I>
std::vector<ValType> param_types(std::index_sequence<I...>) {
  return {WasmType<std::decay_t<std::tuple_element_t<I + Skip, Tuple>>>::value...};
}
}  // namespace detail

// Resolves imports by (module, name). A Linker made for a store instantiates into it; one made
// without a store is defined once and instantiates into any store (`instantiate(store, module)`),
// from several threads at once as long as nothing is being defined meanwhile: the server
// pattern of a fresh store per request without redefining every host function each time.
class ATOLL_API Linker {
 public:
  Linker() = default;
  explicit Linker(Store& store) : store_(&store) {}
  Store* store() const { return store_; }

  // Defines a host function from a C++ callable. Its wasm signature comes from its C++ types:
  // parameters and result among int32_t/uint32_t, int64_t/uint64_t, float, double (a result may
  // also be void or atl::Result<T>, whose error traps the guest); an optional first parameter
  // `atl::Caller&` gives access to the calling instance.
  template <class F>
  void func(const std::string& module, const std::string& name, F&& f) {
    using Traits = detail::HostTraits<std::decay_t<F>>;
    using Args = typename Traits::Args;
    using R = typename Traits::Ret;
    constexpr size_t n = std::tuple_size_v<Args>;
    constexpr bool with_caller = detail::takes_caller<Args>();
    constexpr size_t skip = with_caller ? 1 : 0;
    FuncType type;
    type.params = detail::param_types<Args, skip>(std::make_index_sequence<n - skip>());
    using V = typename detail::ResultValue<R>::type;
    if constexpr (!std::is_void_v<V>) type.results.push_back(detail::WasmType<V>::value);
    define_host(module, name, std::move(type),
                detail::wrap_host<std::decay_t<F>, R, Args>(std::forward<F>(f),
                                                            std::make_index_sequence<n - skip>()));
  }
  // A host function with an explicit signature and raw 16-byte argument/result slots.
  void define_host(const std::string& module, const std::string& name, FuncType type, detail::RawHost fn);
  void define(const std::string& module, const std::string& name, const Func& f);
  void define(const std::string& module, const std::string& name, const Memory& m);
  void define(const std::string& module, const std::string& name, const Global& g);
  void define(const std::string& module, const std::string& name, const Table& t);
  // Every export of `instance`, under the module name `module`.
  void define_instance(const std::string& module, const Instance& instance);

  // Resolves the module's imports by (module, name), checks their types, and instantiates:
  // data and element segments, then the start function. Failures are Link or Trap errors.
  Result<Instance> instantiate(const Module& module);  // into the Linker's store
  Result<Instance> instantiate(Store& store, const Module& module) const;

 private:
  struct Definition;
  void add(const std::string& module, const std::string& name, runtime::Extern x);
  Store* store_ = nullptr;
  std::unordered_map<std::string, std::unordered_map<std::string, std::shared_ptr<Definition>>> defs_;
};

}  // namespace atl
