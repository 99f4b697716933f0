#include "runtime/code_image.h"

#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "runtime/trap/trap_handler.h"

namespace atl::runtime {
namespace {

Error load_error(const std::string& what) {
  return make_error(ErrorKind::Other, "cannot load artifact: " + what);
}

size_t align_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

constexpr size_t kStubSize = 16;  // jmp *0(%rip); .quad target; padding

}  // namespace

Result<CodeImage*> CodeImage::load(const artifact::ElfFile& elf) {
  const auto& sections = elf.sections();
  const auto& symbols = elf.symbols();
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));

  // External symbols: one stub and one GOT slot each.
  std::vector<int> external_slot(symbols.size(), -1);
  std::vector<void*> external_addr;
  for (size_t i = 0; i < symbols.size(); ++i) {
    const artifact::ElfSymbol& s = symbols[i];
    if (s.section != SHN_UNDEF || s.name.empty()) continue;
    void* addr = resolve_runtime_symbol(s.name);
    if (!addr) return load_error("unknown external symbol '" + s.name + "'");
    external_slot[i] = static_cast<int>(external_addr.size());
    external_addr.push_back(addr);
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
  for (size_t k = 0; k < external_addr.size(); ++k) {
    uint8_t* stub = base + stubs_offset + k * kStubSize;
    const uint8_t jmp[6] = {0xff, 0x25, 0x00, 0x00, 0x00, 0x00};  // jmp *0(%rip)
    std::memcpy(stub, jmp, 6);
    std::memcpy(stub + 6, &external_addr[k], 8);
    std::memcpy(base + got_offset + k * 8, &external_addr[k], 8);
  }

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
