// exnref through the C API (atoll_c.h: ATOLL_EXNREF): an exception a guest caught as an exnref
// comes back as a reference of that kind, from a call and from a global, and can be given back
// to its own store; a foreign reference or another store's exnref is refused, never trusted.
#include <atoll_c.h>

#include "check.h"

// (tag $t (param i32)) (global $kept (export "kept") (mut exnref) (ref.null exn))
// catch_it: () -> exnref       throws 42 and returns it, caught by catch_all_ref
// inspect: (exnref) -> i32     throw_ref of it, caught by a plain catch: the payload
// keep: () -> i32              catch_it into $kept, inspect it twice: 84
// Written byte by byte: Debian's wabt has no try_table (the same module as
// tests/unit/runtime/exceptions_test.cpp's, without pin_many).
static const unsigned char kModule[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x17, 0x05, 0x60, 0x00, 0x01, 0x69, 0x60,
    0x01, 0x7f, 0x00, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x69, 0x01,
    0x7f, 0x03, 0x04, 0x03, 0x00, 0x04, 0x02, 0x0d, 0x03, 0x01, 0x00, 0x01, 0x06, 0x06, 0x01, 0x69,
    0x01, 0xd0, 0x69, 0x0b, 0x07, 0x24, 0x04, 0x08, 0x63, 0x61, 0x74, 0x63, 0x68, 0x5f, 0x69, 0x74,
    0x00, 0x00, 0x07, 0x69, 0x6e, 0x73, 0x70, 0x65, 0x63, 0x74, 0x00, 0x01, 0x04, 0x6b, 0x65, 0x65,
    0x70, 0x00, 0x02, 0x04, 0x6b, 0x65, 0x70, 0x74, 0x03, 0x00, 0x0a, 0x33, 0x03, 0x10, 0x00, 0x02,
    0x69, 0x1f, 0x40, 0x01, 0x03, 0x00, 0x41, 0x2a, 0x08, 0x00, 0x0b, 0x00, 0x0b, 0x0b, 0x10, 0x00,
    0x02, 0x7f, 0x1f, 0x40, 0x01, 0x00, 0x00, 0x00, 0x20, 0x00, 0x0a, 0x0b, 0x00, 0x0b, 0x0b, 0x0f,
    0x00, 0x10, 0x00, 0x24, 0x00, 0x23, 0x00, 0x10, 0x01, 0x23, 0x00, 0x10, 0x01, 0x6a, 0x0b,
};

static wasm_trap_t* call1(wasm_func_t* f, wasm_val_t* arg, wasm_val_t* result) {
  wasm_val_vec_t args = {arg ? 1 : 0, arg};
  wasm_val_vec_t results = {1, result};
  return wasm_func_call(f, &args, &results);
}

static wasm_instance_t* instantiate(wasm_store_t* store, wasm_extern_vec_t* exports) {
  wasm_byte_vec_t binary;
  wasm_byte_vec_new(&binary, sizeof kModule, (const char*)kModule);
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  REQUIRE(module != NULL);
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module, &none, NULL);
  REQUIRE(instance != NULL);
  wasm_module_delete(module);
  wasm_instance_exports(instance, exports);
  REQUIRE(exports->size == 4);
  return instance;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_store_t* other = wasm_store_new(engine);
  wasm_extern_vec_t exports, other_exports;
  wasm_instance_t* instance = instantiate(store, &exports);
  wasm_instance_t* other_instance = instantiate(other, &other_exports);
  wasm_func_t* catch_it = wasm_extern_as_func(exports.data[0]);
  wasm_func_t* inspect = wasm_extern_as_func(exports.data[1]);
  wasm_func_t* keep = wasm_extern_as_func(exports.data[2]);
  wasm_global_t* kept = wasm_extern_as_global(exports.data[3]);
  wasm_func_t* other_inspect = wasm_extern_as_func(other_exports.data[1]);
  REQUIRE(catch_it && inspect && keep && kept && other_inspect);

  // The types say exnref.
  wasm_functype_t* type = wasm_func_type(catch_it);
  const wasm_valtype_vec_t* results = wasm_functype_results(type);
  CHECK(results->size == 1 && wasm_valtype_kind(results->data[0]) == ATOLL_EXNREF);
  wasm_functype_delete(type);

  wasm_val_t exn = WASM_INIT_VAL;
  wasm_trap_t* trap = call1(catch_it, NULL, &exn);
  REQUIRE(trap == NULL);
  CHECK(exn.kind == ATOLL_EXNREF && exn.of.ref != NULL);
  for (int i = 0; i < 2; ++i) {
    wasm_val_t r = WASM_INIT_VAL;
    trap = call1(inspect, &exn, &r);
    CHECK(trap == NULL && r.of.i32 == 42);
    if (trap) wasm_trap_delete(trap);
  }

  wasm_val_t r = WASM_INIT_VAL;
  trap = call1(keep, NULL, &r);
  CHECK(trap == NULL && r.of.i32 == 84);
  wasm_val_t g = WASM_INIT_VAL;
  wasm_global_get(kept, &g);
  CHECK(g.kind == ATOLL_EXNREF && g.of.ref != NULL);
  trap = call1(inspect, &g, &r);
  CHECK(trap == NULL && r.of.i32 == 42);
  wasm_val_delete(&g);

  // Not from this store, or not an exception at all: refused.
  trap = call1(other_inspect, &exn, &r);
  CHECK(trap != NULL);
  if (trap) wasm_trap_delete(trap);
  wasm_foreign_t* foreign = wasm_foreign_new(store);
  wasm_val_t forged = {.kind = ATOLL_EXNREF, .of = {.ref = wasm_foreign_as_ref(foreign)}};
  trap = call1(inspect, &forged, &r);
  CHECK(trap != NULL);
  if (trap) wasm_trap_delete(trap);
  wasm_foreign_delete(foreign);

  wasm_val_delete(&exn);
  wasm_extern_vec_delete(&exports);
  wasm_extern_vec_delete(&other_exports);
  wasm_instance_delete(instance);
  wasm_instance_delete(other_instance);
  wasm_store_delete(store);
  wasm_store_delete(other);
  wasm_engine_delete(engine);
  if (failures) return 1;
  printf("exnref through the C API: ok\n");
  return 0;
}
