// A small C++ exception runtime for wasm32-wasi programs built with `clang++-19 -fwasm-exceptions`.
//
// Why it exists: Debian's wasm32 libc++abi is built without exceptions, so it has no
// __cxa_throw, no personality routine and no _Unwind_CallPersonality; a program built with
// -fwasm-exceptions links only if something provides them. This file does, in about 250 lines,
// for the code clang 19 emits (the legacy encoding: try / catch __cpp_exception / rethrow).
// Link it into the guest: clang++-19 --target=wasm32-wasi --sysroot=/usr -fwasm-exceptions
// main.cpp eh_runtime.cpp.
//
// How clang's wasm exception code works (LLVM's WasmEHPrepare): `throw` calls __cxa_throw, which
// throws a wasm exception with tag __cpp_exception and one i32 payload (here: the address of our
// header). Each landing pad catches it, stores its index and its function's LSDA (the usual
// .gcc_except_table data, with a call-site table indexed by landing pad) in __wasm_lpad_context,
// calls _Unwind_CallPersonality, and reads back `selector`: the type-table index of the catch
// clause that matches, or 0. Cleanup-only pads (destructors) run and rethrow. Wasm unwinds in one
// phase, so there is no search phase: an exception no clause catches leaves _start as an uncaught
// wasm exception (atoll: trap "uncaught exception", exit 134, as std::terminate's abort would).
//
// Type matching (bases, pointers, qualifiers) is libc++abi's own: its type_info classes are in
// Debian's libc++abi.a, and __shim_type_info::can_catch is their virtual, in the Itanium ABI's
// layout (after type_info's two destructor slots and two no-op slots).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>

namespace __cxxabiv1 {
class __shim_type_info : public std::type_info {
 public:
  ~__shim_type_info() override;
  virtual void noop1() const;
  virtual void noop2() const;
  virtual bool can_catch(const __shim_type_info* thrown_type, void*& adjusted) const = 0;
};
}  // namespace __cxxabiv1

namespace {

using Shim = __cxxabiv1::__shim_type_info;

// In front of every thrown object. The wasm payload is the header's address. A header made by
// std::rethrow_exception has no object of its own: it throws its `primary`'s again, so that the
// two can be handled at the same time.
// In wasm's C++ ABI destructors return `this`, so the thrown object's destructor does too.
using Destructor = void* (*)(void*);

struct alignas(16) Header {
  const std::type_info* type;
  Destructor destructor;
  Header* next_caught;  // the stack of exceptions being handled, innermost first
  int handlers;         // active catch clauses; negative while being rethrown
  int references;       // std::exception_ptr copies, plus one while thrown or handled
  void* adjusted;       // what the matching clause receives (base-class or pointer adjustment)
  Header* primary;      // null, or the header whose object this one throws
};
static_assert(sizeof(Header) % alignof(std::max_align_t) == 0);

void* object_of(Header* h) { return h->primary != nullptr ? h->primary + 1 : h + 1; }
Header* header_of_object(void* object) { return static_cast<Header*>(object) - 1; }

void release(Header* h) {
  if (--h->references != 0) return;
  if (h->primary != nullptr) {
    release(h->primary);
  } else if (h->destructor != nullptr) {
    h->destructor(h + 1);
  }
  std::free(h);
}

Header* caught_stack = nullptr;  // wasm32-wasi guests are single-threaded
unsigned uncaught = 0;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "eh_runtime: %s\n", what);
  std::abort();
}

// --- LSDA reading (DWARF exception tables) ----------------------------------------------------
// LEB128, as DWARF writes it: unsigned, or signed (sign-extended from the last byte's bit 6).
uintptr_t read_leb(const uint8_t*& p, bool is_signed) {
  uintptr_t v = 0;
  unsigned shift = 0;
  uint8_t b;
  do {
    b = *p++;
    if (shift < sizeof(uintptr_t) * 8) v |= static_cast<uintptr_t>(b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  if (is_signed && shift < sizeof(uintptr_t) * 8 && (b & 0x40)) v |= ~uintptr_t{0} << shift;
  return v;
}
uintptr_t read_uleb(const uint8_t*& p) { return read_leb(p, false); }
intptr_t read_sleb(const uint8_t*& p) { return static_cast<intptr_t>(read_leb(p, true)); }

constexpr uint8_t kOmit = 0xff;

// The size of one value in DW_EH_PE encoding `enc` (low nibble).
size_t encoded_size(uint8_t enc) {
  switch (enc & 0x0f) {
    case 0x00: return sizeof(uintptr_t);  // absptr
    case 0x02: case 0x0a: return 2;        // udata2, sdata2
    case 0x03: case 0x0b: return 4;        // udata4, sdata4
    case 0x04: case 0x0c: return 8;        // udata8, sdata8
    default: fail("unsupported pointer encoding in an exception table");
  }
}

uintptr_t read_encoded(const uint8_t*& p, uint8_t enc) {
  const uint8_t* at = p;
  uintptr_t v;
  switch (enc & 0x0f) {
    case 0x01: v = read_uleb(p); break;
    case 0x09: v = static_cast<uintptr_t>(read_sleb(p)); break;
    default: {
      size_t n = encoded_size(enc);
      uint64_t raw = 0;
      for (size_t i = 0; i < n; ++i) raw |= static_cast<uint64_t>(p[i]) << (8 * i);
      if ((enc & 0x08) && n < 8 && (raw >> (8 * n - 1)) & 1) raw |= ~uint64_t{0} << (8 * n);
      v = static_cast<uintptr_t>(raw);
      p += n;
    }
  }
  if (v != 0) {
    if ((enc & 0x70) == 0x10) v += reinterpret_cast<uintptr_t>(at);  // pcrel
    if (enc & 0x80) v = *reinterpret_cast<const uintptr_t*>(v);     // indirect
  }
  return v;
}

// The type-table index of the first clause of landing pad `pad` that catches `h`, or 0.
uintptr_t match(const uint8_t* lsda, uintptr_t pad, Header* h) {
  const uint8_t* p = lsda;
  uint8_t lp_start_enc = *p++;
  if (lp_start_enc != kOmit) read_encoded(p, lp_start_enc);
  uint8_t type_enc = *p++;
  const uint8_t* types = nullptr;  // the type table ends here; entry i is at types - i * size
  if (type_enc != kOmit) {
    uintptr_t offset = read_uleb(p);
    types = p + offset;
  }
  ++p;  // call-site encoding: wasm's table holds ULEB128s whatever it says
  uintptr_t table_length = read_uleb(p);
  const uint8_t* actions = p + table_length;
  uintptr_t action = 0;
  for (uintptr_t i = 0;; ++i) {
    if (p >= actions) fail("landing pad index past the call-site table");
    read_uleb(p);  // landing pad label: unused in wasm
    action = read_uleb(p);
    if (i == pad) break;
  }
  if (action == 0) return 0;  // cleanup only
  const uint8_t* a = actions + (action - 1);
  for (;;) {
    intptr_t type_index = read_sleb(a);
    const uint8_t* next = a;
    intptr_t next_offset = read_sleb(a);
    if (type_index > 0) {
      if (types == nullptr) fail("catch clause without a type table");
      const uint8_t* entry = types - static_cast<uintptr_t>(type_index) * encoded_size(type_enc);
      auto catch_type = reinterpret_cast<const Shim*>(read_encoded(entry, type_enc));
      void* adjusted = object_of(h);
      if (catch_type == nullptr ||  // catch (...)
          catch_type->can_catch(static_cast<const Shim*>(h->type), adjusted)) {
        h->adjusted = adjusted;
        return static_cast<uintptr_t>(type_index);
      }
    }
    // type_index < 0: a dynamic exception specification (gone since C++17); 0: cleanup.
    if (next_offset == 0) return 0;
    a = next + next_offset;
  }
}

Header* header_of(void* exception) { return static_cast<Header*>(exception); }

}  // namespace

extern "C" {

// Written by each landing pad before it calls _Unwind_CallPersonality; LLVM's name and layout.
struct LandingPadContext {
  uintptr_t lpad_index;
  const uint8_t* lsda;
  uintptr_t selector;
} __wasm_lpad_context;

int _Unwind_CallPersonality(void* exception) {
  __wasm_lpad_context.selector = match(__wasm_lpad_context.lsda, __wasm_lpad_context.lpad_index,
                                       header_of(exception));
  return __wasm_lpad_context.selector != 0 ? 6 /* handler found */ : 8 /* continue unwind */;
}

void* __cxa_allocate_exception(size_t size) noexcept {
  auto h = static_cast<Header*>(std::calloc(1, sizeof(Header) + size));
  if (h == nullptr) fail("out of memory allocating an exception");
  return object_of(h);
}

void __cxa_free_exception(void* object) noexcept { std::free(header_of_object(object)); }

[[noreturn]] void __cxa_throw(void* object, std::type_info* type, Destructor destructor) {
  Header* h = header_of_object(object);
  h->type = type;
  h->destructor = destructor;
  h->references = 1;
  h->adjusted = object;
  ++uncaught;
  __builtin_wasm_throw(0, h);
}

void* __cxa_get_exception_ptr(void* exception) noexcept { return header_of(exception)->adjusted; }

void* __cxa_begin_catch(void* exception) noexcept {
  Header* h = header_of(exception);
  h->handlers = (h->handlers < 0 ? -h->handlers : h->handlers) + 1;
  if (caught_stack != h) {
    h->next_caught = caught_stack;
    caught_stack = h;
  }
  --uncaught;
  return h->adjusted;
}

void __cxa_end_catch() {
  Header* h = caught_stack;
  if (h == nullptr) return;
  if (h->handlers < 0) {  // rethrown: the next handler owns it now
    if (++h->handlers == 0) caught_stack = h->next_caught;
    return;
  }
  if (--h->handlers == 0) {
    caught_stack = h->next_caught;
    release(h);
  }
}

[[noreturn]] void __cxa_rethrow() {
  Header* h = caught_stack;
  if (h == nullptr) std::terminate();  // `throw;` outside a handler
  h->handlers = -h->handlers;
  ++uncaught;
  __builtin_wasm_throw(0, h);
}

// std::exception_ptr (libc++ calls these four). Defining them also keeps libc++'s
// no-exceptions stand-ins (cxa_noexception.cpp: uncaught_exceptions() == 0) out of the link.
void* __cxa_current_primary_exception() noexcept {
  if (caught_stack == nullptr) return nullptr;
  Header* h = caught_stack->primary != nullptr ? caught_stack->primary : caught_stack;
  ++h->references;
  return h + 1;
}

void __cxa_increment_exception_refcount(void* object) noexcept {
  if (object != nullptr) ++header_of_object(object)->references;
}

void __cxa_decrement_exception_refcount(void* object) noexcept {
  if (object != nullptr) release(header_of_object(object));
}

[[noreturn]] void __cxa_rethrow_primary_exception(void* object) {
  if (object == nullptr) std::terminate();
  Header* primary = header_of_object(object);
  auto h = static_cast<Header*>(std::calloc(1, sizeof(Header)));
  if (h == nullptr) fail("out of memory rethrowing an exception");
  ++primary->references;
  h->type = primary->type;
  h->references = 1;
  h->primary = primary;
  h->adjusted = object;
  ++uncaught;
  __builtin_wasm_throw(0, h);
}

bool __cxa_uncaught_exception() noexcept { return uncaught != 0; }
unsigned __cxa_uncaught_exceptions() noexcept { return uncaught; }

void* __cxa_current_exception_type() noexcept {
  return caught_stack != nullptr ? const_cast<std::type_info*>(caught_stack->type) : nullptr;
}

}  // extern "C"
