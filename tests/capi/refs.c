// Host references through wasm (externref in tables, globals, parameters and results) come back
// as the same object; function references returned by wasm are callable.
#include "check.h"

int main(int argc, char** argv) {
  REQUIRE(argc == 2);
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  read_module(argv[1], &binary);
  wasm_module_t* module = wasm_module_new(store, &binary);
  REQUIRE(module != NULL);
  wasm_extern_vec_t none_imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module, &none_imports, NULL);
  REQUIRE(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  REQUIRE(exports.size == 6);
  wasm_table_t* refs = wasm_extern_as_table(exports.data[0]);
  wasm_global_t* last = wasm_extern_as_global(exports.data[1]);
  wasm_func_t* keep = wasm_extern_as_func(exports.data[2]);
  wasm_func_t* is_null = wasm_extern_as_func(exports.data[3]);
  wasm_func_t* get_f = wasm_extern_as_func(exports.data[5]);
  REQUIRE(refs && last && keep && is_null && get_f);

  static int tag = 1;
  wasm_foreign_t* foreign = wasm_foreign_new(store);
  wasm_foreign_set_host_info(foreign, &tag);
  wasm_val_t args[1] = {WASM_REF_VAL(wasm_foreign_as_ref(foreign))};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
  wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
  wasm_trap_t* trap = wasm_func_call(keep, &arg_vec, &result_vec);
  CHECK(trap == NULL);
  REQUIRE(results[0].of.ref != NULL);
  CHECK(wasm_ref_same(results[0].of.ref, wasm_foreign_as_ref(foreign)));
  CHECK(wasm_ref_get_host_info(results[0].of.ref) == &tag);
  wasm_val_delete(&results[0]);
  wasm_ref_t* in_table = wasm_table_get(refs, 0);
  CHECK(in_table && wasm_ref_same(in_table, wasm_foreign_as_ref(foreign)));
  if (in_table) wasm_ref_delete(in_table);
  wasm_val_t g;
  wasm_global_get(last, &g);
  CHECK(g.of.ref && wasm_ref_same(g.of.ref, wasm_foreign_as_ref(foreign)));
  wasm_val_delete(&g);
  trap = wasm_func_call(is_null, &arg_vec, &result_vec);
  CHECK(trap == NULL && results[0].of.i32 == 0);
  wasm_val_t null_arg[1] = {WASM_REF_VAL(NULL)};
  wasm_val_vec_t null_vec = WASM_ARRAY_VEC(null_arg);
  trap = wasm_func_call(is_null, &null_vec, &result_vec);
  CHECK(trap == NULL && results[0].of.i32 == 1);

  // A funcref result is a function of the instance.
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  trap = wasm_func_call(get_f, &none, &result_vec);
  CHECK(trap == NULL);
  REQUIRE(results[0].kind == WASM_FUNCREF && results[0].of.ref != NULL);
  wasm_func_t* f = wasm_ref_as_func(results[0].of.ref);
  REQUIRE(f != NULL);
  wasm_val_t r42[1] = {WASM_INIT_VAL};
  wasm_val_vec_t r42_vec = WASM_ARRAY_VEC(r42);
  trap = wasm_func_call(f, &none, &r42_vec);
  CHECK(trap == NULL && r42[0].of.i32 == 42);
  CHECK(wasm_func_same(f, wasm_extern_as_func(exports.data[4])));
  wasm_val_delete(&results[0]);

  wasm_foreign_delete(foreign);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_byte_vec_delete(&binary);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return finish("refs");
}
