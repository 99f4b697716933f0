#include "artifact/elf.h"

#include <elf.h>

#include <cstring>

namespace atl::artifact {
namespace {

Error corrupt(const std::string& what) {
  return make_error(ErrorKind::Other, "corrupt artifact: " + what);
}

template <class T>
bool read_struct(std::span<const uint8_t> bytes, uint64_t offset, T* out) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return false;
  std::memcpy(out, bytes.data() + offset, sizeof(T));
  return true;
}

bool in_file(std::span<const uint8_t> bytes, uint64_t offset, uint64_t size) {
  return offset <= bytes.size() && size <= bytes.size() - offset;
}

}  // namespace

Result<ElfFile> ElfFile::parse(std::span<const uint8_t> bytes) {
  ElfFile f;
  f.bytes_ = bytes;
  Elf64_Ehdr eh;
  if (!read_struct(bytes, 0, &eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
    return make_error(ErrorKind::Other, "not an atoll artifact (no ELF header)");
  }
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
    return make_error(ErrorKind::Other, "artifact is not a 64-bit little-endian ELF file");
  }
  if (eh.e_machine != EM_X86_64) {
    return make_error(ErrorKind::Other, "artifact is for another target (ELF machine " +
                                            std::to_string(eh.e_machine) + ", expected x86-64)");
  }
  if (eh.e_type != ET_REL) return corrupt("not a relocatable object");
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 ||
      !in_file(bytes, eh.e_shoff, uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr)) ||
      eh.e_shstrndx >= eh.e_shnum) {
    return corrupt("bad section header table");
  }
  std::vector<Elf64_Shdr> raw(eh.e_shnum);
  for (size_t i = 0; i < raw.size(); ++i) {
    read_struct(bytes, eh.e_shoff + i * sizeof(Elf64_Shdr), &raw[i]);
    if (raw[i].sh_type != SHT_NOBITS && raw[i].sh_type != SHT_NULL &&
        !in_file(bytes, raw[i].sh_offset, raw[i].sh_size)) {
      return corrupt("section " + std::to_string(i) + " lies outside the file");
    }
  }
  const Elf64_Shdr& strtab = raw[eh.e_shstrndx];
  // Names come from string tables that lie in the file (a NOBITS or NULL section has no bytes).
  auto name_at = [&](const Elf64_Shdr& table, uint64_t off, std::string* out) {
    if (table.sh_type != SHT_STRTAB || off >= table.sh_size) return false;
    const char* s = reinterpret_cast<const char*>(bytes.data() + table.sh_offset + off);
    const size_t max = table.sh_size - off;
    const size_t len = strnlen(s, max);
    if (len == max) return false;  // not NUL-terminated inside the table
    out->assign(s, len);
    return true;
  };
  f.sections_.resize(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    ElfSection& s = f.sections_[i];
    if (i != 0 && !name_at(strtab, raw[i].sh_name, &s.name)) {
      return corrupt("bad name for section " + std::to_string(i));
    }
    s.type = raw[i].sh_type;
    s.flags = raw[i].sh_flags;
    s.offset = raw[i].sh_offset;
    s.size = raw[i].sh_size;
    if (s.type == SHT_NULL) s.offset = s.size = 0;  // no contents, whatever the header says
    s.align = raw[i].sh_addralign ? raw[i].sh_addralign : 1;
    if (s.align & (s.align - 1) || s.align > 4096) return corrupt("bad section alignment");
    // Loaded sections come from the file: no zero-filled (NOBITS) ones, whose size nothing bounds.
    if ((s.flags & SHF_ALLOC) && s.type == SHT_NOBITS && s.size) return corrupt("zero-filled loaded section " + s.name);
    s.link = raw[i].sh_link;
    s.info = raw[i].sh_info;
  }
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i].sh_type != SHT_SYMTAB) continue;
    if (raw[i].sh_entsize != sizeof(Elf64_Sym) || raw[i].sh_link >= raw.size()) {
      return corrupt("bad symbol table");
    }
    const Elf64_Shdr& names = raw[raw[i].sh_link];
    const size_t count = raw[i].sh_size / sizeof(Elf64_Sym);
    f.symbols_.resize(count);
    for (size_t k = 0; k < count; ++k) {
      Elf64_Sym sym;
      read_struct(bytes, raw[i].sh_offset + k * sizeof(Elf64_Sym), &sym);
      ElfSymbol& out = f.symbols_[k];
      if (sym.st_name && !name_at(names, sym.st_name, &out.name)) return corrupt("bad symbol name");
      out.section = sym.st_shndx;
      out.value = sym.st_value;
      out.size = sym.st_size;
      out.type = ELF64_ST_TYPE(sym.st_info);
      out.bind = ELF64_ST_BIND(sym.st_info);
      if (out.section != SHN_UNDEF && out.section < SHN_LORESERVE &&
          (out.section >= raw.size() || out.value > raw[out.section].sh_size ||
           out.size > raw[out.section].sh_size - out.value)) {
        return corrupt("symbol " + out.name + " points outside its section");
      }
    }
    break;  // relocatable objects have one symbol table
  }
  return f;
}

int ElfFile::find_section(std::string_view name) const {
  for (size_t i = 0; i < sections_.size(); ++i) {
    if (sections_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Result<std::vector<ElfRelocation>> ElfFile::relocations_for(size_t target) const {
  std::vector<ElfRelocation> out;
  for (const ElfSection& s : sections_) {
    if (s.type != SHT_RELA || s.info != target) continue;
    const size_t count = s.size / sizeof(Elf64_Rela);
    for (size_t k = 0; k < count; ++k) {
      Elf64_Rela r;
      read_struct(bytes_, s.offset + k * sizeof(Elf64_Rela), &r);
      ElfRelocation rel{r.r_offset, static_cast<uint32_t>(ELF64_R_TYPE(r.r_info)),
                        static_cast<uint32_t>(ELF64_R_SYM(r.r_info)), r.r_addend};
      if (rel.symbol >= symbols_.size()) return corrupt("relocation against a missing symbol");
      if (rel.offset > sections_[target].size || sections_[target].size - rel.offset < 4) {
        return corrupt("relocation outside its section");
      }
      out.push_back(rel);
    }
  }
  return out;
}

}  // namespace atl::artifact
