// Fibers: stackful coroutines on GuestStacks, so a guest call can stop inside a host function
// (suspend), hand control back to the embedder, and continue later (resume), possibly on another
// thread, never on two at once.
//
// Switching saves the callee-saved registers on the current stack and swaps stack pointers
// (atl_fiber_switch). A fresh fiber's stack is prepared so that the first switch "returns" into
// atl_fiber_start, which calls the body:
//
//   top ->  [ 0                     ]  alignment / end of the frame chain
//           [ &atl_fiber_start      ]  popped by `ret`
//           [ rbp rbx r12 r13 r14 r15 ]  rbx = Fiber*, r12 = entry
//   sp  ->
//
// The thread's trap activations belong to whatever runs on a stack: a switch saves the
// outgoing side's chain and installs the incoming side's.
#pragma once

#include <memory>

#include "runtime/stack.h"
#include "runtime/trap/trap_handler.h"

namespace atl::runtime {

class Fiber {
 public:
  using Body = void (*)(void* arg);
  Fiber(std::unique_ptr<GuestStack> stack, Body body, void* arg);
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // Runs the fiber until it suspends or its body returns; true when the body has returned.
  bool resume();
  // From inside the body: back to whoever called resume().
  void suspend();

  bool finished() const { return finished_; }
  void* arg() const { return arg_; }
  const GuestStack& stack() const { return *stack_; }
  // The stack back, once the fiber has finished or never started (for reuse).
  std::unique_ptr<GuestStack> take_stack() { return std::move(stack_); }
  static Fiber* current();  // the fiber running on this thread, or null

 private:
  static void entry(Fiber* self);

  std::unique_ptr<GuestStack> stack_;
  Body body_;
  void* arg_;
  void* fiber_sp_ = nullptr;
  void* host_sp_ = nullptr;
  Activation* fiber_activations_ = nullptr;
  Activation* host_activations_ = nullptr;
  Fiber* host_fiber_ = nullptr;  // the fiber that resumed this one (nesting), if any
  bool finished_ = false;
  bool running_ = false;
};

}  // namespace atl::runtime
