#include "runtime/gdb_jit.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "abi/abi.h"
#include "runtime/code_image.h"

// The names and layout gdb looks for (the interface is C and fixed by GDB).
extern "C" {
struct jit_code_entry {
  jit_code_entry* next_entry;
  jit_code_entry* prev_entry;
  const char* symfile_addr;
  uint64_t symfile_size;
};
struct jit_descriptor {
  uint32_t version;
  uint32_t action_flag;  // 0 no action, 1 register, 2 unregister
  jit_code_entry* relevant_entry;
  jit_code_entry* first_entry;
};
// gdb sets a breakpoint here; the asm keeps the call from being optimised away.
[[gnu::noinline, gnu::used]] void __jit_debug_register_code() { asm volatile("" ::: "memory"); }
[[gnu::used]] jit_descriptor __jit_debug_descriptor = {1, 0, nullptr, nullptr};
}

namespace atl::runtime {

namespace {

std::mutex g_jit_mu;

class Bytes {
 public:
  std::vector<uint8_t> b;
  void u8(uint8_t v) { b.push_back(v); }
  void u16(uint16_t v) { raw(&v, 2); }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void raw(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b.insert(b.end(), c, c + n);
  }
  void str(const std::string& s) { raw(s.c_str(), s.size() + 1); }
  void uleb(uint64_t v) {
    do {
      uint8_t byte = v & 0x7f;
      v >>= 7;
      if (v) byte |= 0x80;
      u8(byte);
    } while (v);
  }
  void sleb(int64_t v) {
    for (bool more = true; more;) {
      uint8_t byte = v & 0x7f;
      v >>= 7;
      more = !((v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40)));
      if (more) byte |= 0x80;
      u8(byte);
    }
  }
  void patch32(size_t at, uint32_t v) { std::memcpy(b.data() + at, &v, 4); }
  size_t size() const { return b.size(); }
};

struct Function {
  std::string name;
  uintptr_t start, end;
  uint32_t index;
};

// One row of the line table: from `address` on, code is at file:line:column (line 0: unknown).
struct Row {
  uintptr_t address;
  uint32_t file, line, column;
};

std::string function_name(const LoadedModule& m, uint32_t index) {
  const std::string& n = m.module.func_display_name(index);
  return n.empty() ? "wasm_function_" + std::to_string(index) : n;
}

// The rows of one function: each native range's innermost wasm frame, through the guest's DWARF.
std::vector<Row> line_rows(const LoadedModule& m, const Function& f, std::map<std::string, uint32_t>& files) {
  std::vector<Row> rows;
  for (uint32_t off : m.debug.native_starts(f.index)) {
    if (f.start + off >= f.end) break;
    Row r{f.start + off, 0, 0, 0};
    auto wasm = m.debug.wasm_frames(f.index, off);
    if (!wasm.empty() && wasm[0].wasm_offset != 0) {
      auto src = m.debug.source_frames(wasm[0].wasm_offset);
      if (!src.empty()) {
        auto [it, fresh] = files.emplace(src[0].file, static_cast<uint32_t>(files.size() + 1));
        r = {f.start + off, it->second, src[0].line, src[0].column};
      }
    }
    if (!rows.empty() && rows.back().file == r.file && rows.back().line == r.line && rows.back().column == r.column) {
      continue;
    }
    rows.push_back(r);
  }
  // The prologue (frame setup, stack check) has no wasm offset. Without a row for it, gdb finds no
  // line at the address its prologue analysis picks and stops "in f ()" with no source; a row at
  // the function's start with its first known line lets gdb skip to where that line's code begins.
  auto known = std::find_if(rows.begin(), rows.end(), [](const Row& r) { return r.line != 0; });
  if (known != rows.end()) {
    Row entry{f.start, known->file, known->line, 0};
    if (rows.front().address == f.start) {
      if (rows.front().line == 0) rows.front() = entry;
    } else {
      rows.insert(rows.begin(), entry);
    }
  }
  return rows;
}

// DWARF 4 .debug_line: a sequence per function.
std::vector<uint8_t> debug_line(const std::vector<Function>& funcs, const std::vector<std::vector<Row>>& rows,
                                const std::map<std::string, uint32_t>& files) {
  Bytes o;
  o.u32(0);  // unit_length, patched
  o.u16(4);
  const size_t header_length_at = o.size();
  o.u32(0);  // header_length, patched
  o.u8(1);   // minimum_instruction_length
  o.u8(1);   // maximum_operations_per_instruction
  o.u8(1);   // default_is_stmt
  o.u8(static_cast<uint8_t>(-5));  // line_base
  o.u8(14);  // line_range
  o.u8(13);  // opcode_base
  for (uint8_t n : {0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1}) o.u8(n);
  o.u8(0);  // no include directories: file names are as the guest's DWARF gave them
  std::vector<const std::string*> by_index(files.size() + 1);
  for (const auto& [name, i] : files) by_index[i] = &name;
  for (size_t i = 1; i < by_index.size(); ++i) {
    o.str(*by_index[i]);
    o.uleb(0);
    o.uleb(0);
    o.uleb(0);
  }
  o.u8(0);
  o.patch32(header_length_at, static_cast<uint32_t>(o.size() - header_length_at - 4));
  for (size_t k = 0; k < funcs.size(); ++k) {
    if (rows[k].empty()) continue;
    uintptr_t address = funcs[k].start;
    int64_t line = 1;
    uint32_t file = 1, column = 0;
    o.u8(0);  // DW_LNE_set_address
    o.uleb(9);
    o.u8(2);
    o.u64(address);
    for (const Row& r : rows[k]) {
      if (r.address != address) {
        o.u8(2);  // DW_LNS_advance_pc
        o.uleb(r.address - address);
        address = r.address;
      }
      if (r.file != 0 && r.file != file) {
        o.u8(4);  // DW_LNS_set_file
        o.uleb(r.file);
        file = r.file;
      }
      if (r.line != line) {
        o.u8(3);  // DW_LNS_advance_line
        o.sleb(static_cast<int64_t>(r.line) - line);
        line = r.line;
      }
      if (r.column != column) {
        o.u8(5);  // DW_LNS_set_column
        o.uleb(r.column);
        column = r.column;
      }
      o.u8(1);  // DW_LNS_copy
    }
    o.u8(2);
    o.uleb(funcs[k].end - address);
    o.u8(0);  // DW_LNE_end_sequence
    o.uleb(1);
    o.u8(1);
  }
  o.patch32(0, static_cast<uint32_t>(o.size() - 4));
  return o.b;
}

constexpr uint8_t kAbbrevCu = 1, kAbbrevSubprogram = 2;

std::vector<uint8_t> debug_abbrev(bool with_lines) {
  Bytes o;
  o.uleb(kAbbrevCu);
  o.uleb(0x11);  // DW_TAG_compile_unit
  o.u8(1);       // has children
  for (auto [at, form] : std::initializer_list<std::pair<uint16_t, uint16_t>>{
           {0x25, 0x08}, {0x13, 0x05}, {0x03, 0x08}, {0x11, 0x01}, {0x12, 0x01}}) {
    o.uleb(at);  // producer, language, name, low_pc, high_pc (string, data2, string, addr, addr)
    o.uleb(form);
  }
  if (with_lines) {
    o.uleb(0x10);  // DW_AT_stmt_list
    o.uleb(0x17);  // DW_FORM_sec_offset
  }
  o.u8(0);
  o.u8(0);
  o.uleb(kAbbrevSubprogram);
  o.uleb(0x2e);  // DW_TAG_subprogram
  o.u8(0);
  for (auto [at, form] : std::initializer_list<std::pair<uint16_t, uint16_t>>{
           {0x03, 0x08}, {0x11, 0x01}, {0x12, 0x01}, {0x3f, 0x19}}) {
    o.uleb(at);  // name, low_pc, high_pc, external (flag_present)
    o.uleb(form);
  }
  o.u8(0);
  o.u8(0);
  o.u8(0);
  return o.b;
}

std::vector<uint8_t> debug_info(const std::vector<Function>& funcs, uintptr_t low, uintptr_t high, bool with_lines,
                                const std::string& unit_name) {
  Bytes o;
  o.u32(0);  // unit_length, patched
  o.u16(4);
  o.u32(0);  // debug_abbrev_offset
  o.u8(8);
  o.uleb(kAbbrevCu);
  o.str("atoll");
  o.u16(0x0c);  // DW_LANG_C99: the closest gdb knows for guest code of unknown language
  o.str(unit_name);
  o.u64(low);
  o.u64(high);
  if (with_lines) o.u32(0);
  for (const Function& f : funcs) {
    o.uleb(kAbbrevSubprogram);
    o.str(f.name);
    o.u64(f.start);
    o.u64(f.end);
  }
  o.u8(0);
  o.patch32(0, static_cast<uint32_t>(o.size() - 4));
  return o.b;
}

}  // namespace

std::vector<uint8_t> debugger_object(const LoadedModule& m) {
  std::vector<Function> funcs;
  for (const LoadedModule::FuncRange& r : m.func_ranges) {
    // A wrapper (the function's entry in the wasm calling convention) is NAME.entry, as GCC names
    // a function's cold part NAME.cold: `break NAME` then stops in the body only.
    if (r.end > r.start) funcs.push_back({function_name(m, r.index) + (r.wrapper ? ".entry" : ""), r.start, r.end, r.index});
  }
  if (funcs.empty()) return {};
  const uintptr_t low = funcs.front().start;  // func_ranges is sorted by start
  uintptr_t high = 0;
  for (const Function& f : funcs) high = std::max(high, f.end);

  std::map<std::string, uint32_t> files;
  std::vector<std::vector<Row>> rows;
  for (const Function& f : funcs) rows.push_back(line_rows(m, f, files));
  const bool with_lines = !files.empty();

  // Sections: null, .text (NOBITS at the code's address: gdb needs its range, not its bytes),
  // .symtab, .strtab, .debug_abbrev, .debug_info, [.debug_line], .shstrtab.
  Bytes strtab, symtab, shstrtab;
  strtab.u8(0);
  shstrtab.u8(0);
  Elf64_Sym null_sym{};
  symtab.raw(&null_sym, sizeof null_sym);
  for (const Function& f : funcs) {
    Elf64_Sym s{};
    s.st_name = static_cast<uint32_t>(strtab.size());
    strtab.str(f.name);
    s.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
    s.st_shndx = 1;
    s.st_value = f.start - low;  // relative to .text, as in a relocatable object
    s.st_size = f.end - f.start;
    symtab.raw(&s, sizeof s);
  }
  struct Section {
    std::string name;
    uint32_t type;
    uint64_t flags, addr;
    std::vector<uint8_t> data;
    uint64_t size;  // for NOBITS
    uint32_t link, info;
    uint64_t align, entsize;
  };
  std::vector<Section> sections;
  sections.push_back({".text", SHT_NOBITS, SHF_ALLOC | SHF_EXECINSTR, low, {}, high - low, 0, 0, 16, 0});
  sections.push_back({".symtab", SHT_SYMTAB, 0, 0, symtab.b, 0, 3, 1, 8, sizeof(Elf64_Sym)});
  sections.push_back({".strtab", SHT_STRTAB, 0, 0, strtab.b, 0, 0, 0, 1, 0});
  sections.push_back({".debug_abbrev", SHT_PROGBITS, 0, 0, debug_abbrev(with_lines), 0, 0, 0, 1, 0});
  const std::string unit_name = "wasm module (" + std::to_string(funcs.size()) + " functions)";
  sections.push_back({".debug_info", SHT_PROGBITS, 0, 0, debug_info(funcs, low, high, with_lines, unit_name), 0, 0, 0,
                      1, 0});
  if (with_lines) sections.push_back({".debug_line", SHT_PROGBITS, 0, 0, debug_line(funcs, rows, files), 0, 0, 0, 1, 0});
  sections.push_back({".shstrtab", SHT_STRTAB, 0, 0, {}, 0, 0, 0, 1, 0});
  std::vector<uint32_t> name_at;
  for (const Section& s : sections) {
    name_at.push_back(static_cast<uint32_t>(shstrtab.size()));
    shstrtab.str(s.name);
  }
  sections.back().data = shstrtab.b;

  Bytes out;
  out.b.resize(sizeof(Elf64_Ehdr));
  std::vector<uint64_t> offsets;
  for (const Section& s : sections) {
    while (out.size() % 8) out.u8(0);
    offsets.push_back(out.size());
    out.raw(s.data.data(), s.data.size());
  }
  while (out.size() % 8) out.u8(0);
  const uint64_t shoff = out.size();
  Elf64_Shdr null_sh{};
  out.raw(&null_sh, sizeof null_sh);
  for (size_t i = 0; i < sections.size(); ++i) {
    const Section& s = sections[i];
    Elf64_Shdr h{};
    h.sh_name = name_at[i];
    h.sh_type = s.type;
    h.sh_flags = s.flags;
    h.sh_addr = s.addr;
    h.sh_offset = s.type == SHT_NOBITS ? 0 : offsets[i];
    h.sh_size = s.type == SHT_NOBITS ? s.size : s.data.size();
    h.sh_link = s.link;
    h.sh_info = s.info;
    h.sh_addralign = s.align;
    h.sh_entsize = s.entsize;
    out.raw(&h, sizeof h);
  }
  Elf64_Ehdr e{};
  std::memcpy(e.e_ident, ELFMAG, SELFMAG);
  e.e_ident[EI_CLASS] = ELFCLASS64;
  e.e_ident[EI_DATA] = ELFDATA2LSB;
  e.e_ident[EI_VERSION] = EV_CURRENT;
  e.e_ident[EI_OSABI] = ELFOSABI_NONE;
  e.e_type = ET_REL;
  e.e_machine = EM_X86_64;
  e.e_version = EV_CURRENT;
  e.e_shoff = shoff;
  e.e_ehsize = sizeof(Elf64_Ehdr);
  e.e_shentsize = sizeof(Elf64_Shdr);
  e.e_shnum = static_cast<uint16_t>(sections.size() + 1);
  e.e_shstrndx = static_cast<uint16_t>(sections.size());
  std::memcpy(out.b.data(), &e, sizeof e);
  return out.b;
}

namespace {

struct Registration {
  std::vector<uint8_t> object;
  jit_code_entry entry{};

  ~Registration() {
    std::lock_guard<std::mutex> lock(g_jit_mu);
    if (entry.prev_entry) entry.prev_entry->next_entry = entry.next_entry;
    else __jit_debug_descriptor.first_entry = entry.next_entry;
    if (entry.next_entry) entry.next_entry->prev_entry = entry.prev_entry;
    __jit_debug_descriptor.relevant_entry = &entry;
    __jit_debug_descriptor.action_flag = 2;
    __jit_debug_register_code();
    __jit_debug_descriptor.action_flag = 0;
    __jit_debug_descriptor.relevant_entry = nullptr;  // not left pointing at freed memory
  }
};

}  // namespace

std::shared_ptr<void> register_with_debugger(const LoadedModule& m) {
  auto r = std::make_shared<Registration>();
  r->object = debugger_object(m);
  if (r->object.empty()) return nullptr;
  r->entry.symfile_addr = reinterpret_cast<const char*>(r->object.data());
  r->entry.symfile_size = r->object.size();
  std::lock_guard<std::mutex> lock(g_jit_mu);
  r->entry.next_entry = __jit_debug_descriptor.first_entry;
  if (r->entry.next_entry) r->entry.next_entry->prev_entry = &r->entry;
  __jit_debug_descriptor.first_entry = &r->entry;
  __jit_debug_descriptor.relevant_entry = &r->entry;
  __jit_debug_descriptor.action_flag = 1;
  __jit_debug_register_code();
  __jit_debug_descriptor.action_flag = 0;
  return r;
}

}  // namespace atl::runtime
