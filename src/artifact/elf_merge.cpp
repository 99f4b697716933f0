// Merging relocatable ELF objects (the compiler's parallel chunks) into one artifact object.
//
// Sections are kept as they are (several `.text` sections are fine in a relocatable object);
// symbol tables are concatenated, with an undefined symbol that another input defines replaced
// by that definition, so cross-chunk calls become ordinary relocations against defined symbols.
#include "artifact/elf_merge.h"

#include <elf.h>

#include <cstring>
#include <map>
#include <string>

namespace atl::artifact {
namespace {

constexpr uint32_t kShtLlvmAddrsig = 0x6fff4c03;  // refers to symbol indices; not needed

struct Strtab {
  std::vector<uint8_t> bytes{0};
  uint32_t add(const std::string& s) {
    const uint32_t at = static_cast<uint32_t>(bytes.size());
    bytes.insert(bytes.end(), s.begin(), s.end());
    bytes.push_back(0);
    return at;
  }
};

bool keep_section(const ElfSection& s) {
  return s.type != SHT_NULL && s.type != SHT_SYMTAB && s.type != SHT_STRTAB && s.type != SHT_RELA &&
         s.type != SHT_REL && s.type != kShtLlvmAddrsig && s.type != SHT_GROUP &&
         // LLVM's DWARF is read into the debug table (compiler/debug_info.h) and not shipped.
         s.name.rfind(".debug_", 0) != 0;
}

}  // namespace

Result<std::vector<uint8_t>> merge_objects(const std::vector<std::vector<uint8_t>>& objects,
                                           const std::vector<ExtraSection>& extra) {
  std::vector<ElfFile> files;
  for (const auto& o : objects) {
    auto f = ElfFile::parse(o);
    if (!f.ok()) return f.take_error();
    files.push_back(std::move(f.value()));
  }

  // Output sections: index 0 is null; then every kept section of every input.
  struct OutSection {
    ElfSection header;
    std::span<const uint8_t> data;
    size_t file;
    size_t input_index;
  };
  std::vector<OutSection> out_sections(1);
  std::vector<std::vector<uint32_t>> section_map(files.size());  // input index -> output index
  for (size_t f = 0; f < files.size(); ++f) {
    section_map[f].assign(files[f].sections().size(), 0);
    for (size_t i = 0; i < files[f].sections().size(); ++i) {
      const ElfSection& s = files[f].sections()[i];
      if (!keep_section(s)) continue;
      section_map[f][i] = static_cast<uint32_t>(out_sections.size());
      out_sections.push_back({s, files[f].contents(s), f, i});
    }
  }
  for (const ExtraSection& e : extra) {
    ElfSection h;
    h.name = e.name;
    h.type = SHT_PROGBITS;
    h.size = e.bytes.size();
    h.align = 8;
    out_sections.push_back({h, e.bytes, 0, 0});
  }

  // Global definitions across all inputs.
  std::map<std::string, std::pair<size_t, size_t>> defined;  // name -> (file, symbol)
  for (size_t f = 0; f < files.size(); ++f) {
    const auto& syms = files[f].symbols();
    for (size_t k = 0; k < syms.size(); ++k) {
      const ElfSymbol& s = syms[k];
      if (s.bind != STB_LOCAL && s.section != SHN_UNDEF && !s.name.empty()) {
        if (!defined.emplace(s.name, std::make_pair(f, k)).second) {
          return make_error(ErrorKind::Other, "internal compiler error: symbol " + s.name + " defined twice");
        }
      }
    }
  }

  // Output symbols: locals first (ELF requires it), then globals. Undefined symbols that
  // another input defines map to the definition; the rest stay undefined, one per name.
  Strtab strtab;
  std::vector<Elf64_Sym> out_syms(1);  // null symbol
  std::vector<std::vector<uint32_t>> symbol_map(files.size());
  auto convert = [&](size_t f, const ElfSymbol& s) {
    Elf64_Sym o{};
    o.st_name = s.name.empty() ? 0 : strtab.add(s.name);
    o.st_info = static_cast<unsigned char>(ELF64_ST_INFO(s.bind, s.type));
    o.st_shndx = s.section == SHN_UNDEF || s.section >= SHN_LORESERVE ? s.section
                                                                       : static_cast<uint16_t>(section_map[f][s.section]);
    o.st_value = s.value;
    o.st_size = s.size;
    return o;
  };
  for (size_t f = 0; f < files.size(); ++f) {
    const auto& syms = files[f].symbols();
    symbol_map[f].assign(syms.size(), 0);
    for (size_t k = 1; k < syms.size(); ++k) {
      if (syms[k].bind != STB_LOCAL) continue;
      if (syms[k].section != SHN_UNDEF && syms[k].section < SHN_LORESERVE && section_map[f][syms[k].section] == 0) {
        continue;  // a symbol of a dropped section (e.g. the address-significance table)
      }
      symbol_map[f][k] = static_cast<uint32_t>(out_syms.size());
      out_syms.push_back(convert(f, syms[k]));
    }
  }
  const uint32_t first_global = static_cast<uint32_t>(out_syms.size());
  std::map<std::string, uint32_t> global_index;
  for (const auto& [name, where] : defined) {
    global_index[name] = static_cast<uint32_t>(out_syms.size());
    out_syms.push_back(convert(where.first, files[where.first].symbols()[where.second]));
  }
  for (size_t f = 0; f < files.size(); ++f) {
    const auto& syms = files[f].symbols();
    for (size_t k = 1; k < syms.size(); ++k) {
      const ElfSymbol& s = syms[k];
      if (s.bind == STB_LOCAL) continue;
      auto it = global_index.find(s.name);
      if (it == global_index.end()) {
        it = global_index.emplace(s.name, static_cast<uint32_t>(out_syms.size())).first;
        out_syms.push_back(convert(f, s));
      }
      symbol_map[f][k] = it->second;
    }
  }

  // Relocation sections, retargeted and renumbered.
  struct OutRela {
    uint32_t target;
    std::vector<Elf64_Rela> entries;
  };
  std::vector<OutRela> relas;
  for (size_t f = 0; f < files.size(); ++f) {
    for (size_t i = 0; i < files[f].sections().size(); ++i) {
      if (section_map[f][i] == 0) continue;
      auto rels = files[f].relocations_for(i);
      if (!rels.ok()) return rels.take_error();
      if (rels->empty()) continue;
      OutRela r{section_map[f][i], {}};
      for (const ElfRelocation& e : *rels) {
        Elf64_Rela o;
        o.r_offset = e.offset;
        o.r_info = ELF64_R_INFO(symbol_map[f][e.symbol], e.type);
        o.r_addend = e.addend;
        r.entries.push_back(o);
      }
      relas.push_back(std::move(r));
    }
  }

  // Write: header, section contents, symtab, strtab, relas, shstrtab, section headers.
  Strtab shstr;
  std::vector<uint8_t> out(sizeof(Elf64_Ehdr), 0);
  auto align = [&](size_t a) {
    while (out.size() % a) out.push_back(0);
  };
  std::vector<Elf64_Shdr> headers;
  headers.push_back(Elf64_Shdr{});
  for (size_t i = 1; i < out_sections.size(); ++i) {
    const OutSection& s = out_sections[i];
    align(s.header.align);
    Elf64_Shdr h{};
    h.sh_name = shstr.add(s.header.name);
    h.sh_type = s.header.type;
    h.sh_flags = s.header.flags;
    h.sh_offset = out.size();
    h.sh_size = s.header.size;
    h.sh_addralign = s.header.align;
    if (s.header.type != SHT_NOBITS) out.insert(out.end(), s.data.begin(), s.data.end());
    headers.push_back(h);
  }
  const uint32_t symtab_index = static_cast<uint32_t>(headers.size());
  align(8);
  {
    Elf64_Shdr h{};
    h.sh_name = shstr.add(".symtab");
    h.sh_type = SHT_SYMTAB;
    h.sh_offset = out.size();
    h.sh_size = out_syms.size() * sizeof(Elf64_Sym);
    h.sh_link = symtab_index + 1;
    h.sh_info = first_global;
    h.sh_addralign = 8;
    h.sh_entsize = sizeof(Elf64_Sym);
    const auto* p = reinterpret_cast<const uint8_t*>(out_syms.data());
    out.insert(out.end(), p, p + h.sh_size);
    headers.push_back(h);
  }
  {
    Elf64_Shdr h{};
    h.sh_name = shstr.add(".strtab");
    h.sh_type = SHT_STRTAB;
    h.sh_offset = out.size();
    h.sh_size = strtab.bytes.size();
    h.sh_addralign = 1;
    out.insert(out.end(), strtab.bytes.begin(), strtab.bytes.end());
    headers.push_back(h);
  }
  for (const OutRela& r : relas) {
    align(8);
    Elf64_Shdr h{};
    h.sh_name = shstr.add(".rela" + out_sections[r.target].header.name);
    h.sh_type = SHT_RELA;
    h.sh_flags = SHF_INFO_LINK;
    h.sh_offset = out.size();
    h.sh_size = r.entries.size() * sizeof(Elf64_Rela);
    h.sh_link = symtab_index;
    h.sh_info = r.target;
    h.sh_addralign = 8;
    h.sh_entsize = sizeof(Elf64_Rela);
    const auto* p = reinterpret_cast<const uint8_t*>(r.entries.data());
    out.insert(out.end(), p, p + h.sh_size);
    headers.push_back(h);
  }
  const uint32_t shstr_index = static_cast<uint32_t>(headers.size());
  {
    Elf64_Shdr h{};
    h.sh_name = shstr.add(".shstrtab");
    h.sh_type = SHT_STRTAB;
    h.sh_offset = out.size();
    h.sh_size = shstr.bytes.size();
    h.sh_addralign = 1;
    out.insert(out.end(), shstr.bytes.begin(), shstr.bytes.end());
    headers.push_back(h);
  }
  align(8);
  Elf64_Ehdr eh{};
  std::memcpy(&eh, objects[0].data(), sizeof eh);  // identity, machine, flags of the inputs
  eh.e_shoff = out.size();
  eh.e_shnum = static_cast<uint16_t>(headers.size());
  eh.e_shstrndx = static_cast<uint16_t>(shstr_index);
  eh.e_shentsize = sizeof(Elf64_Shdr);
  const auto* hp = reinterpret_cast<const uint8_t*>(headers.data());
  out.insert(out.end(), hp, hp + headers.size() * sizeof(Elf64_Shdr));
  std::memcpy(out.data(), &eh, sizeof eh);
  return out;
}

}  // namespace atl::artifact
