#include "runtime/pool.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace atl::runtime {

Result<std::shared_ptr<MemoryPool>> MemoryPool::create(uint32_t slots, uint64_t stride) {
  if (slots == 0 || stride == 0 || stride % 65536 != 0) {
    return make_error(ErrorKind::Usage, "a memory pool needs slots and a stride that is a multiple of 64 KiB");
  }
  const uint64_t total = uint64_t{slots} * stride;
  if (total / stride != slots || total > (uint64_t{120} << 40)) {
    return make_error(ErrorKind::Usage, "a pool of " + std::to_string(slots) + " slots of " +
                                            std::to_string(stride >> 20) + " MiB exceeds the 120 TiB address-space budget");
  }
  void* p = mmap(nullptr, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    return make_error(ErrorKind::Other, "cannot reserve " + std::to_string(total >> 30) + " GiB for the memory pool: " +
                                            std::strerror(errno));
  }
  auto pool = std::shared_ptr<MemoryPool>(new MemoryPool());
  pool->base_ = static_cast<uint8_t*>(p);
  pool->stride_ = stride;
  pool->slots_ = slots;
  pool->free_.reserve(slots);
  for (uint32_t i = slots; i-- > 0;) pool->free_.push_back(i);  // low slots first
  return pool;
}

MemoryPool::~MemoryPool() {
  if (base_) munmap(base_, uint64_t{slots_} * stride_);
}

Result<uint8_t*> MemoryPool::acquire() {
  std::lock_guard<std::mutex> lock(mu_);
  if (free_.empty()) {
    return make_error(ErrorKind::Other, "the memory pool is exhausted: all " + std::to_string(slots_) + " slots are in use");
  }
  const uint32_t slot = free_.back();
  free_.pop_back();
  return base_ + uint64_t{slot} * stride_;
}

void MemoryPool::release(uint8_t* base, uint64_t used) {
  if (used) {
    // The pages read as zero afterwards; PROT_NONE restores the slot's guard behaviour.
    madvise(base, used, MADV_DONTNEED);
    mprotect(base, used, PROT_NONE);
  }
  std::lock_guard<std::mutex> lock(mu_);
  free_.push_back(static_cast<uint32_t>((base - base_) / stride_));
}

uint32_t MemoryPool::in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return slots_ - static_cast<uint32_t>(free_.size());
}

}  // namespace atl::runtime
