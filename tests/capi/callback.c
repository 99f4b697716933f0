// Host callbacks (with and without an environment, finalizers), calls with several results,
// traps with their messages and frames, reflection of imports and exports, wrong calls refused.
#include "check.h"

static int finalized = 0;
static void finalize(void* env) { finalized += *(int*)env; }

static wasm_trap_t* add(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  int* calls = (int*)env;
  ++*calls;
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = args->data[0].of.i32 + args->data[1].of.i32;
  return NULL;
}

static wasm_store_t* g_store;
static wasm_trap_t* fail(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  (void)results;
  wasm_message_t m;
  wasm_name_new_from_string_nt(&m, "callback said no");
  wasm_trap_t* t = wasm_trap_new(g_store, &m);
  wasm_byte_vec_delete(&m);
  return t;
}

static wasm_func_t* export_func(const wasm_extern_vec_t* exports, const wasm_exporttype_vec_t* types, const char* name) {
  for (size_t i = 0; i < types->size; ++i) {
    const wasm_name_t* n = wasm_exporttype_name(types->data[i]);
    if (n->size == strlen(name) && memcmp(n->data, name, n->size) == 0) return wasm_extern_as_func(exports->data[i]);
  }
  return NULL;
}

int main(int argc, char** argv) {
  REQUIRE(argc == 2);
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  g_store = store;
  wasm_byte_vec_t binary;
  read_module(argv[1], &binary);
  CHECK(wasm_module_validate(store, &binary));
  wasm_module_t* module = wasm_module_new(store, &binary);
  REQUIRE(module != NULL);

  // Reflection.
  wasm_importtype_vec_t imports;
  wasm_module_imports(module, &imports);
  CHECK(imports.size == 2);
  const wasm_name_t* mod = wasm_importtype_module(imports.data[0]);
  CHECK(mod->size == 4 && memcmp(mod->data, "host", 4) == 0);
  const wasm_externtype_t* it = wasm_importtype_type(imports.data[0]);
  CHECK(wasm_externtype_kind(it) == WASM_EXTERN_FUNC);
  const wasm_functype_t* ft = wasm_externtype_as_functype_const(it);
  REQUIRE(ft != NULL);
  CHECK(wasm_functype_params(ft)->size == 2 && wasm_functype_results(ft)->size == 1);
  CHECK(wasm_valtype_kind(wasm_functype_params(ft)->data[0]) == WASM_I32);
  CHECK(wasm_externtype_as_memorytype_const(it) == NULL);
  wasm_importtype_vec_t copied;
  wasm_importtype_vec_copy(&copied, &imports);
  CHECK(copied.size == 2 && copied.data[1] != imports.data[1]);
  wasm_importtype_vec_delete(&copied);
  wasm_importtype_vec_delete(&imports);
  wasm_exporttype_vec_t export_types;
  wasm_module_exports(module, &export_types);
  CHECK(export_types.size == 5);

  // Host functions.
  static int calls = 0;
  static int env_value = 5;
  wasm_functype_t* add_type = wasm_functype_new_2_1(wasm_valtype_new_i32(), wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t* add_func = wasm_func_new_with_env(store, add_type, add, &calls, NULL);
  wasm_functype_delete(add_type);
  wasm_functype_t* fail_type = wasm_functype_new_0_0();
  wasm_func_t* fail_func = wasm_func_new(store, fail_type, fail);
  wasm_functype_delete(fail_type);
  CHECK(wasm_func_param_arity(add_func) == 2 && wasm_func_result_arity(add_func) == 1);

  wasm_extern_t* externs[] = {wasm_func_as_extern(add_func), wasm_func_as_extern(fail_func)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(externs);
  wasm_trap_t* trap = NULL;
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, &trap);
  REQUIRE(instance != NULL);
  CHECK(trap == NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  CHECK(exports.size == 5);

  // A call through the guest into the host.
  wasm_func_t* twice_add = export_func(&exports, &export_types, "twice_add");
  REQUIRE(twice_add != NULL);
  wasm_val_t args[2] = {WASM_I32_VAL(20), WASM_I32_VAL(1)};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
  wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
  trap = wasm_func_call(twice_add, &arg_vec, &result_vec);
  CHECK(trap == NULL);
  CHECK(results[0].kind == WASM_I32 && results[0].of.i32 == 42);
  CHECK(calls == 1);
  // The host function called directly.
  trap = wasm_func_call(add_func, &arg_vec, &result_vec);
  CHECK(trap == NULL && results[0].of.i32 == 21 && calls == 2);

  // Several results.
  wasm_func_t* swap = export_func(&exports, &export_types, "swap");
  wasm_val_t sargs[2] = {WASM_I64_VAL(-5), WASM_F64_VAL(2.5)};
  wasm_val_t sres[2] = {WASM_INIT_VAL, WASM_INIT_VAL};
  wasm_val_vec_t sarg_vec = WASM_ARRAY_VEC(sargs);
  wasm_val_vec_t sres_vec = WASM_ARRAY_VEC(sres);
  trap = wasm_func_call(swap, &sarg_vec, &sres_vec);
  CHECK(trap == NULL);
  CHECK(sres[0].kind == WASM_F64 && sres[0].of.f64 == 2.5);
  CHECK(sres[1].kind == WASM_I64 && sres[1].of.i64 == -5);

  // Wrong calls: arity and kinds.
  trap = wasm_func_call(swap, &arg_vec, &sres_vec);
  CHECK(trap != NULL);
  if (trap) wasm_trap_delete(trap);
  wasm_val_vec_t too_small = {1, sres};
  trap = wasm_func_call(swap, &sarg_vec, &too_small);
  CHECK(trap != NULL);
  if (trap) wasm_trap_delete(trap);

  // A trap in wasm: message and frames, innermost first, with offsets (called from "outer",
  // $inner is inlined into it and still has its own frame).
  wasm_func_t* crash = export_func(&exports, &export_types, "crash");
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  wasm_val_t one_arg[1] = {WASM_I32_VAL(1)};
  wasm_val_vec_t one_vec = WASM_ARRAY_VEC(one_arg);
  trap = wasm_func_call(crash, &one_vec, &result_vec);
  REQUIRE(trap != NULL);
  char* text = trap_text(trap);
  CHECK(strstr(text, "unreachable") != NULL);
  free(text);
  wasm_frame_t* origin = wasm_trap_origin(trap);
  REQUIRE(origin != NULL);
  CHECK(wasm_frame_func_index(origin) == 4);  // $inner: two imports, twice_add, swap, then it
  // $inner's body: 00 (no locals), 20 00 (local.get 0), 04 40 (if), 00 (unreachable) at +5.
  CHECK(wasm_frame_func_offset(origin) == 5);
  const size_t unreachable_at = wasm_frame_module_offset(origin);
  CHECK(binary.data[unreachable_at] == 0x00 && binary.data[unreachable_at - 2] == 0x04);
  wasm_frame_delete(origin);
  wasm_frame_vec_t trace;
  wasm_trap_trace(trap, &trace);
  CHECK(trace.size >= 1);
  if (trace.size >= 1) CHECK(wasm_frame_func_index(trace.data[0]) == 4);
  wasm_frame_vec_delete(&trace);
  wasm_trap_delete(trap);
  wasm_func_t* outer = export_func(&exports, &export_types, "outer");
  trap = wasm_func_call(outer, &none, &result_vec);
  REQUIRE(trap != NULL);
  wasm_trap_trace(trap, &trace);
  CHECK(trace.size >= 1);
  CHECK(trace.size == 2);
  if (trace.size == 2) {
    CHECK(wasm_frame_func_index(trace.data[0]) == 4 && wasm_frame_module_offset(trace.data[0]) == unreachable_at);
    // outer's body: 00, 41 01 (i32.const 1), 10 04 (call $inner) at +3.
    CHECK(wasm_frame_func_index(trace.data[1]) == 5 && wasm_frame_func_offset(trace.data[1]) == 3);
    CHECK((unsigned char)binary.data[wasm_frame_module_offset(trace.data[1])] == 0x10);
  }
  wasm_frame_vec_delete(&trace);
  wasm_trap_delete(trap);
  // Division by zero.
  wasm_val_t zero[1] = {WASM_I32_VAL(0)};
  wasm_val_vec_t zero_vec = WASM_ARRAY_VEC(zero);
  trap = wasm_func_call(crash, &zero_vec, &result_vec);
  REQUIRE(trap != NULL);
  text = trap_text(trap);
  CHECK(strstr(text, "divide by zero") != NULL || strstr(text, "division by zero") != NULL);
  free(text);
  wasm_trap_delete(trap);
  // A host function's trap reaches the caller with its own message.
  wasm_func_t* call_fail = export_func(&exports, &export_types, "call_fail");
  trap = wasm_func_call(call_fail, &none, &result_vec);
  REQUIRE(trap != NULL);
  text = trap_text(trap);
  CHECK(strcmp(text, "callback said no") == 0);
  free(text);
  wasm_trap_delete(trap);

  // Copies are the same function; other functions are not.
  wasm_func_t* copy = wasm_func_copy(twice_add);
  CHECK(wasm_func_same(copy, twice_add));
  CHECK(!wasm_func_same(copy, swap));
  wasm_func_delete(copy);

  // Instantiation with the wrong imports: a trap saying why, no instance.
  wasm_extern_t* wrong[] = {wasm_func_as_extern(fail_func), wasm_func_as_extern(add_func)};
  wasm_extern_vec_t wrong_vec = WASM_ARRAY_VEC(wrong);
  trap = NULL;
  CHECK(wasm_instance_new(store, module, &wrong_vec, &trap) == NULL);
  CHECK(trap != NULL);
  if (trap) wasm_trap_delete(trap);
  wasm_extern_vec_t one = {1, externs};
  trap = NULL;
  CHECK(wasm_instance_new(store, module, &one, &trap) == NULL);
  CHECK(trap != NULL);
  if (trap) wasm_trap_delete(trap);

  // A function of another store is refused as an import.
  wasm_store_t* other = wasm_store_new(engine);
  wasm_functype_t* ot = wasm_functype_new_2_1(wasm_valtype_new_i32(), wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t* foreign_add = wasm_func_new_with_env(other, ot, add, &calls, NULL);
  wasm_functype_delete(ot);
  wasm_extern_t* mixed[] = {wasm_func_as_extern(foreign_add), wasm_func_as_extern(fail_func)};
  wasm_extern_vec_t mixed_vec = WASM_ARRAY_VEC(mixed);
  trap = NULL;
  CHECK(wasm_instance_new(store, module, &mixed_vec, &trap) == NULL);
  CHECK(trap != NULL);
  if (trap) {
    text = trap_text(trap);
    CHECK(strstr(text, "another store") != NULL);
    free(text);
    wasm_trap_delete(trap);
  }
  wasm_func_delete(foreign_add);
  wasm_store_delete(other);

  // A function with an environment and a finalizer: it runs when the last user goes.
  wasm_functype_t* t2 = wasm_functype_new_2_1(wasm_valtype_new_i32(), wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t* with_fin = wasm_func_new_with_env(store, t2, add, &env_value, finalize);
  wasm_functype_delete(t2);
  wasm_func_t* fin_copy = wasm_func_copy(with_fin);
  wasm_func_delete(with_fin);
  CHECK(finalized == 0);
  wasm_func_delete(fin_copy);
  CHECK(finalized == 5);

  // Malformed bytes: no module, no crash.
  wasm_byte_vec_t junk;
  wasm_byte_vec_new(&junk, 8, "\0asm\2\0\0\0");
  CHECK(!wasm_module_validate(store, &junk));
  CHECK(wasm_module_new(store, &junk) == NULL);
  wasm_byte_vec_delete(&junk);

  wasm_extern_vec_delete(&exports);
  wasm_exporttype_vec_delete(&export_types);
  wasm_instance_delete(instance);
  wasm_func_delete(add_func);
  wasm_func_delete(fail_func);
  wasm_module_delete(module);
  wasm_byte_vec_delete(&binary);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return finish("callback");
}
