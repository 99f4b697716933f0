#include "runtime/memory_image.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace atl::runtime {

namespace {
constexpr uint64_t kPage = 4096;

bool write_all(int fd, const uint8_t* p, uint64_t n, uint64_t at) {
  while (n > 0) {
    const ssize_t w = pwrite(fd, p, n, static_cast<off_t>(at));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<uint64_t>(w);
    at += static_cast<uint64_t>(w);
  }
  return true;
}
}  // namespace

std::shared_ptr<const MemoryImage> MemoryImage::build(const wasm::Module& m) {
  // One defined 32-bit memory: with more, the others' segments take the copying path anyway.
  if (m.memories.size() != 1 || m.num_imported_memories != 0 || m.memories[0].is64) return nullptr;
  const uint64_t initial = m.memories[0].limits.min << 16;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const wasm::DataSegment& seg : m.datas) {
    if (seg.mode != wasm::SegmentMode::Active) continue;
    if (seg.offset.kind != wasm::ConstExpr::Kind::I32) return nullptr;  // global.get: known only later
    const uint64_t at = static_cast<uint32_t>(seg.offset.bits);
    if (at + seg.size > initial) return nullptr;  // traps at instantiation: take the copying path
    if (seg.size == 0) continue;
    lo = std::min(lo, at);
    hi = std::max(hi, at + seg.size);
  }
  if (hi <= lo || hi - lo < kMinImageBytes) return nullptr;
  lo &= ~(kPage - 1);
  hi = (hi + kPage - 1) & ~(kPage - 1);

  const int fd = memfd_create("atoll-memory-image", MFD_CLOEXEC);
  if (fd < 0) return nullptr;
  auto image = std::shared_ptr<MemoryImage>(new MemoryImage());
  image->fd_ = fd;
  image->offset_ = lo;
  image->size_ = hi - lo;
  // The file mirrors the memory from `lo`; segments are written in order, so a later one
  // overwrites an earlier one where they overlap, as instantiation would.
  if (ftruncate(fd, static_cast<off_t>(image->size_)) != 0) return nullptr;
  for (const wasm::DataSegment& seg : m.datas) {
    if (seg.mode != wasm::SegmentMode::Active || seg.size == 0) continue;
    const uint64_t at = static_cast<uint32_t>(seg.offset.bits);
    if (!write_all(fd, m.bytes.data() + seg.data_offset, seg.size, at - lo)) return nullptr;
  }
  return image;
}

MemoryImage::~MemoryImage() {
  if (fd_ >= 0) close(fd_);
}

Result<void> MemoryImage::map_into(uint8_t* memory_base) const {
  void* p = mmap(memory_base + offset_, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd_, 0);
  if (p == MAP_FAILED) {
    return make_error(ErrorKind::Other, std::string("cannot map a memory image: ") + std::strerror(errno));
  }
  return {};
}

}  // namespace atl::runtime
