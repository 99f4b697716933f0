#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "runtime/memory_image.h"
#include "runtime/objects.h"
#include "runtime/pool.h"

namespace atl::runtime {

namespace {
constexpr uint64_t kGuardReservation = 8ull << 30;  // 4 GiB + 4 GiB guard
}

Result<std::shared_ptr<LinearMemory>> LinearMemory::create(const wasm::MemoryType& type, BoundsMode mode,
                                                           uint64_t max_pages_limit,
                                                           const std::shared_ptr<MemoryPool>& pool,
                                                           const std::shared_ptr<const MemoryImage>& image) {
  auto m = std::shared_ptr<LinearMemory>(new LinearMemory());
  // No guard region covers a 64-bit address space: code checks every access to such a memory.
  if (type.is64) mode = BoundsMode::Explicit;
  m->type_ = type;
  m->mode_ = mode;
  uint64_t max_pages = type.limits.max ? *type.limits.max : type.is64 ? wasm::kMaxPages64 : wasm::kMaxPages;
  max_pages = std::min(max_pages, max_pages_limit);
  if (type.limits.min > max_pages) {
    return make_error(ErrorKind::Other, "memory minimum of " + std::to_string(type.limits.min) +
                                            " pages exceeds the limit of " + std::to_string(max_pages) + " pages");
  }
  m->max_pages_ = max_pages;
  m->reserved_ = mode == BoundsMode::GuardPages ? kGuardReservation : std::max<uint64_t>(max_pages << 16, 4096);
  if (pool) {
    // The slot must hold the whole reservation this mode relies on.
    if (pool->stride() < m->reserved_) {
      if (mode == BoundsMode::GuardPages) {
        return make_error(ErrorKind::Other, "the memory pool's slots are too small for guard-page memories");
      }
      m->max_pages_ = std::min<uint64_t>(m->max_pages_, pool->stride() >> 16);
      m->reserved_ = pool->stride();
      if (type.limits.min > m->max_pages_) {
        return make_error(ErrorKind::Other, "memory minimum exceeds the pool's slot size");
      }
    }
    auto lease = pool->acquire(image, type.limits.min << 16);
    if (!lease.ok()) return lease.take_error();
    m->base_ = lease->base;
    m->slot_ = lease->slot;
    m->pool_ = SharedRef<MemoryPool>(pool);
  } else {
    void* p = mmap(nullptr, m->reserved_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      return make_error(ErrorKind::Other, "cannot reserve " + std::to_string(m->reserved_ >> 20) +
                                              " MiB for a linear memory: " + std::strerror(errno));
    }
    m->base_ = static_cast<uint8_t*>(p);
    const uint64_t initial = type.limits.min << 16;
    if (initial && mprotect(m->base_, initial, PROT_READ | PROT_WRITE) != 0) {
      return make_error(ErrorKind::Other, std::string("cannot commit linear memory: ") + std::strerror(errno));
    }
    if (image) {
      auto mapped = image->map_into(m->base_);
      if (!mapped.ok()) return mapped.take_error();
    }
  }
  const uint64_t initial = type.limits.min << 16;
  m->size_ = initial;
  m->high_water_ = initial;
  return m;
}

LinearMemory::~LinearMemory() {
  if (!base_) return;
  if (pool_) {
    pool_->release(slot_, high_water_, !known_clean_);
  } else {
    munmap(base_, reserved_);
  }
}

int64_t LinearMemory::grow(uint64_t delta) {
  const uint64_t old_pages = size_ >> 16;
  if (delta == 0) return static_cast<int64_t>(old_pages);
  if (delta > max_pages_ - old_pages) return -1;
  const uint64_t new_pages = old_pages + delta;
  if (new_pages << 16 > high_water_) {
    const bool ok = pool_ ? pool_->grow(slot_, high_water_, new_pages << 16)
                          : mprotect(base_ + high_water_, (new_pages << 16) - high_water_, PROT_READ | PROT_WRITE) == 0;
    if (!ok) return -1;
  }
  size_ = new_pages << 16;
  high_water_ = std::max(high_water_, size_);
  for (abi::MemoryView* v : users_) v->size = size_;
  return static_cast<int64_t>(old_pages);
}

void LinearMemory::attach(abi::MemoryView* view, const StoreData* store) {
  if (store != owner_) mark_written();
  users_.push_back(view);
  view->base = base_;
  view->size = size_;
}

void LinearMemory::detach(abi::MemoryView* view) {
  users_.erase(std::remove(users_.begin(), users_.end(), view), users_.end());
}

}  // namespace atl::runtime
