// The WASI test guests' checks (tests/wasi, tests/hostile). A check prints "ok NAME" or "FAIL NAME (line N)"; the guest exits 1 if any failed.
#pragma once
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static int failures = 0;
#define CHECK(name, cond)                                       \
  do {                                                          \
    if (cond) {                                                 \
      printf("ok %s\n", name);                                  \
    } else {                                                    \
      printf("FAIL %s (line %d)\n", name, __LINE__);            \
      failures++;                                               \
    }                                                           \
  } while (0)
#define DIR 3  // the first preopened directory
