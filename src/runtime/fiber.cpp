#include "runtime/fiber.h"

#include <cstdint>
#include <cstdlib>

namespace atl::runtime {

extern "C" {
// Saves callee-saved registers and the stack pointer to *save, continues on `load`.
void atl_fiber_switch(void** save, void* load);
// The first instruction a new fiber runs (see the diagram in fiber.h).
void atl_fiber_start();
}

__attribute__((naked)) void atl_fiber_switch(void**, void*) {
  asm volatile(
      "push %rbp\n\t"
      "push %rbx\n\t"
      "push %r12\n\t"
      "push %r13\n\t"
      "push %r14\n\t"
      "push %r15\n\t"
      "mov %rsp, (%rdi)\n\t"
      "mov %rsi, %rsp\n\t"
      "pop %r15\n\t"
      "pop %r14\n\t"
      "pop %r13\n\t"
      "pop %r12\n\t"
      "pop %rbx\n\t"
      "pop %rbp\n\t"
      "ret\n\t");
}

__attribute__((naked)) void atl_fiber_start() {
  asm volatile(
      "xor %ebp, %ebp\n\t"  // ends the frame-pointer chain
      "push %rbp\n\t"       // 16-byte alignment for the call
      "mov %rbx, %rdi\n\t"
      "call *%r12\n\t"
      "ud2\n\t");
}

namespace {
thread_local Fiber* t_fiber = nullptr;
}

Fiber* Fiber::current() { return t_fiber; }

Fiber::Fiber(std::unique_ptr<GuestStack> stack, Body body, void* arg)
    : stack_(std::move(stack)), body_(body), arg_(arg) {
  auto* top = reinterpret_cast<uintptr_t*>(stack_->top());
  top[-1] = 0;
  top[-2] = reinterpret_cast<uintptr_t>(&atl_fiber_start);
  top[-3] = 0;                                         // rbp
  top[-4] = reinterpret_cast<uintptr_t>(this);         // rbx
  top[-5] = reinterpret_cast<uintptr_t>(&Fiber::entry);  // r12
  top[-6] = 0;                                         // r13
  top[-7] = 0;                                         // r14
  top[-8] = 0;                                         // r15
  fiber_sp_ = &top[-8];
}

Fiber::~Fiber() = default;

void Fiber::entry(Fiber* self) {
  self->body_(self->arg_);
  self->finished_ = true;
  self->suspend();
  std::abort();  // a finished fiber is never resumed
}

bool Fiber::resume() {
  if (finished_ || running_) return finished_;
  running_ = true;
  host_activations_ = current_activation();
  host_fiber_ = t_fiber;
  set_current_activation(fiber_activations_);
  t_fiber = this;
  atl_fiber_switch(&host_sp_, fiber_sp_);
  // Back on the resumer's stack.
  return finished_;
}

void Fiber::suspend() {
  fiber_activations_ = current_activation();
  set_current_activation(host_activations_);
  t_fiber = host_fiber_;
  running_ = false;
  atl_fiber_switch(&fiber_sp_, host_sp_);
  // Resumed (perhaps on another thread): resume() installed this fiber's state.
}

}  // namespace atl::runtime
