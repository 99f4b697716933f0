// C++ exceptions across frames: built natively and for wasm32-wasi with -fwasm-exceptions (and
// eh_runtime.cpp), the two must print the same lines. `main.cpp uncaught` ends in an exception no
// one catches (native: std::terminate; atoll: trap "uncaught exception"; both exit 134).
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

namespace {

int live_guards = 0;  // RAII objects alive: every one must be destroyed by unwinding
int destroyed_during_unwind = 0;

struct Guard {
  Guard() { ++live_guards; }
  ~Guard() {
    --live_guards;
    if (std::uncaught_exceptions() > 0) ++destroyed_during_unwind;
  }
};

struct Base1 {
  virtual ~Base1() = default;
  int a = 1;
};
struct Base2 {
  virtual ~Base2() = default;
  virtual const char* name() const { return "Base2"; }
  int b = 2;
};
// Catching Derived as Base2& needs the pointer moved to the Base2 subobject.
struct Derived : Base1, Base2 {
  explicit Derived(int v) : value(v) {}
  const char* name() const override { return "Derived"; }
  int value;
};

int copies = 0;
struct Counted {
  explicit Counted(int v) : v(v) {}
  Counted(const Counted& o) : v(o.v) { ++copies; }
  int v;
};

__attribute__((noinline)) int recurse_then_throw(int depth, int limit) {
  Guard g;
  if (depth == limit) throw Derived(depth);
  return recurse_then_throw(depth + 1, limit) + 1;
}

__attribute__((noinline)) void throw_int(int v) { throw v; }
__attribute__((noinline)) void throw_text() { throw "a C string"; }

__attribute__((noinline)) void rethrow_after_cleanup() {
  Guard g;
  try {
    throw std::runtime_error("first");
  } catch (...) {
    throw;  // the same object goes on to the caller
  }
}

__attribute__((noinline)) int nested() {
  try {
    throw Counted(7);
  } catch (const Counted& outer) {
    try {
      throw std::out_of_range("inner");
    } catch (const std::logic_error& inner) {
      return outer.v * 10 + static_cast<int>(std::strlen(inner.what()));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "uncaught") == 0) {
    std::puts("about to throw with no handler");
    std::fflush(stdout);
    throw_int(42);
  }

  // 1. Across 200 frames, caught by a second base class (adjusted pointer), destructors run.
  try {
    recurse_then_throw(0, 200);
  } catch (const Base2& e) {
    auto& d = dynamic_cast<const Derived&>(e);
    std::printf("1: caught %s as Base2, value %d, b %d, guards left %d, destroyed while unwinding %d\n",
                e.name(), d.value, e.b, live_guards, destroyed_during_unwind);
  }

  // 2. Clause order: int is not caught by long, is by int; a C string by const char*.
  try {
    try {
      throw_int(5);
    } catch (long) {
      std::puts("2: wrong: long caught an int");
    }
  } catch (int v) {
    std::printf("2: int %d caught past a long clause\n", v);
  }
  try {
    throw_text();
  } catch (const char* s) {
    std::printf("2: caught \"%s\"\n", s);
  }

  // 3. catch (...) and rethrow: the outer handler gets the same std::runtime_error.
  try {
    rethrow_after_cleanup();
  } catch (const std::exception& e) {
    std::printf("3: rethrown %s, guards left %d\n", e.what(), live_guards);
  }

  // 4. Catch by value copies; nested exceptions while handling one.
  copies = 0;
  try {
    throw Counted(3);
  } catch (Counted c) {
    std::printf("4: by value %d, copies %d\n", c.v, copies);
  }
  std::printf("4: nested %d\n", nested());

  // 5. Many throws: each exception freed (the guest's heap does not grow).
  long long sum = 0;
  for (int i = 0; i < 100000; ++i) {
    try {
      if (i % 3 == 0) throw std::string(40, static_cast<char>('a' + i % 26));
      throw i;
    } catch (const std::string& s) {
      sum += s.size() + s[0];
    } catch (int v) {
      sum += v;
    }
  }
  std::printf("5: sum %lld, uncaught now %d\n", sum, std::uncaught_exceptions());

  // 6. An exception from a function called through a pointer, into a noexcept(false) lambda.
  auto call = [](void (*f)(int), int v) { f(v); };
  try {
    call(throw_int, 99);
  } catch (int v) {
    std::printf("6: through a function pointer %d\n", v);
  }

  // 7. std::exception_ptr: kept past its handler, rethrown twice, once while handling it.
  std::exception_ptr kept;
  try {
    throw std::runtime_error("kept");
  } catch (...) {
    kept = std::current_exception();
  }
  for (int round = 0; round < 2; ++round) {
    try {
      std::rethrow_exception(kept);
    } catch (const std::runtime_error& e) {
      try {
        std::rethrow_exception(kept);
      } catch (const std::exception& again) {
        std::printf("7: round %d: %s, same object %d\n", round, again.what(), &e == &again);
      }
    }
  }
  kept = nullptr;
  return 0;
}
