#include "runtime/code_image.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/trap/trap_handler.h"

namespace atl::runtime {
namespace {

Error load_error(const std::string& what) {
  return make_error(ErrorKind::Other, "cannot load artifact: " + what);
}

size_t align_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

constexpr size_t kStubSize = 8;  // jmp *GOT(%rip); padding

bool write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    const ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Writes `path` (temporary file, then rename: readers see no partial file) with these bytes.
bool write_code_file(const std::string& path, const uint8_t* bytes, size_t size) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid()) + "." + std::to_string(reinterpret_cast<uintptr_t>(bytes));
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400);
  if (fd < 0) return false;
  const bool written = write_all(fd, bytes, size);
  close(fd);
  if (!written || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return false;
  }
  return true;
}

// Replaces the code pages [base, base + size) (already relocated, read+execute) by a private
// mapping of `path` when that file holds exactly these bytes, creating it first if it is missing
// or differs. Every process loading the artifact then maps the same page-cache pages. The file is
// trusted only after the byte comparison, and only if it is a regular file of ours that no one
// else may write; on any failure (a noexec mount, a full disk) the anonymous copy stays.
bool map_shared_code(uint8_t* base, size_t size, const std::string& path) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
      struct stat st;
      const bool usable = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
                          (st.st_mode & 022) == 0 && static_cast<uint64_t>(st.st_size) == size;
      void* f = usable ? mmap(nullptr, size, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) : MAP_FAILED;
      close(fd);
      if (f != MAP_FAILED) {
        if (std::memcmp(f, base, size) == 0 &&
            mremap(f, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, base) != MAP_FAILED) {
          return true;
        }
        munmap(f, size);
      }
    }
    if (attempt == 0 && !write_code_file(path, base, size)) return false;
  }
  return false;
}

}  // namespace

Result<CodeImage*> CodeImage::load(const artifact::ElfFile& elf, const std::string& shared_code_file) {
  const auto& sections = elf.sections();
  const auto& symbols = elf.symbols();
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));

  // External symbols: one stub and one GOT slot each.
  std::vector<int> external_slot(symbols.size(), -1);
  std::vector<void*> external_addr;
  std::vector<std::string> external_names;
  for (size_t i = 0; i < symbols.size(); ++i) {
    const artifact::ElfSymbol& s = symbols[i];
    if (s.section != SHN_UNDEF || s.name.empty()) continue;
    void* addr = resolve_runtime_symbol(s.name);
    if (!addr) return load_error("unknown external symbol '" + s.name + "'");
    external_slot[i] = static_cast<int>(external_addr.size());
    external_addr.push_back(addr);
    external_names.push_back(s.name);
  }

  // Layout.
  std::vector<uint64_t> section_offset(sections.size(), UINT64_MAX);
  size_t cursor = 0;
  for (size_t i = 0; i < sections.size(); ++i) {
    const auto& s = sections[i];
    if ((s.flags & SHF_ALLOC) && (s.flags & SHF_EXECINSTR)) {
      cursor = align_up(cursor, s.align);
      section_offset[i] = cursor;
      cursor += s.size;
    }
  }
  cursor = align_up(cursor, kStubSize);
  const size_t stubs_offset = cursor;
  cursor += external_addr.size() * kStubSize;
  const size_t code_size = align_up(cursor, page);
  cursor = code_size;
  for (size_t i = 0; i < sections.size(); ++i) {
    const auto& s = sections[i];
    if ((s.flags & SHF_ALLOC) && !(s.flags & SHF_EXECINSTR)) {
      if (s.flags & SHF_WRITE) return load_error("writable section " + s.name + " is not supported");
      cursor = align_up(cursor, s.align);
      section_offset[i] = cursor;
      cursor += s.size;
    }
  }
  cursor = align_up(cursor, 8);
  const size_t got_offset = cursor;
  cursor += external_addr.size() * 8;
  const size_t total = align_up(cursor, page);

  void* m = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return load_error(std::string("mmap: ") + std::strerror(errno));
  auto* img = new CodeImage();
  img->base_ = static_cast<uint8_t*>(m);
  img->size_ = total;
  img->code_end_ = reinterpret_cast<uintptr_t>(m) + code_size;
  uint8_t* base = img->base_;
  auto fail = [&](const std::string& what) -> Result<CodeImage*> {
    delete img;
    return load_error(what);
  };

  for (size_t i = 0; i < sections.size(); ++i) {
    if (section_offset[i] == UINT64_MAX) continue;
    auto bytes = elf.contents(sections[i]);
    if (!bytes.empty()) std::memcpy(base + section_offset[i], bytes.data(), bytes.size());
  }
  // The stubs jump through the GOT rather than holding the addresses themselves: the code pages
  // then depend only on the layout, never on where this process has its runtime, and can be
  // shared between processes.
  for (size_t k = 0; k < external_addr.size(); ++k) {
    uint8_t* stub = base + stubs_offset + k * kStubSize;
    const uint8_t* slot = base + got_offset + k * 8;
    const int32_t disp = static_cast<int32_t>(slot - (stub + 6));
    const uint8_t jmp[2] = {0xff, 0x25};  // jmp *disp32(%rip)
    std::memcpy(stub, jmp, 2);
    std::memcpy(stub + 2, &disp, 4);
    stub[6] = 0xcc;  // int3 padding
    stub[7] = 0xcc;
    std::memcpy(base + got_offset + k * 8, &external_addr[k], 8);
    img->stubs_.push_back({reinterpret_cast<uintptr_t>(stub), std::move(external_names[k])});
  }
  bool code_is_position_independent = true;

  auto symbol_address = [&](uint32_t index, bool want_stub) -> uintptr_t {
    const artifact::ElfSymbol& s = symbols[index];
    if (external_slot[index] >= 0) {
      const size_t k = static_cast<size_t>(external_slot[index]);
      return want_stub ? reinterpret_cast<uintptr_t>(base + stubs_offset + k * kStubSize)
                       : reinterpret_cast<uintptr_t>(external_addr[k]);
    }
    if (s.section == SHN_ABS) return s.value;
    if (s.section >= sections.size() || section_offset[s.section] == UINT64_MAX) return 0;
    return reinterpret_cast<uintptr_t>(base + section_offset[s.section] + s.value);
  };

  for (size_t target = 0; target < sections.size(); ++target) {
    if (section_offset[target] == UINT64_MAX) continue;
    auto relocs = elf.relocations_for(target);
    if (!relocs.ok()) return fail(relocs.error().message);
    for (const artifact::ElfRelocation& r : *relocs) {
      uint8_t* where = base + section_offset[target] + r.offset;
      const uintptr_t P = reinterpret_cast<uintptr_t>(where);
      switch (r.type) {
        case R_X86_64_64: {
          if (sections[target].size - r.offset < 8) return fail("relocation outside its section");
          const uint64_t v = symbol_address(r.symbol, false) + static_cast<uint64_t>(r.addend);
          std::memcpy(where, &v, 8);
          if (sections[target].flags & SHF_EXECINSTR) code_is_position_independent = false;
          break;
        }
        case R_X86_64_PC32:
        case R_X86_64_PLT32:
        case R_X86_64_GOTPCREL:
        case R_X86_64_GOTPCRELX:
        case R_X86_64_REX_GOTPCRELX: {
          uintptr_t S;
          if (r.type == R_X86_64_PC32 || r.type == R_X86_64_PLT32) {
            S = symbol_address(r.symbol, true);
          } else if (external_slot[r.symbol] >= 0) {
            S = reinterpret_cast<uintptr_t>(base + got_offset + external_slot[r.symbol] * 8);
          } else {
            return fail("GOT relocation against a local symbol");
          }
          if (S == 0) return fail("relocation against an unloaded section");
          const int64_t v = static_cast<int64_t>(S + static_cast<uint64_t>(r.addend) - P);
          if (v != static_cast<int32_t>(v)) return fail("relocation out of range");
          const int32_t v32 = static_cast<int32_t>(v);
          std::memcpy(where, &v32, 4);
          break;
        }
        case R_X86_64_PC64: {
          if (sections[target].size - r.offset < 8) return fail("relocation outside its section");
          const int64_t v = static_cast<int64_t>(symbol_address(r.symbol, true) + static_cast<uint64_t>(r.addend) - P);
          std::memcpy(where, &v, 8);
          break;
        }
        default: return fail("unsupported relocation type " + std::to_string(r.type));
      }
    }
  }

  if (mprotect(base, code_size, PROT_READ | PROT_EXEC) != 0 ||
      (total > code_size && mprotect(base + code_size, total - code_size, PROT_READ) != 0)) {
    return fail(std::string("mprotect: ") + std::strerror(errno));
  }
  if (!shared_code_file.empty() && code_is_position_independent) {
    img->shared_ = map_shared_code(base, code_size, shared_code_file);
  }
  for (size_t i = 0; i < symbols.size(); ++i) {
    const artifact::ElfSymbol& s = symbols[i];
    if (s.name.empty() || s.section == SHN_UNDEF || s.section >= sections.size()) continue;
    if (section_offset[s.section] == UINT64_MAX) continue;
    img->symbols_[s.name] = Symbol{reinterpret_cast<uintptr_t>(base + section_offset[s.section] + s.value), s.size};
  }
  register_code_range(img->code_start(), img->code_end_);
  return img;
}

CodeImage::~CodeImage() {
  if (!base_) return;
  unregister_code_range(code_start());
  munmap(base_, size_);
}

void* CodeImage::symbol(const std::string& name) const {
  auto it = symbols_.find(name);
  return it == symbols_.end() ? nullptr : reinterpret_cast<void*>(it->second.address);
}

}  // namespace atl::runtime
