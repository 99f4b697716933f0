#include "runtime/pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "runtime/memory_image.h"

namespace atl::runtime {

namespace {
constexpr uint64_t kPage = 4096;
constexpr uint64_t kMaxChunkBytes = uint64_t{512} << 30;
constexpr uint64_t kAddressBudget = uint64_t{120} << 40;

int slot_protection(bool guard_pages) { return guard_pages ? PROT_NONE : PROT_READ | PROT_WRITE; }
}  // namespace

Result<std::shared_ptr<MemoryPool>> MemoryPool::create(const Options& o) {
  if (o.slots == 0 || o.stride == 0 || o.stride % 65536 != 0) {
    return make_error(ErrorKind::Usage, "a memory pool needs slots and a stride that is a multiple of 64 KiB");
  }
  const uint64_t total = uint64_t{o.slots} * o.stride;
  if (total / o.stride != o.slots || total > kAddressBudget) {
    return make_error(ErrorKind::Usage, "a pool of " + std::to_string(o.slots) + " slots of " +
                                            std::to_string(o.stride >> 20) +
                                            " MiB exceeds the 120 TiB address-space budget");
  }
  auto pool = make_sharded<MemoryPool>();
  pool->options_ = o;
  pool->slots_.resize(o.slots);
  // Chunks rather than one mapping: a position-independent executable sits in the middle of the
  // address space, so no single gap holds 100+ TiB.
  const uint32_t per_chunk = static_cast<uint32_t>(std::max<uint64_t>(1, kMaxChunkBytes / o.stride));
  for (uint32_t first = 0; first < o.slots; first += per_chunk) {
    const uint32_t n = std::min(per_chunk, o.slots - first);
    const uint64_t bytes = uint64_t{n} * o.stride;
    void* p = mmap(nullptr, bytes, slot_protection(o.guard_pages), MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      return make_error(ErrorKind::Other, "cannot reserve " + std::to_string(total >> 30) +
                                              " GiB for the memory pool (failed at slot " + std::to_string(first) +
                                              "): " + std::strerror(errno));
    }
    pool->chunks_.emplace_back(p, bytes);
    for (uint32_t i = 0; i < n; ++i) pool->slots_[first + i].base = static_cast<uint8_t*>(p) + uint64_t{i} * o.stride;
  }
  for (uint32_t i = o.slots; i-- > 0;) pool->free_[i % kFreeShards].plain.push_back(i);  // low slots first
  return pool;
}

MemoryPool::~MemoryPool() {
  for (auto [p, n] : chunks_) munmap(p, n);
}

bool MemoryPool::unmap_image(Slot& s) {
  if (!s.image) return true;
  // The image lies inside [0, accessible): anonymous read-write zeros take its place.
  void* p = mmap(s.base + s.image->offset(), s.image->size(), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  if (p == MAP_FAILED) return false;
  s.image.reset();
  return true;
}

bool MemoryPool::prepare(Slot& s, const std::shared_ptr<const MemoryImage>& image, uint64_t initial) {
  if (s.unknown) {
    // An earlier mmap/mprotect failed part-way (ENOMEM at the mapping limit, typically): start the
    // slot over as one fresh mapping.
    void* p = mmap(s.base, options_.stride, slot_protection(options_.guard_pages),
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED) return false;
    s.image.reset();
    s.accessible = 0;
    s.unknown = false;
  }
  s.unknown = true;  // until every step below has succeeded
  if (s.image != image && !unmap_image(s)) return false;
  if (options_.guard_pages && s.accessible != initial) {
    if (s.accessible < initial) {
      if (mprotect(s.base + s.accessible, initial - s.accessible, PROT_READ | PROT_WRITE) != 0) return false;
    } else if (mprotect(s.base + initial, s.accessible - initial, PROT_NONE) != 0) {
      return false;
    }
    s.accessible = initial;
  }
  if (image && !s.image) {
    if (!image->map_into(s.base).ok()) return false;
    s.image = image;
  }
  s.unknown = false;
  return true;
}

uint32_t MemoryPool::pop(std::vector<uint32_t>& list) {
  const uint32_t slot = list.back();
  list.pop_back();
  return slot;
}

// Pass 0: a slot holding `image`; 1: a slot without an image; 2: any slot (another module's
// image is replaced).
uint32_t MemoryPool::take_from(FreeList& f, const MemoryImage* image, int pass) {
  std::lock_guard<std::mutex> lock(f.mu);
  if (pass == 0) {
    if (!image) return UINT32_MAX;
    auto it = f.by_image.find(image);
    return it != f.by_image.end() && !it->second.empty() ? pop(it->second) : UINT32_MAX;
  }
  if (!f.plain.empty()) return pop(f.plain);
  if (pass == 1) return UINT32_MAX;
  for (auto it = f.by_image.begin(); it != f.by_image.end();) {
    if (!it->second.empty()) return pop(it->second);
    it = f.by_image.erase(it);
  }
  return UINT32_MAX;
}

Result<MemoryPool::Lease> MemoryPool::acquire(const std::shared_ptr<const MemoryImage>& image, uint64_t initial) {
  const uint32_t home = ShardedRefs::this_thread_shard() % kFreeShards;
  uint32_t slot = UINT32_MAX;
  for (int pass = 0; pass < 3 && slot == UINT32_MAX; ++pass) {
    for (uint32_t k = 0; k < kFreeShards && slot == UINT32_MAX; ++k) {
      slot = take_from(free_[(home + k) % kFreeShards], image.get(), pass);
    }
  }
  if (slot == UINT32_MAX) {
    return make_error(ErrorKind::Other, "the memory pool is exhausted: all " + std::to_string(options_.slots) +
                                            " slots are in use");
  }
  Slot& s = slots_[slot];
  if (!prepare(s, image, initial)) {
    const int err = errno;
    release(slot, 0);
    return make_error(ErrorKind::Other, std::string("cannot prepare a memory pool slot: ") + std::strerror(err));
  }
  return Lease{slot, s.base};
}

bool MemoryPool::grow(uint32_t slot, uint64_t from, uint64_t to) {
  if (!options_.guard_pages) return true;
  return mprotect(slots_[slot].base + from, to - from, PROT_READ | PROT_WRITE) == 0;
}

namespace {

bool page_is_zero(const uint8_t* p) {
  const auto* w = reinterpret_cast<const uint64_t*>(p);
  for (size_t i = 0; i < kPage / 8; i += 8) {
    if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7]) return false;
  }
  return true;
}

// Zeroes the resident pages of [base, base + bytes) if there are at most `budget` bytes of them
// (false: too many, or mincore failed). Pages that read as zero are left alone: they may be the
// kernel's shared zero page, which a write would replace by a real page.
bool zero_resident_pages(uint8_t* base, uint64_t bytes, uint64_t budget) {
  thread_local std::vector<unsigned char> resident;
  const size_t pages = (bytes + kPage - 1) / kPage;
  resident.resize(pages);
  if (mincore(base, bytes, resident.data()) != 0) return false;
  size_t count = 0;
  for (unsigned char r : resident) count += r & 1;
  if (count * kPage > budget) return false;
  for (size_t i = 0; i < pages; ++i) {
    uint8_t* page = base + i * kPage;
    if ((resident[i] & 1) && !page_is_zero(page)) std::memset(page, 0, kPage);
  }
  return true;
}

}  // namespace

// Reset: pages of an image need madvise (only it brings the image's bytes back). Anonymous
// pages are zeroed in place when few enough are resident (mincore tells which; no page faults
// next time, no TLB shootdown), otherwise madvise'd, one thread at a time: when two threads zap
// pages of one process at once, the kernel turns both into full TLB flushes with shootdown IPIs
// (measured: 0.5 us per madvise alone, 8 us each when two overlap, even with no pages present).
void MemoryPool::release(uint32_t slot, uint64_t used, bool reset) {
  Slot& s = slots_[slot];
  if (used && reset) {
    // Guard-page mode: pages beyond the prepared size are made inaccessible below, so they go
    // back to the kernel rather than staying resident behind PROT_NONE.
    const uint64_t kept = options_.guard_pages ? std::min(used, s.accessible) : used;
    const bool zeroed = !s.image && options_.keep_resident > 0 &&
                        zero_resident_pages(s.base, kept, options_.keep_resident);
    const uint64_t from = zeroed ? kept : 0;
    if (used > from) {
      std::lock_guard<std::mutex> lock(reset_mu_);
      madvise(s.base + from, used - from, MADV_DONTNEED);
    }
  }
  if (used && options_.guard_pages && used > s.accessible &&
      mprotect(s.base + s.accessible, used - s.accessible, PROT_NONE) != 0) {
    s.unknown = true;  // the grown part must not stay accessible: the next lease remaps it all
  }
  FreeList& f = free_[ShardedRefs::this_thread_shard() % kFreeShards];
  std::lock_guard<std::mutex> lock(f.mu);
  if (s.image) {
    f.by_image[s.image.get()].push_back(slot);
  } else {
    f.plain.push_back(slot);
  }
}

uint32_t MemoryPool::in_use() const {
  uint32_t free = 0;
  for (FreeList& f : free_) {
    std::lock_guard<std::mutex> lock(f.mu);
    free += static_cast<uint32_t>(f.plain.size());
    for (const auto& [image, list] : f.by_image) free += static_cast<uint32_t>(list.size());
  }
  return options_.slots - free;
}

}  // namespace atl::runtime
