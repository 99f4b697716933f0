// Turning faults in guest code into traps.
//
// Rules for everything in this folder (it runs inside signal handlers): no allocation, no locks,
// no new dependencies; only reads of data published with atomics before it is needed.
//
// How a trap travels: the host enters guest code through run_guarded(), which records an
// Activation (a sigjmp_buf) for the thread. A trap raised by generated code (the `trap` builtin)
// or by a fault the signal handler attributes to guest code (its PC lies in registered guest
// code) records the trap code, PC and frame pointer in the Activation and siglongjmps back to
// run_guarded(), which returns the trap. Faults anywhere else go to the handler that was
// installed before atoll's (or the default action), so host crashes are never hidden.
#pragma once

#include <csetjmp>
#include <cstdint>

#include "abi/abi.h"

namespace atl::runtime {

struct Activation {
  sigjmp_buf jump;
  abi::TrapCode code = abi::TrapCode::None;
  uintptr_t pc = 0;  // where the trap happened
  uintptr_t fp = 0;  // frame pointer there, for the backtrace
  Activation* prev = nullptr;
};

// Installs the handlers for SIGSEGV, SIGBUS, SIGILL and SIGFPE (once per process) and an
// alternate signal stack for the calling thread (once per thread).
void ensure_trap_handling();

// Guest code ranges the handler may attribute faults to. Registration is thread-safe; lookups
// from the signal handler are lock-free.
void register_code_range(uintptr_t start, uintptr_t end);
void unregister_code_range(uintptr_t start);
bool is_guest_pc(uintptr_t pc);

// The thread's innermost activation, or nullptr outside guest code.
Activation* current_activation();
void push_activation(Activation* a);
void pop_activation(Activation* a);
// Fibers swap whole chains when they switch stacks.
void set_current_activation(Activation* a);

[[noreturn]] void raise_trap(abi::TrapCode code, uintptr_t pc, uintptr_t fp);

}  // namespace atl::runtime
