// The object handed to gdb through its JIT interface: a well-formed ELF relocatable whose .text
// covers the module's code and whose symbols are its wasm functions at their loaded addresses, and
// a registration that links into and out of __jit_debug_descriptor. (tests/cli/gdb_test.sh shows
// gdb itself reading it: breakpoints by name and by file:line, stepping.)
#include "runtime/gdb_jit.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>

#include "atoll/atoll.h"
#include "../wat.h"

extern "C" {
struct jit_code_entry;
struct jit_descriptor {
  uint32_t version, action_flag;
  jit_code_entry* relevant_entry;
  jit_code_entry* first_entry;
};
extern jit_descriptor __jit_debug_descriptor;
}

namespace atl::runtime {
namespace {

const char* kGuest = R"(
(module
  (func $square (export "square") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func $cube (export "cube") (param i32) (result i32)
    (i32.mul (call $square (local.get 0)) (local.get 0)))
  (func (export "answer") (result i32) (i32.const 42)))
)";

struct ParsedElf {
  const Elf64_Ehdr* header = nullptr;
  std::map<std::string, const Elf64_Shdr*> sections;
  std::map<std::string, const Elf64_Sym*> symbols;
};

// Reads `o` with every offset checked against its size (a failed check fails the test).
ParsedElf parse(const std::vector<uint8_t>& o) {
  ParsedElf e;
  if (o.size() < sizeof(Elf64_Ehdr)) {
    ADD_FAILURE() << "object of " << o.size() << " bytes";
    return e;
  }
  e.header = reinterpret_cast<const Elf64_Ehdr*>(o.data());
  const Elf64_Ehdr& h = *e.header;
  if (h.e_shoff + uint64_t{h.e_shnum} * sizeof(Elf64_Shdr) > o.size() || h.e_shstrndx >= h.e_shnum) {
    ADD_FAILURE() << "section headers out of bounds";
    return e;
  }
  const auto* shdrs = reinterpret_cast<const Elf64_Shdr*>(o.data() + h.e_shoff);
  const Elf64_Shdr& names = shdrs[h.e_shstrndx];
  for (unsigned i = 1; i < h.e_shnum; ++i) {
    const Elf64_Shdr& s = shdrs[i];
    EXPECT_LT(s.sh_name, names.sh_size);
    if (s.sh_type != SHT_NOBITS) EXPECT_LE(s.sh_offset + s.sh_size, o.size()) << "section " << i;
    e.sections[reinterpret_cast<const char*>(o.data() + names.sh_offset + s.sh_name)] = &s;
  }
  auto symtab = e.sections.find(".symtab");
  if (symtab == e.sections.end()) return e;
  const Elf64_Shdr& strtab = shdrs[symtab->second->sh_link];
  const auto* syms = reinterpret_cast<const Elf64_Sym*>(o.data() + symtab->second->sh_offset);
  for (size_t i = 1; i < symtab->second->sh_size / sizeof(Elf64_Sym); ++i) {
    EXPECT_LT(syms[i].st_name, strtab.sh_size);
    e.symbols[reinterpret_cast<const char*>(o.data() + strtab.sh_offset + syms[i].st_name)] = &syms[i];
  }
  return e;
}

TEST(GdbJit, ObjectIsAnElfWithASymbolPerFunctionAtItsLoadedAddress) {
  Engine engine;
  auto m = compile_module(engine, test::wat(kGuest));
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  const LoadedModule& loaded = *m->impl();
  auto object = debugger_object(loaded);
  ParsedElf e = parse(object);
  ASSERT_NE(e.header, nullptr);
  EXPECT_EQ(std::memcmp(e.header->e_ident, ELFMAG, SELFMAG), 0);
  EXPECT_EQ(e.header->e_ident[EI_CLASS], ELFCLASS64);
  EXPECT_EQ(e.header->e_type, ET_REL);
  EXPECT_EQ(e.header->e_machine, EM_X86_64);
  for (const char* name : {".text", ".symtab", ".strtab", ".debug_info", ".debug_abbrev"}) {
    EXPECT_TRUE(e.sections.count(name)) << name;
  }
  EXPECT_FALSE(e.sections.count(".debug_line")) << "a line table without guest DWARF";
  ASSERT_TRUE(e.sections.count(".text"));
  const Elf64_Shdr& text = *e.sections[".text"];
  EXPECT_EQ(text.sh_type, static_cast<uint32_t>(SHT_NOBITS));
  for (const LoadedModule::FuncRange& r : loaded.func_ranges) {
    // A body's symbol is the function's name; its wrapper's (compiler/call_entries.cpp) NAME.entry.
    const std::string name = loaded.module.func_display_name(r.index) + (r.wrapper ? ".entry" : "");
    ASSERT_TRUE(e.symbols.count(name)) << "no symbol for function " << r.index << " <" << name << ">";
    const Elf64_Sym& s = *e.symbols[name];
    EXPECT_EQ(ELF64_ST_TYPE(s.st_info), STT_FUNC);
    EXPECT_EQ(text.sh_addr + s.st_value, r.start) << name;
    EXPECT_EQ(s.st_size, r.end - r.start) << name;
    EXPECT_LE(s.st_value + s.st_size, text.sh_size) << name;
  }
  EXPECT_TRUE(e.symbols.count("square"));
  EXPECT_TRUE(e.symbols.count("cube"));
}

TEST(GdbJit, RegistrationLinksIntoTheDescriptorUntilReleased) {
  Engine engine;
  auto a = compile_module(engine, test::wat(kGuest));
  auto b = compile_module(engine, test::wat(kGuest));
  ASSERT_TRUE(a.ok() && b.ok());
  jit_code_entry* before = __jit_debug_descriptor.first_entry;
  auto ra = register_with_debugger(*a->impl());
  EXPECT_EQ(__jit_debug_descriptor.action_flag, 0u);  // set only while gdb is being told
  jit_code_entry* first = __jit_debug_descriptor.first_entry;
  EXPECT_NE(first, before);
  EXPECT_EQ(__jit_debug_descriptor.relevant_entry, first);
  auto rb = register_with_debugger(*b->impl());
  EXPECT_NE(__jit_debug_descriptor.first_entry, first);
  rb.reset();
  EXPECT_EQ(__jit_debug_descriptor.first_entry, first);
  EXPECT_EQ(__jit_debug_descriptor.relevant_entry, nullptr);
  ra.reset();
  EXPECT_EQ(__jit_debug_descriptor.first_entry, before);
}

TEST(GdbJit, ConfigDebugInfoRegistersEachLoadedModule) {
  Config config;
  config.debug_info = true;
  Engine engine(config);
  jit_code_entry* before = __jit_debug_descriptor.first_entry;
  {
    auto m = compile_module(engine, test::wat(kGuest));
    ASSERT_TRUE(m.ok()) << m.error().to_string();
    EXPECT_NE(__jit_debug_descriptor.first_entry, before);
  }
  EXPECT_EQ(__jit_debug_descriptor.first_entry, before);
  Engine plain;
  auto m = compile_module(plain, test::wat(kGuest));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(__jit_debug_descriptor.first_entry, before);
}

}  // namespace
}  // namespace atl::runtime
