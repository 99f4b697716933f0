#include "runtime/trap/trap_handler.h"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace atl::runtime {
namespace {

// --- code ranges --------------------------------------------------------------------------------
constexpr size_t kMaxRanges = 16384;
struct Range {
  std::atomic<uintptr_t> start{0};
  std::atomic<uintptr_t> end{0};
};
Range g_ranges[kMaxRanges];
std::atomic<size_t> g_range_count{0};  // slots in use are [0, count)
std::mutex g_range_mutex;              // writers only

// --- activations ----------------------------------------------------------------------------
thread_local Activation* t_current = nullptr;

// --- signals --------------------------------------------------------------------------------
constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
struct sigaction g_previous[sizeof(kSignals) / sizeof(kSignals[0])];

abi::TrapCode code_for(int sig) {
  switch (sig) {
    case SIGSEGV:
    case SIGBUS: return abi::TrapCode::MemoryOutOfBounds;
    case SIGFPE: return abi::TrapCode::IntegerDivideByZero;
    default: return abi::TrapCode::Unreachable;
  }
}

void chain(int sig, siginfo_t* info, void* uc) {
  for (size_t i = 0; i < sizeof(kSignals) / sizeof(kSignals[0]); ++i) {
    if (kSignals[i] != sig) continue;
    const struct sigaction& prev = g_previous[i];
    if (prev.sa_flags & SA_SIGINFO) {
      prev.sa_sigaction(sig, info, uc);
      return;
    }
    if (prev.sa_handler == SIG_IGN) return;
    if (prev.sa_handler != SIG_DFL) {
      prev.sa_handler(sig);
      return;
    }
  }
  // Default action: restore it and return; the faulting instruction runs again and the
  // process dies as it would have without atoll.
  signal(sig, SIG_DFL);
}

void handler(int sig, siginfo_t* info, void* uc_void) {
  auto* uc = static_cast<ucontext_t*>(uc_void);
  const uintptr_t pc = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
  Activation* a = t_current;
  if (a && is_guest_pc(pc)) {
    a->code = code_for(sig);
    // A fault at or just below the stack pointer is a frame probe hitting the guest stack's
    // guard page. (A linear memory may be mapped right above a stack: faults above the stack
    // pointer are memory accesses.)
    const uintptr_t sp = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RSP]);
    const uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
    if (sig == SIGSEGV && addr <= sp && addr + 4096 > sp) a->code = abi::TrapCode::StackOverflow;
    a->pc = pc;
    a->fp = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RBP]);
    siglongjmp(a->jump, 1);
  }
  chain(sig, info, uc_void);
}

struct AltStack {
  void* mem = nullptr;
  size_t size = 0;
  ~AltStack() {
    if (!mem) return;
    stack_t none{};
    none.ss_flags = SS_DISABLE;
    stack_t current{};
    // Only remove it if it is still ours (the host may have installed its own since).
    if (sigaltstack(nullptr, &current) == 0 && current.ss_sp == mem) sigaltstack(&none, nullptr);
    munmap(mem, size);
  }
};
thread_local AltStack t_altstack;

}  // namespace

void ensure_trap_handling() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (size_t i = 0; i < sizeof(kSignals) / sizeof(kSignals[0]); ++i) {
      struct sigaction sa;
      std::memset(&sa, 0, sizeof sa);
      sa.sa_sigaction = handler;
      sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
      sigemptyset(&sa.sa_mask);
      sigaction(kSignals[i], &sa, &g_previous[i]);
    }
  });
  if (!t_altstack.mem) {
    // Keep a host-installed alternate stack; otherwise give this thread one, so a fault on an
    // exhausted stack can still be handled.
    stack_t current{};
    if (sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE) && current.ss_sp) {
      t_altstack.mem = nullptr;
      return;
    }
    const size_t size = 64 * 1024;
    void* mem = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return;
    stack_t ss{};
    ss.ss_sp = mem;
    ss.ss_size = size;
    if (sigaltstack(&ss, nullptr) != 0) {
      munmap(mem, size);
      return;
    }
    t_altstack.mem = mem;
    t_altstack.size = size;
  }
}

void register_code_range(uintptr_t start, uintptr_t end) {
  std::lock_guard<std::mutex> lock(g_range_mutex);
  const size_t n = g_range_count.load(std::memory_order_relaxed);
  for (size_t i = 0; i < n; ++i) {  // reuse a freed slot
    if (g_ranges[i].start.load(std::memory_order_relaxed) == 0) {
      g_ranges[i].end.store(end, std::memory_order_release);
      g_ranges[i].start.store(start, std::memory_order_release);
      return;
    }
  }
  if (n == kMaxRanges) std::abort();  // more loaded modules than the registry can describe
  g_ranges[n].end.store(end, std::memory_order_release);
  g_ranges[n].start.store(start, std::memory_order_release);
  g_range_count.store(n + 1, std::memory_order_release);
}

void unregister_code_range(uintptr_t start) {
  std::lock_guard<std::mutex> lock(g_range_mutex);
  const size_t n = g_range_count.load(std::memory_order_relaxed);
  for (size_t i = 0; i < n; ++i) {
    if (g_ranges[i].start.load(std::memory_order_relaxed) == start) {
      g_ranges[i].start.store(0, std::memory_order_release);
      g_ranges[i].end.store(0, std::memory_order_release);
      return;
    }
  }
}

bool is_guest_pc(uintptr_t pc) {
  const size_t n = g_range_count.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i) {
    const uintptr_t s = g_ranges[i].start.load(std::memory_order_acquire);
    if (s && pc >= s && pc < g_ranges[i].end.load(std::memory_order_acquire)) return true;
  }
  return false;
}

Activation* current_activation() { return t_current; }
void push_activation(Activation* a) {
  a->prev = t_current;
  t_current = a;
}
void pop_activation(Activation* a) { t_current = a->prev; }
void set_current_activation(Activation* a) { t_current = a; }

void raise_trap(abi::TrapCode code, uintptr_t pc, uintptr_t fp) {
  Activation* a = t_current;
  if (!a) std::abort();  // a trap with no guest call in progress is a runtime bug
  a->code = code;
  a->pc = pc;
  a->fp = fp;
  siglongjmp(a->jump, 1);
}

}  // namespace atl::runtime
