// A host SIGSEGV handler installed before atoll still receives faults in host code, while faults
// in guest code become traps. Its own program: signal handlers are process-wide state.
#include <signal.h>
#include <sys/mman.h>

#include <csetjmp>
#include <cstdio>

#include "atoll/atoll.h"
#include "../wat.h"

namespace {
sigjmp_buf g_jump;
volatile sig_atomic_t g_faults = 0;
void host_handler(int) {
  g_faults = g_faults + 1;
  siglongjmp(g_jump, 1);
}
int fail(const char* what) {
  std::fprintf(stderr, "FAIL: %s\n", what);
  return 1;
}
}  // namespace

int main() {
  struct sigaction sa = {};
  sa.sa_handler = host_handler;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, nullptr);

  atl::Engine engine;
  auto module = atl::compile_module(
      engine, atl::test::wat("(module (memory 1) (func (export \"load\") (param i32) (result i32) (i32.load (local.get 0))))"));
  if (!module.ok()) return fail("compile");
  atl::Store store(engine);
  atl::Linker linker(store);
  auto inst = linker.instantiate(*module);
  if (!inst.ok()) return fail("instantiate");
  auto load = inst->func<int32_t(int32_t)>("load");
  for (int round = 0; round < 3; ++round) {
    auto r = (*load)(-4);
    if (r.ok() || r.error().message != "out of bounds memory access") return fail("guest fault is not a trap");
    if (g_faults != round) return fail("the host handler saw a guest fault");
    void* page = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sigsetjmp(g_jump, 1) == 0) {
      *static_cast<volatile int*>(page) = 1;  // a fault in host code
      return fail("host fault did not fault");
    }
    munmap(page, 4096);
    if (g_faults != round + 1) return fail("the host handler missed a host fault");
  }
  std::printf("host handler received %d host faults; guest faults trapped\n", static_cast<int>(g_faults));
  return 0;
}
