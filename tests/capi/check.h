// Helpers for the C API's test programs: checks that count failures, and module bytes from a
// file (the .wasm built from a .wat beside the program).
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wasm.h>

static int failures = 0;

#define CHECK(cond)                                                 \
  do {                                                              \
    if (!(cond)) {                                                  \
      fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                   \
    }                                                               \
  } while (0)

// Fatal when a later step cannot go on without it.
#define REQUIRE(cond)                                               \
  do {                                                              \
    if (!(cond)) {                                                  \
      fprintf(stderr, "%s:%d: FATAL: %s\n", __FILE__, __LINE__, #cond); \
      exit(1);                                                      \
    }                                                               \
  } while (0)

static inline void read_module(const char* path, wasm_byte_vec_t* out) {
  FILE* f = fopen(path, "rb");
  REQUIRE(f != NULL);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  wasm_byte_vec_new_uninitialized(out, (size_t)size);
  REQUIRE(fread(out->data, 1, (size_t)size, f) == (size_t)size);
  fclose(f);
}

// The trap's message as a C string (freed by the caller with free()).
static inline char* trap_text(const wasm_trap_t* trap) {
  wasm_message_t m;
  wasm_trap_message(trap, &m);
  char* s = (char*)malloc(m.size + 1);
  memcpy(s, m.data, m.size);
  s[m.size] = '\0';
  wasm_byte_vec_delete(&m);
  return s;
}

static inline int finish(const char* name) {
  if (failures) {
    fprintf(stderr, "%s: %d failure(s)\n", name, failures);
    return 1;
  }
  printf("%s: all passed\n", name);
  return 0;
}
