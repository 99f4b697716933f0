#include "compiler/debug_info.h"

#include <llvm/ADT/StringMap.h>
#include <llvm/DebugInfo/DWARF/DWARFContext.h>
#include <llvm/Demangle/Demangle.h>
#include <llvm/Object/ELFObjectFile.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/MemoryBuffer.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <string>
#include <vector>

#include "abi/abi.h"

namespace atl::compiler {

DebugLocations::DebugLocations(llvm::Module& mod) : dib_(mod) {
  mod.addModuleFlag(llvm::Module::Warning, "Debug Info Version", llvm::DEBUG_METADATA_VERSION);
  mod.addModuleFlag(llvm::Module::Warning, "Dwarf Version", 4);
  file_ = dib_.createFile("wasm", "");
  // Line tables and inlining records only: nothing about variables, so the code is the same
  // as without it.
  dib_.createCompileUnit(llvm::dwarf::DW_LANG_C, file_, "atoll", /*isOptimized=*/true, "", 0, "",
                         llvm::DICompileUnit::LineTablesOnly);
  type_ = dib_.createSubroutineType(dib_.getOrCreateTypeArray({}));
}

llvm::DISubprogram* DebugLocations::attach(llvm::Function* f) {
  // The name is the symbol's (atl_func_<index>...), which is how frames are read back.
  llvm::DISubprogram* sp =
      dib_.createFunction(file_, f->getName(), f->getName(), file_, 0, type_, 0, llvm::DINode::FlagZero,
                          llvm::DISubprogram::SPFlagDefinition | llvm::DISubprogram::SPFlagOptimized);
  f->setSubprogram(sp);
  return sp;
}

namespace {

// A function-like scope in DWARF: a subprogram or an inlined copy of one.
struct ScopeDie {
  std::string name;
  int parent = -1;  // the scope it was inlined into
  uint32_t call_file = 0, call_line = 0, call_column = 0;
  llvm::DWARFUnit* unit = nullptr;
};

struct Interval {
  uint64_t section, lo, hi;
  int depth;
  int scope;
};

struct Frame {
  int scope;
  uint32_t file, line, column;  // the row's position, or the call site for outer frames
};

// Walks every compile unit's line table, telling `emit` the scope chain at each row. Inlined
// scopes are found by sweeping the rows against the scopes' address ranges, which nest.
template <typename Emit>
void for_each_row(llvm::DWARFContext& ctx, Emit&& emit) {
  std::vector<ScopeDie> scopes;
  std::vector<Interval> intervals;
  auto collect = [&](auto&& self, llvm::DWARFDie die, int scope, int depth) -> void {
    for (llvm::DWARFDie child : die.children()) {
      const auto tag = child.getTag();
      int next = scope, next_depth = depth;
      if (tag == llvm::dwarf::DW_TAG_subprogram || tag == llvm::dwarf::DW_TAG_inlined_subroutine) {
        auto ranges = child.getAddressRanges();
        if (!ranges) {
          llvm::consumeError(ranges.takeError());
        } else if (!ranges->empty()) {
          ScopeDie s;
          const char* n = child.getSubroutineName(llvm::DINameKind::LinkageName);
          s.name = n ? llvm::demangle(n) : "";
          s.unit = child.getDwarfUnit();
          if (tag == llvm::dwarf::DW_TAG_inlined_subroutine) {
            s.parent = scope;
            uint32_t disc = 0;
            child.getCallerFrame(s.call_file, s.call_line, s.call_column, disc);
          }
          next = static_cast<int>(scopes.size());
          next_depth = tag == llvm::dwarf::DW_TAG_subprogram ? 0 : depth + 1;
          scopes.push_back(std::move(s));
          for (const auto& r : *ranges) {
            if (r.HighPC > r.LowPC) intervals.push_back({r.SectionIndex, r.LowPC, r.HighPC, next_depth, next});
          }
        }
      }
      if (child.hasChildren()) self(self, child, next, next_depth);
    }
  };
  for (const auto& cu : ctx.compile_units()) collect(collect, cu->getUnitDIE(false), -1, 0);
  std::sort(intervals.begin(), intervals.end(), [](const Interval& a, const Interval& b) {
    if (a.section != b.section) return a.section < b.section;
    if (a.lo != b.lo) return a.lo < b.lo;
    return a.depth < b.depth;  // outer first
  });

  struct Row {
    uint64_t section, address;
    uint32_t file, line, column;
    bool end;
    llvm::DWARFUnit* unit;
    size_t order;  // rows at one address: a sequence's end first, else the table's order
  };
  std::vector<Row> rows;
  for (const auto& cu : ctx.compile_units()) {
    const llvm::DWARFDebugLine::LineTable* lt = ctx.getLineTableForUnit(cu.get());
    if (!lt) continue;
    for (const auto& r : lt->Rows) {
      rows.push_back({r.Address.SectionIndex, r.Address.Address, r.File, r.Line, r.Column, r.EndSequence != 0,
                      cu.get(), rows.size()});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.section != b.section) return a.section < b.section;
    if (a.address != b.address) return a.address < b.address;
    if (a.end != b.end) return a.end;
    return a.order < b.order;
  });

  std::vector<const Interval*> active;
  size_t next = 0;
  std::vector<Frame> chain;
  for (const Row& row : rows) {
    auto past = [&](const Interval* i) {
      return i->section != row.section || i->hi <= row.address;
    };
    while (!active.empty() && past(active.back())) active.pop_back();
    while (next < intervals.size() && (intervals[next].section < row.section ||
                                       (intervals[next].section == row.section && intervals[next].lo <= row.address))) {
      const Interval* i = &intervals[next++];
      if (past(i)) continue;
      while (!active.empty() && (past(active.back()) || active.back()->depth >= i->depth)) active.pop_back();
      active.push_back(i);
    }
    chain.clear();
    if (!row.end && active.empty()) {
      chain.push_back({-1, row.file, row.line, row.column});  // a position outside any known function
    } else if (!row.end) {
      int s = active.back()->scope;
      chain.push_back({s, row.file, row.line, row.column});
      for (; scopes[s].parent >= 0; s = scopes[s].parent) {
        chain.push_back({scopes[s].parent, scopes[s].call_file, scopes[s].call_line, scopes[s].call_column});
      }
    }
    emit(row.section, row.address, row.unit, chain, scopes);
  }
}

bool parse_func_index(const std::string& symbol, uint32_t* out) {
  const std::string prefix = abi::kFuncSymbolPrefix;
  if (symbol.rfind(prefix, 0) != 0) return false;
  const char* b = symbol.data() + prefix.size();
  const char* e = symbol.data() + symbol.size();
  auto [p, ec] = std::from_chars(b, e, *out);
  return ec == std::errc() && p != b && (p == e || *p == '_');
}

void ignore_error(llvm::Error e) { llvm::consumeError(std::move(e)); }

}  // namespace

Result<void> read_native_ranges(std::span<const uint8_t> object, const wasm::Module& wm,
                                artifact::DebugTableBuilder& out) {
  llvm::MemoryBufferRef buffer(llvm::StringRef(reinterpret_cast<const char*>(object.data()), object.size()),
                               "chunk");
  auto obj = llvm::object::ObjectFile::createObjectFile(buffer);
  if (!obj) {
    return make_error(ErrorKind::Other, "internal compiler error: cannot read the emitted object: " +
                                            llvm::toString(obj.takeError()));
  }
  // Functions by address (LLVM's minimal DWARF has no subprogram for a function that inlined
  // nothing, so the symbol table says which function a row is in).
  struct Sym {
    uint64_t start, end;
    uint32_t index;
  };
  std::vector<Sym> syms;
  for (const llvm::object::SymbolRef& sym : (*obj)->symbols()) {
    auto name = sym.getName();
    auto value = sym.getValue();
    if (!name || !value) {
      if (!name) ignore_error(name.takeError());
      if (!value) ignore_error(value.takeError());
      continue;
    }
    uint32_t index;
    if (!parse_func_index(name->str(), &index) || index >= wm.num_funcs()) continue;
    const uint64_t size = llvm::object::ELFSymbolRef(sym).getSize();
    syms.push_back({*value, *value + size, index});
  }
  std::sort(syms.begin(), syms.end(), [](const Sym& a, const Sym& b) { return a.start < b.start; });
  auto ctx = llvm::DWARFContext::create(**obj, llvm::DWARFContext::ProcessDebugRelocations::Process, nullptr, "",
                                        ignore_error, ignore_error);
  std::vector<artifact::WasmFrameInfo> frames;
  for_each_row(*ctx, [&](uint64_t, uint64_t address, llvm::DWARFUnit*, const std::vector<Frame>& chain,
                         const std::vector<ScopeDie>& scopes) {
    if (chain.empty()) return;
    auto it = std::upper_bound(syms.begin(), syms.end(), address,
                               [](uint64_t a, const Sym& s) { return a < s.start; });
    if (it == syms.begin() || address >= std::prev(it)->end) return;
    const Sym& fn = *std::prev(it);
    frames.clear();
    for (const Frame& f : chain) {
      uint32_t index = fn.index;
      if (f.scope >= 0 && (!parse_func_index(scopes[f.scope].name, &index) || index >= wm.num_funcs())) return;
      frames.push_back({index, f.line});
    }
    out.add_native(fn.index, static_cast<uint32_t>(address - fn.start), frames);
  });
  return {};
}

void read_guest_dwarf(const wasm::Module& wm, artifact::DebugTableBuilder& out) {
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> sections;
  uint64_t code_base = 0;
  bool have_code = false;
  for (const wasm::SectionInfo& s : wm.sections) {
    if (s.id == 10) {
      code_base = s.offset;
      have_code = true;
    }
    if (s.id != 0 || s.name.rfind(".debug_", 0) != 0) continue;
    // The contents after the name: its LEB128 length, then the name itself.
    uint64_t at = s.offset, len = 0;
    for (int shift = 0; at < wm.bytes.size(); shift += 7) {
      const uint8_t b = wm.bytes[at++];
      len |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80) || shift > 28) break;
    }
    const uint64_t payload = at + len, end = s.offset + s.size;
    if (len != s.name.size() || payload > end || end > wm.bytes.size()) continue;
    sections[s.name.substr(1)] = llvm::MemoryBuffer::getMemBuffer(
        llvm::StringRef(reinterpret_cast<const char*>(wm.bytes.data() + payload), end - payload), s.name, false);
  }
  if (!have_code || sections.find("debug_line") == sections.end()) return;
  uint64_t code_size = 0;
  for (const wasm::SectionInfo& s : wm.sections) {
    if (s.id == 10) code_size = s.size;
  }
  auto ctx = llvm::DWARFContext::create(sections, /*AddrSize=*/4, /*isLittleEndian=*/true, ignore_error, ignore_error);
  std::vector<artifact::SourceFrameInfo> frames;
  std::map<std::pair<llvm::DWARFUnit*, uint32_t>, std::string> files;
  auto file_name = [&](llvm::DWARFUnit* unit, uint32_t index) -> const std::string& {
    auto [it, fresh] = files.try_emplace({unit, index});
    if (fresh) {
      if (const auto* lt = ctx->getLineTableForUnit(unit)) {
        const char* dir = unit->getCompilationDir();
        lt->getFileNameByIndex(index, dir ? dir : "",
                               llvm::DILineInfoSpecifier::FileLineInfoKind::AbsoluteFilePath, it->second);
      }
    }
    return it->second;
  };
  // DWARF addresses in wasm are offsets into the code section's contents.
  for_each_row(*ctx, [&](uint64_t, uint64_t address, llvm::DWARFUnit* unit, const std::vector<Frame>& chain,
                         const std::vector<ScopeDie>& scopes) {
    if (address >= code_size) return;  // dead code's tombstones
    frames.clear();
    for (const Frame& f : chain) {
      // The row's file is in the row's unit; a call site's in the inlined scope's unit.
      frames.push_back({f.scope < 0 ? std::string() : scopes[f.scope].name, file_name(frames.empty() ? unit : scopes[chain[frames.size() - 1].scope].unit, f.file),
                        f.line, f.column});
    }
    out.add_source(static_cast<uint32_t>(code_base + address), frames);
  });
}

}  // namespace atl::compiler
