#include "wasm/inspect.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ostream>

namespace atl::wasm {
namespace {

const char* section_name(uint8_t id) {
  static const char* const kNames[] = {"custom", "type",   "import", "function", "table",
                                       "memory", "global", "export", "start",    "element",
                                       "code",   "data",   "datacount"};
  return id < 13 ? kNames[id] : "?";
}

std::string limits_to_string(const Limits& l) {
  std::string s = "min=" + std::to_string(l.min);
  if (l.max) s += " max=" + std::to_string(*l.max);
  return s;
}

std::string func_label(const Module& m, uint32_t index) {
  std::string s = "func[" + std::to_string(index) + "]";
  const std::string& n = m.func_name(index);
  if (!n.empty()) s += " <" + n + ">";
  return s;
}

void print_hex_preview(const Module& m, uint64_t offset, uint32_t size, std::ostream& out) {
  const uint32_t shown = size < 32 ? size : 32;
  char buf[8];
  out << "    bytes: ";
  for (uint32_t i = 0; i < shown && offset + i < m.bytes.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%02x", m.bytes[offset + i]);
    out << buf;
  }
  if (shown < size) out << "...";
  out << "\n";
}

}  // namespace

std::string const_expr_to_string(const ConstExpr& c) {
  char buf[96];
  switch (c.kind) {
    case ConstExpr::Kind::I32:
      std::snprintf(buf, sizeof buf, "i32.const %" PRId32, static_cast<int32_t>(c.bits));
      return buf;
    case ConstExpr::Kind::I64:
      std::snprintf(buf, sizeof buf, "i64.const %" PRId64, static_cast<int64_t>(c.bits));
      return buf;
    case ConstExpr::Kind::F32: {
      float f;
      const uint32_t b = static_cast<uint32_t>(c.bits);
      std::memcpy(&f, &b, 4);
      std::snprintf(buf, sizeof buf, "f32.const %g", static_cast<double>(f));
      return buf;
    }
    case ConstExpr::Kind::F64: {
      double d;
      std::memcpy(&d, &c.bits, 8);
      std::snprintf(buf, sizeof buf, "f64.const %g", d);
      return buf;
    }
    case ConstExpr::Kind::V128: {
      std::string s = "v128.const i8x16";
      for (uint8_t b : c.v128) s += " " + std::to_string(b);
      return s;
    }
    case ConstExpr::Kind::RefNull: return std::string("ref.null ") + valtype_name(c.type);
    case ConstExpr::Kind::RefFunc: return "ref.func " + std::to_string(c.index);
    case ConstExpr::Kind::GlobalGet: return "global.get " + std::to_string(c.index);
    case ConstExpr::Kind::Sequence: {
      std::string s;
      for (const ConstExpr& op : c.ops) s += (s.empty() ? "" : ", ") + const_expr_to_string(op);
      return s;
    }
    case ConstExpr::Kind::I32Add: return "i32.add";
    case ConstExpr::Kind::I32Sub: return "i32.sub";
    case ConstExpr::Kind::I32Mul: return "i32.mul";
    case ConstExpr::Kind::I64Add: return "i64.add";
    case ConstExpr::Kind::I64Sub: return "i64.sub";
    case ConstExpr::Kind::I64Mul: return "i64.mul";
  }
  return "?";
}

void print_module(const Module& m, const std::string& file_name, std::ostream& out) {
  out << file_name << ": WebAssembly module, " << m.bytes.size() << " bytes";
  if (m.names.module) out << ", name \"" << *m.names.module << "\"";
  out << "\n\nSections:\n";
  char buf[160];
  for (const SectionInfo& s : m.sections) {
    std::snprintf(buf, sizeof buf, "  %-9s start=0x%08" PRIx64 " end=0x%08" PRIx64 " (size=0x%08x)",
                  section_name(s.id), s.offset, s.offset + s.size, s.size);
    out << buf;
    if (s.id == 0) {
      out << " \"" << s.name << "\"";
    } else if (s.id != 8) {
      out << " count: " << s.count;
    }
    out << "\n";
  }

  if (!m.types.empty()) {
    out << "\nTypes (" << m.types.size() << "):\n";
    for (size_t i = 0; i < m.types.size(); ++i) {
      out << "  type[" << i << "] " << functype_to_string(m.types[i]) << "\n";
    }
  }
  if (!m.imports.empty()) {
    out << "\nImports (" << m.imports.size() << "):\n";
    uint32_t fi = 0, ti = 0, mi = 0, gi = 0, xi = 0;
    for (const Import& imp : m.imports) {
      out << "  ";
      switch (imp.kind) {
        case ExternKind::Func:
          out << func_label(m, fi++) << " sig=" << imp.func_type << " "
              << functype_to_string(m.types.at(imp.func_type));
          break;
        case ExternKind::Table:
          out << "table[" << ti++ << "] type=" << valtype_name(imp.table.elem) << (imp.table.is64 ? " i64" : "") << " "
              << limits_to_string(imp.table.limits);
          break;
        case ExternKind::Memory:
          out << "memory[" << mi++ << "] " << (imp.memory.is64 ? "i64 " : "") << "pages: " << limits_to_string(imp.memory.limits);
          break;
        case ExternKind::Global:
          out << "global[" << gi++ << "] " << valtype_name(imp.global.type)
              << " mutable=" << imp.global.is_mutable;
          break;
        case ExternKind::Tag:
          out << "tag[" << xi++ << "] sig=" << imp.tag_type << " " << functype_to_string(m.types.at(imp.tag_type));
          break;
      }
      out << " <- " << imp.module << "." << imp.name << "\n";
    }
  }
  if (!m.bodies.empty()) {
    out << "\nFunctions (" << m.bodies.size() << " defined):\n";
    for (size_t i = 0; i < m.bodies.size(); ++i) {
      const uint32_t index = m.num_imported_funcs + static_cast<uint32_t>(i);
      const FunctionBody& b = m.bodies[i];
      std::snprintf(buf, sizeof buf, " body at 0x%08" PRIx64 " size=%u locals=%u", b.offset, b.size,
                    b.num_locals);
      out << "  " << func_label(m, index) << " sig=" << m.func_types[index] << " "
          << functype_to_string(m.func_type(index)) << buf << "\n";
    }
  }
  if (m.tables.size() > m.num_imported_tables) {
    out << "\nTables:\n";
    for (size_t i = m.num_imported_tables; i < m.tables.size(); ++i) {
      out << "  table[" << i << "] type=" << valtype_name(m.tables[i].elem) << (m.tables[i].is64 ? " i64" : "") << " "
          << limits_to_string(m.tables[i].limits) << "\n";
    }
  }
  if (m.memories.size() > m.num_imported_memories) {
    out << "\nMemories:\n";
    for (size_t i = m.num_imported_memories; i < m.memories.size(); ++i) {
      out << "  memory[" << i << "] " << (m.memories[i].is64 ? "i64 " : "") << "pages: " << limits_to_string(m.memories[i].limits) << "\n";
    }
  }
  if (!m.global_inits.empty()) {
    out << "\nGlobals:\n";
    for (size_t i = 0; i < m.global_inits.size(); ++i) {
      const size_t index = m.num_imported_globals + i;
      if (index >= m.globals.size()) break;
      const GlobalType& g = m.globals[index];
      out << "  global[" << index << "] " << valtype_name(g.type) << " mutable=" << g.is_mutable
          << " - init " << const_expr_to_string(m.global_inits[i]) << "\n";
    }
  }
  if (!m.exports.empty()) {
    out << "\nExports (" << m.exports.size() << "):\n";
    for (const Export& e : m.exports) {
      out << "  " << extern_kind_name(e.kind) << "[" << e.index << "]";
      if (e.kind == ExternKind::Func && e.index < m.num_funcs()) {
        const std::string& n = m.func_name(e.index);
        if (!n.empty()) out << " <" << n << ">";
      }
      out << " -> \"" << e.name << "\"\n";
    }
  }
  if (m.start) out << "\nStart: " << func_label(m, *m.start) << "\n";
  if (!m.elems.empty()) {
    out << "\nElement segments (" << m.elems.size() << "):\n";
    for (size_t i = 0; i < m.elems.size(); ++i) {
      const ElemSegment& s = m.elems[i];
      out << "  elem[" << i << "] " << segment_mode_name(s.mode) << " " << valtype_name(s.type)
          << " count=" << s.items.size();
      if (s.mode == SegmentMode::Active) {
        out << " table=" << s.table << " offset: " << const_expr_to_string(s.offset);
      }
      out << "\n";
      const size_t shown = s.items.size() < 16 ? s.items.size() : 16;
      for (size_t k = 0; k < shown; ++k) {
        out << "    [" << k << "] ";
        if (s.items[k].kind == ConstExpr::Kind::RefFunc && s.items[k].index < m.num_funcs()) {
          out << func_label(m, s.items[k].index);
        } else {
          out << const_expr_to_string(s.items[k]);
        }
        out << "\n";
      }
      if (shown < s.items.size()) out << "    ... " << s.items.size() - shown << " more\n";
    }
  }
  if (m.data_count) out << "\nData count: " << *m.data_count << "\n";
  if (!m.datas.empty()) {
    out << "\nData segments (" << m.datas.size() << "):\n";
    for (size_t i = 0; i < m.datas.size(); ++i) {
      const DataSegment& d = m.datas[i];
      out << "  data[" << i << "] " << segment_mode_name(d.mode) << " size=" << d.size;
      if (d.mode == SegmentMode::Active) {
        out << " memory=" << d.memory << " offset: " << const_expr_to_string(d.offset);
      }
      out << "\n";
      print_hex_preview(m, d.data_offset, d.size, out);
    }
  }
  if (!m.names.functions.empty() || m.names.module) {
    size_t locals = 0;
    for (const auto& [f, names] : m.names.locals) locals += names.size();
    out << "\nName section: " << m.names.functions.size() << " function names, " << locals
        << " local names\n";
  }
}

}  // namespace atl::wasm
