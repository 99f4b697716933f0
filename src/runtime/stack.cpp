#include "runtime/stack.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace atl::runtime {

extern "C" __attribute__((naked)) void atl_call_on_stack(uintptr_t, void (*)(void*), void*) {
  // rdi = top, rsi = fn, rdx = arg. rbp keeps the old stack pointer, so the frame-pointer chain
  // runs from guest frames back into the host's.
  asm volatile(
      "push %rbp\n\t"
      "mov %rsp, %rbp\n\t"
      "mov %rdi, %rsp\n\t"
      "mov %rdx, %rdi\n\t"
      "call *%rsi\n\t"
      "mov %rbp, %rsp\n\t"
      "pop %rbp\n\t"
      "ret\n\t");
}

Result<std::unique_ptr<GuestStack>> GuestStack::create(size_t wasm_bytes, size_t reserve_bytes) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t usable = (wasm_bytes + reserve_bytes + page - 1) & ~(page - 1);
  const size_t total = usable + page;
  void* m = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) {
    return make_error(ErrorKind::Other, std::string("cannot allocate a guest stack: ") + std::strerror(errno));
  }
  if (mprotect(m, page, PROT_NONE) != 0) {
    munmap(m, total);
    return make_error(ErrorKind::Other, std::string("cannot protect a guest stack guard: ") + std::strerror(errno));
  }
  auto s = std::unique_ptr<GuestStack>(new GuestStack());
  s->mapping_ = m;
  s->mapping_size_ = total;
  const uintptr_t base = reinterpret_cast<uintptr_t>(m) + page;
  s->base_ = base;
  s->top_ = (base + usable) & ~uintptr_t{15};
  s->limit_ = base + reserve_bytes;
  return s;
}

GuestStack::~GuestStack() {
  if (mapping_) munmap(mapping_, mapping_size_);
}

}  // namespace atl::runtime

namespace atl::runtime {

void GuestStack::discard_below(size_t keep) {
  const uintptr_t low = base_;
  const uintptr_t high = (top_ - keep) & ~uintptr_t{4095};
  if (high <= low) return;
  // A stack is used downwards without gaps (large frames are probed page by page) and was
  // emptied below `keep` when it was last returned: if the page just below is not resident,
  // nothing deeper is. Skipping the madvise then matters: on recent kernels it frees the empty
  // page tables, which costs a TLB shootdown across every thread of the process.
  unsigned char resident = 0;
  if (mincore(reinterpret_cast<void*>(high - 4096), 4096, &resident) == 0 && !(resident & 1)) return;
  madvise(reinterpret_cast<void*>(low), high - low, MADV_DONTNEED);
}

Result<std::unique_ptr<GuestStack>> StackPool::acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!free_.empty()) {
      auto s = std::move(free_.back());
      free_.pop_back();
      return s;
    }
  }
  return GuestStack::create(wasm_bytes_, reserve_bytes_);
}

void StackPool::release(std::unique_ptr<GuestStack> stack) {
  if (++stack->unchecked_uses_ >= kCheckEvery) {
    stack->discard_below(kKeepResident);
    stack->unchecked_uses_ = 0;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (free_.size() < max_cached_) free_.push_back(std::move(stack));
  // Otherwise unmapped here, as `stack` goes out of scope (after the lock: declared first).
}

void StackPool::prewarm(size_t count, size_t touch_bytes) {
  touch_bytes = std::min(touch_bytes, kKeepResident);
  for (size_t i = 0; i < count && cached() < max_cached_; ++i) {
    auto s = GuestStack::create(wasm_bytes_, reserve_bytes_);
    if (!s.ok()) return;  // out of mappings or memory: what is there stays
    GuestStack& g = **s;
    volatile char* top = reinterpret_cast<volatile char*>(g.top());
    for (size_t off = 4096; off <= touch_bytes; off += 4096) top[-static_cast<ptrdiff_t>(off)] = 0;
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(s.value()));
  }
}

size_t StackPool::trim(size_t max_stacks) {
  std::vector<std::unique_ptr<GuestStack>> taken;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Oldest first (the front): the back is what the next calls take.
    size_t kept = 0;
    for (size_t i = 0; i < free_.size(); ++i) {
      if (taken.size() < max_stacks && free_[i]->unchecked_uses_ > 0) {
        taken.push_back(std::move(free_[i]));
      } else {
        if (kept != i) free_[kept] = std::move(free_[i]);
        ++kept;
      }
    }
    free_.resize(kept);
  }
  if (taken.empty()) return 0;
  // Outside the lock: calls keep taking and returning stacks meanwhile.
  for (auto& s : taken) {
    s->discard_below(kKeepResident);
    s->unchecked_uses_ = 0;
  }
  const size_t n = taken.size();
  std::vector<std::unique_ptr<GuestStack>> extra;  // declared first: unmapped after the lock
  std::lock_guard<std::mutex> lock(mu_);
  const size_t room = max_cached_ > free_.size() ? max_cached_ - free_.size() : 0;
  while (taken.size() > room) {
    extra.push_back(std::move(taken.back()));
    taken.pop_back();
  }
  free_.insert(free_.begin(), std::make_move_iterator(taken.begin()), std::make_move_iterator(taken.end()));
  return n;
}

size_t StackPool::cached() const {
  std::lock_guard<std::mutex> lock(mu_);
  return free_.size();
}

}  // namespace atl::runtime
