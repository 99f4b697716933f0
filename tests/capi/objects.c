// Host-made memories, globals and tables imported by a module and used from both sides;
// exported ones; serialize/deserialize; a start function; finalizers of host info.
#include "check.h"

static wasm_extern_t* find(const wasm_module_t* module, const wasm_extern_vec_t* exports, const char* name) {
  wasm_exporttype_vec_t types;
  wasm_module_exports(module, &types);
  wasm_extern_t* found = NULL;
  for (size_t i = 0; i < types.size; ++i) {
    const wasm_name_t* n = wasm_exporttype_name(types.data[i]);
    if (n->size == strlen(name) && memcmp(n->data, name, n->size) == 0) found = exports->data[i];
  }
  wasm_exporttype_vec_delete(&types);
  REQUIRE(found != NULL);
  return found;
}

static int32_t call_i32(wasm_func_t* f, int nargs, int32_t a, int32_t b, wasm_trap_t** trap) {
  wasm_val_t args[2] = {WASM_I32_VAL(a), WASM_I32_VAL(b)};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = {(size_t)nargs, args};
  wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
  *trap = wasm_func_call(f, &arg_vec, &result_vec);
  return results[0].of.i32;
}

static int logged = 0;
static wasm_trap_t* log_i32(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)results;
  logged = args->data[0].of.i32;
  return NULL;
}

static int info_freed = 0;
static void free_info(void* p) { info_freed += *(int*)p; }

int main(int argc, char** argv) {
  REQUIRE(argc == 3);
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  read_module(argv[1], &binary);
  wasm_module_t* module = wasm_module_new(store, &binary);
  REQUIRE(module != NULL);

  // The host's objects.
  wasm_limits_t mem_limits = {1, 4};
  wasm_memorytype_t* mt = wasm_memorytype_new(&mem_limits);
  wasm_memory_t* memory = wasm_memory_new(store, mt);
  wasm_memorytype_delete(mt);
  REQUIRE(memory != NULL);
  CHECK(wasm_memory_size(memory) == 1 && wasm_memory_data_size(memory) == 65536);
  wasm_memory_data(memory)[100] = 77;
  wasm_globaltype_t* gt = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_VAR);
  wasm_val_t init = WASM_I32_VAL(10);
  wasm_global_t* counter = wasm_global_new(store, gt, &init);
  wasm_globaltype_delete(gt);
  REQUIRE(counter != NULL);
  wasm_limits_t table_limits = {4, 8};
  wasm_tabletype_t* tt = wasm_tabletype_new(wasm_valtype_new_funcref(), &table_limits);
  wasm_table_t* table = wasm_table_new(store, tt, NULL);
  wasm_tabletype_delete(tt);
  REQUIRE(table != NULL);
  CHECK(wasm_table_size(table) == 4);
  CHECK(wasm_table_get(table, 0) == NULL);

  wasm_extern_t* imports[] = {wasm_memory_as_extern(memory), wasm_global_as_extern(counter), wasm_table_as_extern(table)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  wasm_trap_t* trap = NULL;
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, &trap);
  REQUIRE(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);

  // Memory: the guest reads what the host wrote and the other way round; growth on both sides.
  wasm_func_t* load = wasm_extern_as_func(find(module, &exports, "load"));
  wasm_func_t* store_fn = wasm_extern_as_func(find(module, &exports, "store"));
  CHECK(call_i32(load, 1, 100, 0, &trap) == 77 && trap == NULL);
  call_i32(store_fn, 2, 200, 55, &trap);
  CHECK(trap == NULL && wasm_memory_data(memory)[200] == 55);
  CHECK(wasm_memory_grow(memory, 1) && wasm_memory_size(memory) == 2);
  CHECK(!wasm_memory_grow(memory, 3));  // past the maximum of 4
  wasm_func_t* grow = wasm_extern_as_func(find(module, &exports, "grow"));
  CHECK(call_i32(grow, 1, 1, 0, &trap) == 2 && wasm_memory_size(memory) == 3);
  call_i32(load, 1, 3 * 65536, 0, &trap);  // out of bounds
  CHECK(trap != NULL);
  if (trap) wasm_trap_delete(trap);

  // Globals: the imported counter, an exported mutable i64 and an immutable f64.
  wasm_func_t* bump = wasm_extern_as_func(find(module, &exports, "bump"));
  CHECK(call_i32(bump, 0, 0, 0, &trap) == 11);
  wasm_val_t v;
  wasm_global_get(counter, &v);
  CHECK(v.kind == WASM_I32 && v.of.i32 == 11);
  wasm_val_t set = WASM_I32_VAL(100);
  wasm_global_set(counter, &set);
  CHECK(call_i32(bump, 0, 0, 0, &trap) == 101);
  wasm_global_t* g = wasm_extern_as_global(find(module, &exports, "g"));
  wasm_global_get(g, &v);
  CHECK(v.kind == WASM_I64 && v.of.i64 == 7);
  wasm_global_t* pi = wasm_extern_as_global(find(module, &exports, "pi"));
  wasm_globaltype_t* pit = wasm_global_type(pi);
  CHECK(wasm_globaltype_mutability(pit) == WASM_CONST);
  CHECK(wasm_valtype_kind(wasm_globaltype_content(pit)) == WASM_F64);
  wasm_globaltype_delete(pit);
  wasm_val_t f = WASM_F64_VAL(1.0);
  wasm_global_set(pi, &f);  // immutable: no effect
  wasm_global_get(pi, &v);
  CHECK(v.of.f64 == 3.5);

  // Tables: the module's element segment wrote the host's table; the host moves the function.
  wasm_ref_t* r = wasm_table_get(table, 0);
  REQUIRE(r != NULL);
  wasm_func_t* seven = wasm_ref_as_func(r);
  REQUIRE(seven != NULL);
  wasm_val_t res[1] = {WASM_INIT_VAL};
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  wasm_val_vec_t res_vec = WASM_ARRAY_VEC(res);
  trap = wasm_func_call(seven, &none, &res_vec);
  CHECK(trap == NULL && res[0].of.i32 == 7);
  wasm_func_t* call_host_table = wasm_extern_as_func(find(module, &exports, "call_host_table"));
  CHECK(wasm_table_set(table, 3, r));
  CHECK(call_i32(call_host_table, 1, 3, 0, &trap) == 7 && trap == NULL);
  CHECK(wasm_table_set(table, 3, NULL));
  call_i32(call_host_table, 1, 3, 0, &trap);  // null element
  CHECK(trap != NULL);
  if (trap) wasm_trap_delete(trap);
  CHECK(!wasm_table_set(table, 4, r));  // out of bounds
  CHECK(wasm_table_grow(table, 2, r) && wasm_table_size(table) == 6);
  CHECK(call_i32(call_host_table, 1, 5, 0, &trap) == 7 && trap == NULL);
  CHECK(!wasm_table_grow(table, 3, NULL));  // past 8
  wasm_ref_delete(r);
  // The exported table, and a function taken from the instance put into it.
  wasm_table_t* own_table = wasm_extern_as_table(find(module, &exports, "t"));
  wasm_tabletype_t* ott = wasm_table_type(own_table);
  CHECK(wasm_tabletype_limits(ott)->min == 2 && wasm_tabletype_limits(ott)->max == 10);
  wasm_tabletype_delete(ott);
  CHECK(wasm_table_set(own_table, 1, wasm_func_as_ref(bump)));
  wasm_func_t* call_own = wasm_extern_as_func(find(module, &exports, "call_own_table"));
  CHECK(call_i32(call_own, 1, 1, 0, &trap) == 102);
  // A host function cannot become a funcref value before a module imports it: refused.
  wasm_functype_t* lt = wasm_functype_new_1_0(wasm_valtype_new_i32());
  wasm_func_t* log_fn = wasm_func_new(store, lt, log_i32);
  wasm_functype_delete(lt);
  CHECK(!wasm_table_set(own_table, 0, wasm_func_as_ref(log_fn)));

  // Host info with a finalizer, on an object and shared by its copies.
  static int info = 3;
  wasm_foreign_t* foreign = wasm_foreign_new(store);
  wasm_foreign_set_host_info_with_finalizer(foreign, &info, free_info);
  wasm_foreign_t* fcopy = wasm_foreign_copy(foreign);
  CHECK(wasm_foreign_get_host_info(fcopy) == &info);
  CHECK(wasm_foreign_same(foreign, fcopy));
  wasm_foreign_delete(foreign);
  CHECK(info_freed == 0);
  wasm_foreign_delete(fcopy);
  CHECK(info_freed == 3);

  // Serialize, deserialize: the same module; junk is refused.
  wasm_byte_vec_t serialized;
  wasm_module_serialize(module, &serialized);
  CHECK(serialized.size > 0);
  wasm_module_t* again = wasm_module_deserialize(store, &serialized);
  REQUIRE(again != NULL);
  wasm_exporttype_vec_t a, b;
  wasm_module_exports(module, &a);
  wasm_module_exports(again, &b);
  CHECK(a.size == b.size);
  wasm_exporttype_vec_delete(&a);
  wasm_exporttype_vec_delete(&b);
  serialized.data[serialized.size / 2] ^= 0x55;
  CHECK(wasm_module_deserialize(store, &serialized) == NULL);
  wasm_byte_vec_delete(&serialized);
  wasm_module_delete(again);
  // Shared with another store of the engine.
  wasm_shared_module_t* shared = wasm_module_share(module);
  wasm_store_t* store2 = wasm_store_new(engine);
  wasm_module_t* obtained = wasm_module_obtain(store2, shared);
  CHECK(obtained != NULL);
  wasm_module_delete(obtained);
  wasm_shared_module_delete(shared);
  wasm_store_delete(store2);

  // A start function runs during instantiation and may call the host.
  wasm_byte_vec_t start_bin;
  read_module(argv[2], &start_bin);
  wasm_module_t* start = wasm_module_new(store, &start_bin);
  REQUIRE(start != NULL);
  wasm_extern_t* start_imports[] = {wasm_func_as_extern(log_fn)};
  wasm_extern_vec_t start_vec = WASM_ARRAY_VEC(start_imports);
  wasm_instance_t* started = wasm_instance_new(store, start, &start_vec, &trap);
  REQUIRE(started != NULL);
  CHECK(logged == 99);
  wasm_extern_vec_t sx;
  wasm_instance_exports(started, &sx);
  wasm_global_get(wasm_extern_as_global(sx.data[0]), &v);
  CHECK(v.of.i32 == 1);
  wasm_extern_vec_delete(&sx);
  wasm_instance_delete(started);
  wasm_module_delete(start);
  wasm_byte_vec_delete(&start_bin);

  wasm_func_delete(log_fn);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_memory_delete(memory);
  wasm_global_delete(counter);
  wasm_table_delete(table);
  wasm_module_delete(module);
  wasm_byte_vec_delete(&binary);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return finish("objects");
}
