// atoll_c.h: atoll's extensions to wasm.h (configuration, interruption, limits, trap codes,
// WASI preview1).
#include <cstring>

#include "atoll_c.h"
#include "capi/capi.h"

struct atoll_wasi_config_t {
  atl::wasi::Config config;
};

extern "C" {

// --- configuration ---------------------------------------------------------------------------------
bool atoll_config_opt_level_set(wasm_config_t* c, int level) {
  if (level < 0 || level > 3) return false;
  c->config.opt_level = level;
  return true;
}
void atoll_config_bounds_checks_explicit_set(wasm_config_t* c, bool on) {
  c->config.bounds = on ? atl::BoundsChecks::Explicit : atl::BoundsChecks::GuardPages;
}
bool atoll_config_target_cpu_set(wasm_config_t* c, const char* cpu) {
  static const char* const kKnown[] = {"x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4", "native"};
  for (const char* k : kKnown) {
    if (cpu && std::strcmp(cpu, k) == 0) {
      c->config.target_cpu = cpu;
      return true;
    }
  }
  return false;
}
void atoll_config_epoch_interruption_set(wasm_config_t* c, bool on) { c->config.epoch_interruption = on; }
void atoll_config_consume_fuel_set(wasm_config_t* c, bool on) { c->config.consume_fuel = on; }
void atoll_config_wasm_extended_const_set(wasm_config_t* c, bool on) { c->config.features.extended_const = on; }
void atoll_config_max_wasm_stack_set(wasm_config_t* c, size_t bytes) { c->config.max_wasm_stack = bytes; }
void atoll_config_memory_pool_slots_set(wasm_config_t* c, uint32_t slots) { c->config.memory_pool_slots = slots; }
void atoll_config_pool_instances_set(wasm_config_t* c, uint32_t n) { c->config.pool_instances = n; }
void atoll_config_compile_budget_set(wasm_config_t* c, uint32_t timeout_ms, uint64_t memory_bytes) {
  c->config.compile_timeout_ms = timeout_ms;
  c->config.compile_memory_limit = memory_bytes;
}

// --- interruption and limits -----------------------------------------------------------------------
void atoll_engine_increment_epoch(wasm_engine_t* e) { e->engine.increment_epoch(); }
void atoll_store_set_epoch_deadline(wasm_store_t* s, uint64_t ticks) { s->store.set_epoch_deadline(ticks); }
void atoll_store_set_fuel(wasm_store_t* s, uint64_t fuel) { s->store.set_fuel(fuel); }
uint64_t atoll_store_get_fuel(const wasm_store_t* s) { return s->store.fuel(); }
void atoll_store_set_limits(wasm_store_t* s, uint64_t max_memory_bytes, uint32_t max_table_elements,
                            uint32_t max_instances) {
  atl::Store::Limits l;
  l.max_memory_bytes = max_memory_bytes;
  l.max_table_elements = max_table_elements;
  l.max_instances = max_instances;
  s->store.set_limits(std::move(l));
}

// --- traps -----------------------------------------------------------------------------------------
bool atoll_trap_code(const wasm_trap_t* t, atoll_trap_code_t* out) {
  if (t->code == 0) return false;
  *out = static_cast<atoll_trap_code_t>(t->code);
  return true;
}

// --- WASI ------------------------------------------------------------------------------------------
atoll_wasi_config_t* atoll_wasi_config_new(void) { return new atoll_wasi_config_t; }
void atoll_wasi_config_delete(atoll_wasi_config_t* c) { delete c; }
void atoll_wasi_config_set_argv(atoll_wasi_config_t* c, size_t argc, const char* const argv[]) {
  c->config.args.assign(argv, argv + argc);
}
void atoll_wasi_config_set_env(atoll_wasi_config_t* c, size_t count, const char* const env[]) {
  c->config.env.assign(env, env + count);
}
void atoll_wasi_config_preopen_dir(atoll_wasi_config_t* c, const char* host_path, const char* guest_path) {
  c->config.preopens.push_back(atl::wasi::Preopen{host_path, guest_path});
}
void atoll_wasi_config_set_stdin_bytes(atoll_wasi_config_t* c, const wasm_byte_vec_t* bytes) {
  c->config.stdin_data = std::string(bytes->data, bytes->size);
}

wasm_instance_t* atoll_wasi_instance_new(wasm_store_t* s, const wasm_module_t* m, atoll_wasi_config_t* config,
                                         wasm_trap_t** trap) {
  if (trap) *trap = nullptr;
  const atl::wasi::Config wc = config ? config->config : atl::wasi::Config{};
  delete config;
  atl::Linker linker(s->store);
  auto ctx = atl::wasi::add_to_linker(linker, wc);
  if (!ctx.ok()) {
    if (trap) *trap = atl::capi::make_trap(ctx.error());
    return nullptr;
  }
  s->wasi = std::move(ctx.value());
  auto inst = linker.instantiate(m->module);
  if (!inst.ok()) {
    if (trap) *trap = atl::capi::make_trap(inst.error());
    return nullptr;
  }
  return new wasm_instance_t(s, std::move(inst.value()));
}

bool atoll_wasi_exit_code(const wasm_store_t* s, int* code) {
  if (!s->wasi) return false;
  const std::optional<int> c = atl::wasi::exit_code(*s->wasi);
  if (!c) return false;
  *code = *c;
  return true;
}

}  // extern "C"
