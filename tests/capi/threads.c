// One engine and one module shared by threads, each with its own store and instance.
#include <pthread.h>

#include "check.h"

#define THREADS 4
#define CALLS 1000

static wasm_engine_t* engine;
static wasm_shared_module_t* shared;
static int results[THREADS];

static wasm_trap_t* add(const wasm_val_vec_t* args, wasm_val_vec_t* out) {
  out->data[0].kind = WASM_I32;
  out->data[0].of.i32 = args->data[0].of.i32 + args->data[1].of.i32;
  return NULL;
}
static wasm_trap_t* nothing(const wasm_val_vec_t* args, wasm_val_vec_t* out) {
  (void)args;
  (void)out;
  return NULL;
}

static void* run(void* arg) {
  const int id = (int)(intptr_t)arg;
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = wasm_module_obtain(store, shared);
  wasm_functype_t* t = wasm_functype_new_2_1(wasm_valtype_new_i32(), wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t* f = wasm_func_new(store, t, add);
  wasm_functype_delete(t);
  wasm_functype_t* t0 = wasm_functype_new_0_0();
  wasm_func_t* g = wasm_func_new(store, t0, nothing);
  wasm_functype_delete(t0);
  wasm_extern_t* imports[] = {wasm_func_as_extern(f), wasm_func_as_extern(g)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, NULL);
  int sum = 0;
  if (instance) {
    wasm_extern_vec_t exports;
    wasm_instance_exports(instance, &exports);
    wasm_func_t* twice_add = wasm_extern_as_func(exports.data[0]);
    for (int i = 0; i < CALLS; ++i) {
      wasm_val_t args[2] = {WASM_I32_VAL(id), WASM_I32_VAL(i)};
      wasm_val_t res[1] = {WASM_INIT_VAL};
      wasm_val_vec_t a = WASM_ARRAY_VEC(args);
      wasm_val_vec_t r = WASM_ARRAY_VEC(res);
      wasm_trap_t* trap = wasm_func_call(twice_add, &a, &r);
      if (trap) {
        wasm_trap_delete(trap);
        break;
      }
      sum += res[0].of.i32;
    }
    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(instance);
  }
  results[id] = sum;
  wasm_func_delete(f);
  wasm_func_delete(g);
  wasm_module_delete(module);
  wasm_store_delete(store);
  return NULL;
}

int main(int argc, char** argv) {
  REQUIRE(argc == 2);
  engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  read_module(argv[1], &binary);
  wasm_module_t* module = wasm_module_new(store, &binary);
  REQUIRE(module != NULL);
  shared = wasm_module_share(module);
  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; ++i) REQUIRE(pthread_create(&threads[i], NULL, run, (void*)(intptr_t)i) == 0);
  for (int i = 0; i < THREADS; ++i) pthread_join(threads[i], NULL);
  for (int i = 0; i < THREADS; ++i) {
    // sum over k of 2 * (id + k)
    const int expected = 2 * (i * CALLS + CALLS * (CALLS - 1) / 2);
    CHECK(results[i] == expected);
  }
  wasm_shared_module_delete(shared);
  wasm_module_delete(module);
  wasm_byte_vec_delete(&binary);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return finish("threads");
}
