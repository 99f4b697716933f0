// atoll's extensions to the standard C API (wasm.h): what the standard leaves out. Compile
// settings, interruption (epochs, fuel), store limits, pooling, trap codes, and WASI preview1.
// Like wasm.h, implemented in libatoll.so; see docs/C_API.md.
#ifndef ATOLL_C_H
#define ATOLL_C_H

#include <wasm.h>

#ifdef __cplusplus
extern "C" {
#endif

// --- engine configuration (before wasm_engine_new_with_config) -------------------------------------

// 0..3 (default 2); false for a level out of range.
WASM_API_EXTERN bool atoll_config_opt_level_set(wasm_config_t*, int level);
// Explicit bounds checks on every access instead of guard pages (dense packing; default off).
WASM_API_EXTERN void atoll_config_bounds_checks_explicit_set(wasm_config_t*, bool);
// "x86-64", "x86-64-v2" (default), "x86-64-v3", "x86-64-v4" or "native"; false otherwise.
WASM_API_EXTERN bool atoll_config_target_cpu_set(wasm_config_t*, const char* cpu);
// Epoch checks compiled in (atoll_engine_increment_epoch, atoll_store_set_epoch_deadline).
WASM_API_EXTERN void atoll_config_epoch_interruption_set(wasm_config_t*, bool);
// Fuel metering compiled in (atoll_store_set_fuel).
WASM_API_EXTERN void atoll_config_consume_fuel_set(wasm_config_t*, bool);
// WebAssembly proposals beyond 2.0 (on by default), as Wasmtime's wasmtime_config_wasm_*_set.
WASM_API_EXTERN void atoll_config_wasm_extended_const_set(wasm_config_t*, bool);
// Bytes of guest stack (default 1 MiB); exhausting it is a trap.
WASM_API_EXTERN void atoll_config_max_wasm_stack_set(wasm_config_t*, size_t bytes);
// Pooling: linear-memory slots reserved up front (0: none, the default) and the most live
// instances across the engine's stores (0: unlimited).
WASM_API_EXTERN void atoll_config_memory_pool_slots_set(wasm_config_t*, uint32_t slots);
WASM_API_EXTERN void atoll_config_pool_instances_set(wasm_config_t*, uint32_t instances);
// A budget for compiling untrusted modules (a worker process killed past it; 0: none).
WASM_API_EXTERN void atoll_config_compile_budget_set(wasm_config_t*, uint32_t timeout_ms, uint64_t memory_bytes);

// --- values -------------------------------------------------------------------------------------

// exnref (exception handling): an exception the guest caught with catch_ref / catch_all_ref,
// returned to the host as a wasm_ref_t of this kind. It can only be given back to the store it
// came from (a call refuses any other), and is valid while that store lives.
#define ATOLL_EXNREF ((wasm_valkind_t)130)

// --- interruption and limits -------------------------------------------------------------------

// Safe from any thread (a timer, typically).
WASM_API_EXTERN void atoll_engine_increment_epoch(wasm_engine_t*);
// Guest code traps once the engine's epoch is `ticks` past its value now.
WASM_API_EXTERN void atoll_store_set_epoch_deadline(wasm_store_t*, uint64_t ticks);
WASM_API_EXTERN void atoll_store_set_fuel(wasm_store_t*, uint64_t fuel);
WASM_API_EXTERN uint64_t atoll_store_get_fuel(const wasm_store_t*);
// Caps for the store's memories (bytes each), tables (elements each) and instances.
WASM_API_EXTERN void atoll_store_set_limits(wasm_store_t*, uint64_t max_memory_bytes, uint32_t max_table_elements,
                                            uint32_t max_instances);

// --- traps -------------------------------------------------------------------------------------

// What ended the guest, for traps raised by wasm code or by atoll (a host callback's trap is
// ATOLL_TRAP_HOST_ERROR); false for a trap made by wasm_trap_new and not passed through wasm.
typedef uint8_t atoll_trap_code_t;
enum atoll_trap_code_enum {
  ATOLL_TRAP_UNREACHABLE = 1,
  ATOLL_TRAP_MEMORY_OUT_OF_BOUNDS = 2,
  ATOLL_TRAP_TABLE_OUT_OF_BOUNDS = 3,
  ATOLL_TRAP_INDIRECT_CALL_NULL = 4,
  ATOLL_TRAP_INDIRECT_CALL_TYPE_MISMATCH = 5,
  ATOLL_TRAP_INTEGER_DIVIDE_BY_ZERO = 6,
  ATOLL_TRAP_INTEGER_OVERFLOW = 7,
  ATOLL_TRAP_INVALID_CONVERSION = 8,
  ATOLL_TRAP_STACK_EXHAUSTED = 9,
  ATOLL_TRAP_HOST_ERROR = 10,
  ATOLL_TRAP_INTERRUPTED = 11,
  ATOLL_TRAP_OUT_OF_FUEL = 12,
  ATOLL_TRAP_INDIRECT_CALL_OUT_OF_BOUNDS = 13,
};
WASM_API_EXTERN bool atoll_trap_code(const wasm_trap_t*, atoll_trap_code_t* out);

// --- WASI preview1 -----------------------------------------------------------------------------

typedef struct atoll_wasi_config_t atoll_wasi_config_t;
WASM_API_EXTERN atoll_wasi_config_t* atoll_wasi_config_new(void);
WASM_API_EXTERN void atoll_wasi_config_delete(atoll_wasi_config_t*);
// The guest's arguments (argv[0] first) and environment ("KEY=VALUE"), copied.
WASM_API_EXTERN void atoll_wasi_config_set_argv(atoll_wasi_config_t*, size_t argc, const char* const argv[]);
WASM_API_EXTERN void atoll_wasi_config_set_env(atoll_wasi_config_t*, size_t count, const char* const env[]);
// A host directory the guest sees as `guest_path`: the only files it can reach.
WASM_API_EXTERN void atoll_wasi_config_preopen_dir(atoll_wasi_config_t*, const char* host_path, const char* guest_path);
// stdin from these bytes instead of the host's (copied).
WASM_API_EXTERN void atoll_wasi_config_set_stdin_bytes(atoll_wasi_config_t*, const wasm_byte_vec_t* bytes);

// Instantiates a module whose imports are all wasi_snapshot_preview1 functions, with a WASI
// context made from `config` (taken over) for the store. On failure NULL and, if asked, a trap
// saying why (an unknown import, a preopen that cannot be opened). Call its "_start" export.
WASM_API_EXTERN wasm_instance_t* atoll_wasi_instance_new(wasm_store_t*, const wasm_module_t*,
                                                         atoll_wasi_config_t* config, wasm_trap_t** trap);
// The status the store's WASI guest passed to proc_exit (its trap ends the _start call), if any.
WASM_API_EXTERN bool atoll_wasi_exit_code(const wasm_store_t*, int* code);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // ATOLL_C_H
