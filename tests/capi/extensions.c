// atoll's extensions to wasm.h: epoch deadlines and fuel with their trap codes, store limits,
// compile settings, and a WASI command with arguments, environment, stdin and a preopen.
#define _POSIX_C_SOURCE 200809L  // mkdtemp
#include <stdlib.h>
#include <unistd.h>

#include <atoll_c.h>

#include "check.h"

static wasm_func_t* nth_func(wasm_extern_vec_t* exports, size_t i) { return wasm_extern_as_func(exports->data[i]); }

static void interruption(const char* spin_path) {
  wasm_config_t* config = wasm_config_new();
  CHECK(!atoll_config_opt_level_set(config, 4));
  CHECK(atoll_config_opt_level_set(config, 1));
  CHECK(!atoll_config_target_cpu_set(config, "pentium"));
  CHECK(atoll_config_target_cpu_set(config, "x86-64-v2"));
  atoll_config_epoch_interruption_set(config, true);
  atoll_config_consume_fuel_set(config, true);
  wasm_engine_t* engine = wasm_engine_new_with_config(config);
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  read_module(spin_path, &binary);
  wasm_module_t* module = wasm_module_new(store, &binary);
  REQUIRE(module != NULL);
  atoll_store_set_fuel(store, 1000000000);
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module, &none, NULL);
  REQUIRE(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);

  // An epoch deadline ends an endless loop with its trap code.
  atoll_store_set_epoch_deadline(store, 1);
  atoll_engine_increment_epoch(engine);
  wasm_val_vec_t no_args = WASM_EMPTY_VEC, no_results = WASM_EMPTY_VEC;
  wasm_trap_t* trap = wasm_func_call(nth_func(&exports, 0), &no_args, &no_results);
  REQUIRE(trap != NULL);
  atoll_trap_code_t code = 0;
  CHECK(atoll_trap_code(trap, &code) && code == ATOLL_TRAP_INTERRUPTED);
  wasm_trap_delete(trap);

  // Fuel: a counted loop consumes some; too little fuel traps with its code.
  atoll_store_set_epoch_deadline(store, 1000000);
  atoll_store_set_fuel(store, 100000);
  wasm_val_t args[1] = {WASM_I32_VAL(100)};
  wasm_val_t res[1] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args), res_vec = WASM_ARRAY_VEC(res);
  trap = wasm_func_call(nth_func(&exports, 1), &arg_vec, &res_vec);
  CHECK(trap == NULL);
  const uint64_t left = atoll_store_get_fuel(store);
  CHECK(left < 100000 && left > 90000);
  atoll_store_set_fuel(store, 50);
  trap = wasm_func_call(nth_func(&exports, 1), &arg_vec, &res_vec);
  REQUIRE(trap != NULL);
  CHECK(atoll_trap_code(trap, &code) && code == ATOLL_TRAP_OUT_OF_FUEL);
  wasm_trap_delete(trap);

  // A trap the host makes has no code.
  wasm_message_t m;
  wasm_name_new_from_string_nt(&m, "mine");
  trap = wasm_trap_new(store, &m);
  wasm_byte_vec_delete(&m);
  CHECK(!atoll_trap_code(trap, &code));
  wasm_trap_delete(trap);

  // Store limits: memory growth past the cap fails (-1), below it succeeds.
  atoll_store_set_fuel(store, 1000000);
  atoll_store_set_limits(store, 4 * 65536, 1000, 10);
  wasm_val_t grow_args[1] = {WASM_I32_VAL(8)};
  wasm_val_vec_t grow_vec = WASM_ARRAY_VEC(grow_args);
  trap = wasm_func_call(nth_func(&exports, 3), &grow_vec, &res_vec);
  CHECK(trap == NULL && res[0].of.i32 == -1);
  grow_args[0].of.i32 = 2;
  trap = wasm_func_call(nth_func(&exports, 3), &grow_vec, &res_vec);
  CHECK(trap == NULL && res[0].of.i32 == 1);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_byte_vec_delete(&binary);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

static void wasi(const char* guest_path) {
  char dir[] = "/tmp/atoll-capi-XXXXXX";
  REQUIRE(mkdtemp(dir) != NULL);
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  read_module(guest_path, &binary);
  wasm_module_t* module = wasm_module_new(store, &binary);
  REQUIRE(module != NULL);

  atoll_wasi_config_t* wc = atoll_wasi_config_new();
  const char* argv[] = {"guest", "one", "two"};
  atoll_wasi_config_set_argv(wc, 3, argv);
  const char* env[] = {"COLOR=teal"};
  atoll_wasi_config_set_env(wc, 1, env);
  atoll_wasi_config_preopen_dir(wc, dir, "/out");
  wasm_byte_vec_t input;
  wasm_byte_vec_new(&input, 5, "input");
  atoll_wasi_config_set_stdin_bytes(wc, &input);
  wasm_byte_vec_delete(&input);
  wasm_trap_t* trap = NULL;
  wasm_instance_t* instance = atoll_wasi_instance_new(store, module, wc, &trap);
  REQUIRE(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_exporttype_vec_t types;
  wasm_module_exports(module, &types);
  wasm_func_t* start = NULL;
  for (size_t i = 0; i < types.size; ++i) {
    const wasm_name_t* n = wasm_exporttype_name(types.data[i]);
    if (n->size == 6 && memcmp(n->data, "_start", 6) == 0) start = wasm_extern_as_func(exports.data[i]);
  }
  REQUIRE(start != NULL);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  trap = wasm_func_call(start, &none, &none);
  CHECK(trap != NULL);  // proc_exit ends the call
  if (trap) wasm_trap_delete(trap);
  int status = -1;
  CHECK(atoll_wasi_exit_code(store, &status) && status == 7);

  char path[256];
  snprintf(path, sizeof path, "%s/result.txt", dir);
  FILE* f = fopen(path, "r");
  REQUIRE(f != NULL);
  char buf[256] = {0};
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  CHECK(strcmp(buf, "guest;one;two;COLOR=teal;input") == 0);
  unlink(path);
  rmdir(dir);

  // A preopen that does not exist: no instance, a trap saying why.
  wasm_store_t* store2 = wasm_store_new(engine);
  wasm_module_t* module2 = wasm_module_new(store2, &binary);
  atoll_wasi_config_t* bad = atoll_wasi_config_new();
  atoll_wasi_config_preopen_dir(bad, "/nonexistent/atoll-capi", "/x");
  trap = NULL;
  CHECK(atoll_wasi_instance_new(store2, module2, bad, &trap) == NULL);
  CHECK(trap != NULL);
  if (trap) wasm_trap_delete(trap);
  wasm_module_delete(module2);
  wasm_store_delete(store2);

  wasm_exporttype_vec_delete(&types);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_byte_vec_delete(&binary);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

// Proposals beyond 2.0: a global initialised with i32.add (extended constants) validates by default
// and not once the proposal is turned off.
static void proposals(void) {
  static const char kModule[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x06, 0x09, 0x01,
                                 0x7f, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6a, 0x0b};
  wasm_byte_vec_t binary;
  wasm_byte_vec_new(&binary, sizeof kModule, kModule);
  for (int on = 0; on <= 1; ++on) {
    wasm_config_t* config = wasm_config_new();
    if (!on) atoll_config_wasm_extended_const_set(config, false);
    wasm_engine_t* engine = wasm_engine_new_with_config(config);
    wasm_store_t* store = wasm_store_new(engine);
    CHECK(wasm_module_validate(store, &binary) == (on == 1));
    wasm_module_t* module = wasm_module_new(store, &binary);
    CHECK((module != NULL) == (on == 1));
    if (module) wasm_module_delete(module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
  }
  wasm_byte_vec_delete(&binary);
}

int main(int argc, char** argv) {
  REQUIRE(argc == 3);
  proposals();
  interruption(argv[1]);
  wasi(argv[2]);
  return finish("extensions");
}
