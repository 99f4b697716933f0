#include "wasm/decoder.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <unordered_set>

#include "support/reader.h"
#include "support/utf8.h"
#include "wasm/const_eval.h"
#include "wasm/instr_reader.h"
#include "wasm/subtyping.h"
#include "wasm/validator.h"

namespace atl::wasm {
namespace {

// The text format starts, after white space and comments, with "(module" or another form; a
// binary module starts with "\0asm". Only the first kilobyte is looked at.
bool looks_like_text_format(const std::vector<uint8_t>& bytes) {
  const size_t n = std::min<size_t>(bytes.size(), 1024);
  size_t i = 0;
  if (n >= 3 && bytes[0] == 0xef && bytes[1] == 0xbb && bytes[2] == 0xbf) i = 3;  // a UTF-8 BOM
  while (i < n) {
    const uint8_t c = bytes[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (c == ';' && i + 1 < n && bytes[i + 1] == ';') {
      while (i < n && bytes[i] != '\n') ++i;
    } else if (c == '(' && i + 1 < n && bytes[i + 1] == ';') {
      const size_t end = i + 2;
      i = n;
      for (size_t j = end; j + 1 < n; ++j) {
        if (bytes[j] == ';' && bytes[j + 1] == ')') {
          i = j + 2;
          break;
        }
      }
    } else {
      if (c != '(' || i + 1 >= n) return false;
      const uint8_t next = bytes[i + 1];
      return (next >= 'a' && next <= 'z') || next == ' ' || next == '\n' || next == '\t';
    }
  }
  return false;
}

enum SectionId : uint8_t {
  kCustom = 0,
  kType = 1,
  kImport = 2,
  kFunction = 3,
  kTable = 4,
  kMemory = 5,
  kGlobal = 6,
  kExport = 7,
  kStart = 8,
  kElement = 9,
  kCode = 10,
  kData = 11,
  kDataCount = 12,
  kTag = 13,
};

// Position of each known section in the required order (data count sits between element and
// code, tags between memory and global).
int section_rank(uint8_t id) {
  static constexpr int kRank[14] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6};
  return kRank[id];
}

std::string idx(const char* what, uint32_t i) { return std::string(what) + " " + std::to_string(i); }

class ModuleDecoder {
 public:
  ModuleDecoder(Module& m, const DecodeOptions& opts) : m_(m), opts_(opts) {}

  void run();
  std::optional<Error> malformed;
  std::optional<Error> invalid;

 private:
  // --- error plumbing -------------------------------------------------------------------------
  void invalid_at(std::string msg, uint64_t offset, uint32_t func = Error::kNoFunc) {
    if (!invalid) invalid = make_error(ErrorKind::Invalid, std::move(msg), offset, func);
  }
  bool check_reader(const Reader& r, uint32_t func = Error::kNoFunc) {
    if (r.ok()) return true;
    if (!malformed) {
      malformed = make_error(ErrorKind::Malformed, r.error(), r.error_offset(), func);
    }
    return false;
  }

  // --- shared pieces --------------------------------------------------------------------------
  uint32_t vec_count(Reader& r) {
    const uint64_t at = r.offset();
    const uint32_t n = r.u32();
    if (r.ok() && n > r.remaining()) r.fail("length out of bounds", at);  // every item >= 1 byte
    return r.ok() ? n : 0;
  }
  std::string name(Reader& r) {
    const uint32_t len = r.u32();
    const uint64_t at = r.offset();
    const uint8_t* p;
    if (!r.ok()) return {};
    if (len > r.remaining()) {
      r.fail("length out of bounds", at);
      return {};
    }
    r.bytes(len, &p);
    if (!is_valid_utf8(p, len)) {
      r.fail("malformed UTF-8 encoding", at);
      return {};
    }
    return std::string(reinterpret_cast<const char*>(p), len);
  }
  // A value type; a type index in it must be below `types` (default: every type of the module;
  // in the type section, the types defined so far and the one being defined).
  ValType valtype(Reader& r, std::optional<size_t> types = {}) {
    ValType t = ValType::I32;
    const uint64_t at = r.offset();
    if (read_value_type(r, t, opts_.features.function_references)) check_type_index(t, types, at);
    return t;
  }
  ValType reftype(Reader& r) {
    ValType t = ValType::FuncRef;
    const uint64_t at = r.offset();
    if (read_value_type(r, t, opts_.features.function_references, "malformed reference type")) {
      if (!is_ref(t)) {
        r.fail("malformed reference type", at);
      } else {
        check_type_index(t, {}, at);
      }
    }
    return t;
  }
  void check_type_index(ValType t, std::optional<size_t> types, uint64_t at) {
    const int64_t i = max_type_index(t);
    if (i >= 0 && static_cast<size_t>(i) >= types.value_or(m_.types.size())) {
      invalid_at("unknown type " + std::to_string(i), at);
    }
  }
  // Limits with their address type: flags 0/1 (i32, without/with maximum); with memory64 also
  // 4/5 (i64), and every bound is a u64 (3.0) whose range the table or memory type checks.
  Limits limits(Reader& r, bool& is64) {
    Limits l;
    const uint64_t at = r.offset();
    const uint8_t flags = r.u8();
    const bool wide = opts_.features.memory64;
    if (!r.ok()) return l;
    if (flags > 1 && !(wide && (flags == 4 || flags == 5))) {
      r.fail("malformed limits flags", at);
      return l;
    }
    is64 = flags >= 4;
    l.min = wide ? r.u64() : r.u32();
    if (flags & 1) l.max = wide ? r.u64() : r.u32();
    return l;
  }
  TableType table_type(Reader& r) {
    TableType t;
    t.elem = reftype(r);
    const uint64_t at = r.offset();
    t.limits = limits(r, t.is64);
    if (!r.ok()) return t;
    const uint64_t most = t.is64 ? UINT64_MAX : UINT32_MAX;
    if (t.limits.min > most || (t.limits.max && *t.limits.max > most)) {
      invalid_at("table size must be at most 2^32-1", at);
    } else if (t.limits.max && t.limits.min > *t.limits.max) {
      invalid_at("size minimum must not be greater than maximum", at);
    }
    return t;
  }
  MemoryType memory_type(Reader& r) {
    MemoryType t;
    const uint64_t at = r.offset();
    t.limits = limits(r, t.is64);
    if (!r.ok()) return t;
    const uint64_t most = t.is64 ? kMaxPages64 : kMaxPages;
    if (t.limits.min > most || (t.limits.max && *t.limits.max > most)) {
      invalid_at(t.is64 ? "memory size must be at most 2^48 pages" : "memory size must be at most 65536 pages (4GiB)", at);
    } else if (t.limits.max && t.limits.min > *t.limits.max) {
      invalid_at("size minimum must not be greater than maximum", at);
    }
    return t;
  }
  GlobalType global_type(Reader& r) {
    GlobalType g;
    g.type = valtype(r);
    const uint64_t at = r.offset();
    const uint8_t mut = r.u8();
    if (r.ok() && mut > 1) r.fail("malformed mutability", at);
    g.is_mutable = mut == 1;
    return g;
  }
  ConstExpr const_expr(Reader& r, ValType expected);

  // --- sections -------------------------------------------------------------------------------
  void section(uint8_t id, Reader& r);
  void custom_section(Reader& r, SectionInfo& info);
  void type_section(Reader& r);
  void subtype(Reader& r, uint32_t group, uint32_t group_size);
  void import_section(Reader& r);
  void function_section(Reader& r);
  void table_section(Reader& r);
  void memory_section(Reader& r);
  void global_section(Reader& r);
  void export_section(Reader& r);
  void start_section(Reader& r);
  void element_section(Reader& r);
  void code_section(Reader& r);
  void data_section(Reader& r);
  void function_body(uint32_t func_index, FunctionBody& body, Reader& r);
  void tag_section(Reader& r);
  uint32_t tag_type(Reader& r);
  void check_memory_index(uint32_t index, uint64_t at);
  void declare_ref(uint32_t func) {
    if (func < ctx_.declared_refs.size()) ctx_.declared_refs[func] = true;
  }

  Module& m_;
  DecodeOptions opts_;
  ValidationContext ctx_;
  std::optional<FunctionValidator> validator_;
  uint32_t num_declared_funcs_ = 0;  // from the function section
  bool have_code_ = false;
  std::optional<uint64_t> missing_data_count_at_;  // first data-index instruction without count
  std::vector<uint8_t> nesting_;  // the body decoder's own block nesting (see function_body)
};

void ModuleDecoder::run() {
  ctx_.module = &m_;
  Reader r(m_.bytes.data(), m_.bytes.data() + m_.bytes.size(), 0);
  const uint32_t magic = r.fixed_u32();
  if (!r.ok() || magic != 0x6d736100) {
    if (r.ok() || m_.bytes.size() < 4 ||
        std::string_view(reinterpret_cast<const char*>(m_.bytes.data()), 4) != "\0asm") {
      malformed = make_error(ErrorKind::Malformed,
                             looks_like_text_format(m_.bytes)
                                 ? "magic header not detected: this is WebAssembly text (.wat), and atoll takes "
                                   "binary modules; convert it first: wat2wasm FILE.wat -o FILE.wasm"
                                 : "magic header not detected",
                             0);
    }
    return;
  }
  const uint32_t version = r.fixed_u32();
  if (!r.ok()) {
    check_reader(r);
    return;
  }
  if (version != 1) {
    malformed = make_error(ErrorKind::Malformed, "unknown binary version", 4);
    return;
  }

  int last_rank = 0;
  while (!r.at_end()) {
    const uint64_t id_at = r.offset();
    const uint8_t id = r.u8();
    const uint32_t size = r.u32();
    if (!check_reader(r)) return;
    if (id > kTag || (id == kTag && !opts_.features.exceptions)) {
      malformed = make_error(ErrorKind::Malformed, "malformed section id " + std::to_string(id), id_at);
      return;
    }
    if (size > r.remaining()) {
      malformed = make_error(ErrorKind::Malformed, "length out of bounds: section size", id_at + 1);
      return;
    }
    if (id != kCustom) {
      const int rank = section_rank(id);
      if (rank <= last_rank) {
        malformed = make_error(ErrorKind::Malformed,
                               "unexpected content after last section (section " +
                                   std::to_string(id) + " is out of order or repeated)",
                               id_at);
        return;
      }
      last_rank = rank;
    }
    Reader sec(r.pos(), r.pos() + size, r.offset());
    r.skip(size);
    SectionInfo info;
    info.id = id;
    info.offset = sec.offset();
    info.size = size;
    m_.sections.push_back(info);
    section(id, sec);
    if (!check_reader(sec)) return;
    if (!sec.at_end()) {
      malformed = make_error(ErrorKind::Malformed, "section size mismatch", sec.offset());
      return;
    }
  }
  if (num_declared_funcs_ != 0 && !have_code_) {
    malformed = make_error(ErrorKind::Malformed,
                           "function and code section have inconsistent lengths", r.offset());
    return;
  }
  if (missing_data_count_at_ && !m_.datas.empty()) {
    malformed = make_error(ErrorKind::Malformed, "data count section required",
                           *missing_data_count_at_);
    return;
  }
  if (m_.data_count && *m_.data_count != m_.datas.size()) {
    malformed = make_error(ErrorKind::Malformed,
                           "data count and data section have inconsistent lengths", r.offset());
  }
}

void ModuleDecoder::section(uint8_t id, Reader& r) {
  switch (id) {
    case kCustom: custom_section(r, m_.sections.back()); break;
    case kType: type_section(r); break;
    case kImport: import_section(r); break;
    case kFunction: function_section(r); break;
    case kTable: table_section(r); break;
    case kMemory: memory_section(r); break;
    case kGlobal: global_section(r); break;
    case kExport: export_section(r); break;
    case kStart: start_section(r); break;
    case kElement: element_section(r); break;
    case kCode: code_section(r); break;
    case kData: data_section(r); break;
    case kTag: tag_section(r); break;
    case kDataCount:
      m_.data_count = r.u32();
      m_.sections.back().count = *m_.data_count;
      break;
  }
}

// Entries are recursion groups: `rec` (0x4e) with any number of subtypes, or one subtype alone.
// A subtype is a function type, optionally behind `sub` (0x50) or `sub final` (0x4f) with no
// declared supertypes; types in a group may refer to each other (and to earlier ones).
void ModuleDecoder::type_section(Reader& r) {
  const uint32_t n = vec_count(r);
  m_.types.reserve(n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    uint32_t size = 1;
    if (r.peek_u8() == 0x4e && opts_.features.function_references) {
      r.u8();
      size = vec_count(r);
      if (m_.types.size() + size > heap::kMaxTypeIndex) {
        r.fail("too many types", r.offset());
        return;
      }
    }
    const uint32_t group = static_cast<uint32_t>(m_.types.size());
    for (uint32_t k = 0; k < size && r.ok(); ++k) subtype(r, group, size);
  }
  m_.sections.back().count = static_cast<uint32_t>(m_.types.size());
  if (r.ok()) canonicalize_types(m_);  // a group cut short leaves sizes that do not add up
}

void ModuleDecoder::subtype(Reader& r, uint32_t group, uint32_t group_size) {
  uint64_t at = r.offset();
  bool final = true;
  const uint8_t b = r.peek_u8();
  if ((b == 0x50 || b == 0x4f) && opts_.features.function_references) {
    r.u8();
    final = b == 0x4f;
    if (vec_count(r) != 0) {
      r.fail("declared supertypes (sub with a type index) are part of the GC proposal, which atoll does not implement", at);
      return;
    }
    at = r.offset();
  }
  const uint8_t form = r.u8();
  if (form == 0x5f || form == 0x5e) {
    r.fail(std::string(form == 0x5f ? "struct" : "array") + " types are part of the GC proposal, which atoll does not implement", at);
    return;
  }
  if (form != 0x60) {
    r.fail("malformed function type: expected 0x60", at);
    return;
  }
  FuncType t;
  const size_t visible = size_t{group} + group_size;  // the group's own types, and earlier ones
  uint32_t np = vec_count(r);
  t.params.reserve(np);
  for (uint32_t k = 0; k < np && r.ok(); ++k) t.params.push_back(valtype(r, visible));
  uint32_t nr = vec_count(r);
  t.results.reserve(nr);
  for (uint32_t k = 0; k < nr && r.ok(); ++k) t.results.push_back(valtype(r, visible));
  m_.types.push_back(std::move(t));
  m_.type_group.push_back(group);
  m_.type_group_size.push_back(group_size);
  m_.type_final.push_back(final ? 1 : 0);
}

void ModuleDecoder::import_section(Reader& r) {
  const uint32_t n = vec_count(r);
  m_.sections.back().count = n;
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    Import imp;
    imp.module = name(r);
    imp.name = name(r);
    const uint64_t at = r.offset();
    const uint8_t kind = r.u8();
    if (!r.ok()) return;
    switch (kind) {
      case 0:
        imp.kind = ExternKind::Func;
        imp.func_type = r.u32();
        if (r.ok() && imp.func_type >= m_.types.size()) {
          invalid_at("unknown type " + std::to_string(imp.func_type), at + 1);
          imp.func_type = 0;
          if (m_.types.empty()) m_.types.push_back({});  // keep later lookups in bounds
        }
        m_.func_types.push_back(imp.func_type);
        ++m_.num_imported_funcs;
        break;
      case 1:
        imp.kind = ExternKind::Table;
        imp.table = table_type(r);
        m_.tables.push_back(imp.table);
        ++m_.num_imported_tables;
        break;
      case 2:
        imp.kind = ExternKind::Memory;
        imp.memory = memory_type(r);
        m_.memories.push_back(imp.memory);
        ++m_.num_imported_memories;
        break;
      case 3:
        imp.kind = ExternKind::Global;
        imp.global = global_type(r);
        m_.globals.push_back(imp.global);
        ++m_.num_imported_globals;
        break;
      case 4:
        if (!opts_.features.exceptions) {
          r.fail("malformed import kind", at);
          return;
        }
        imp.kind = ExternKind::Tag;
        imp.tag_type = tag_type(r);
        m_.tags.push_back(imp.tag_type);
        ++m_.num_imported_tags;
        break;
      default: r.fail("malformed import kind", at); return;
    }
    m_.imports.push_back(std::move(imp));
  }
  if (m_.memories.size() > 1 && !opts_.features.multi_memory) invalid_at("multiple memories", r.offset());
}

void ModuleDecoder::function_section(Reader& r) {
  const uint32_t n = vec_count(r);
  m_.sections.back().count = n;
  num_declared_funcs_ = n;
  m_.func_types.reserve(m_.func_types.size() + n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    const uint64_t at = r.offset();
    uint32_t t = r.u32();
    if (r.ok() && t >= m_.types.size()) {
      invalid_at("unknown type " + std::to_string(t) + " for function " +
                     std::to_string(m_.func_types.size()),
                 at);
      t = 0;
      if (m_.types.empty()) m_.types.push_back({});
    }
    m_.func_types.push_back(t);
  }
}

// 3.0: a table may declare its initial element (0x40 0x00 tabletype expr); one whose elements
// cannot be null must.
void ModuleDecoder::table_section(Reader& r) {
  const uint32_t n = vec_count(r);
  m_.sections.back().count = n;
  m_.table_inits.resize(m_.tables.size());
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    const uint64_t at = r.offset();
    const bool with_init = opts_.features.function_references && r.peek_u8() == 0x40;
    if (with_init) {
      r.u8();
      if (r.u8() != 0x00 && r.ok()) {
        r.fail("malformed table type", at + 1);
        return;
      }
    }
    m_.tables.push_back(table_type(r));
    if (!r.ok()) return;
    if (with_init) {
      m_.table_inits.push_back(const_expr(r, m_.tables.back().elem));
    } else {
      m_.table_inits.emplace_back();
      if (!is_nullable(m_.tables.back().elem)) {
        invalid_at("type mismatch: a table of non-nullable " + valtype_name(m_.tables.back().elem) +
                       " needs an initial value",
                   at);
      }
    }
  }
}

void ModuleDecoder::memory_section(Reader& r) {
  const uint64_t at = r.offset();
  const uint32_t n = vec_count(r);
  m_.sections.back().count = n;
  for (uint32_t i = 0; i < n && r.ok(); ++i) m_.memories.push_back(memory_type(r));
  if (m_.memories.size() > 1 && !opts_.features.multi_memory) invalid_at("multiple memories", at);
}

void ModuleDecoder::global_section(Reader& r) {
  const uint32_t n = vec_count(r);
  m_.sections.back().count = n;
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    const GlobalType g = global_type(r);
    if (!r.ok()) return;
    m_.global_inits.push_back(const_expr(r, g.type));
    m_.globals.push_back(g);
  }
}

void ModuleDecoder::export_section(Reader& r) {
  const uint32_t n = vec_count(r);
  m_.sections.back().count = n;
  std::unordered_set<std::string_view> seen;
  m_.exports.reserve(n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    Export e;
    const uint64_t at = r.offset();
    e.name = name(r);
    const uint64_t kind_at = r.offset();
    const uint8_t kind = r.u8();
    e.index = r.u32();
    if (!r.ok()) return;
    switch (kind) {
      case 0:
        e.kind = ExternKind::Func;
        if (e.index >= m_.num_funcs()) invalid_at(idx("unknown function", e.index), kind_at);
        break;
      case 1:
        e.kind = ExternKind::Table;
        if (e.index >= m_.tables.size()) invalid_at(idx("unknown table", e.index), kind_at);
        break;
      case 2:
        e.kind = ExternKind::Memory;
        if (e.index >= m_.memories.size()) invalid_at(idx("unknown memory", e.index), kind_at);
        break;
      case 3:
        e.kind = ExternKind::Global;
        if (e.index >= m_.globals.size()) invalid_at(idx("unknown global", e.index), kind_at);
        break;
      case 4:
        if (!opts_.features.exceptions) {
          r.fail("malformed export kind", kind_at);
          return;
        }
        e.kind = ExternKind::Tag;
        if (e.index >= m_.tags.size()) invalid_at(idx("unknown tag", e.index), kind_at);
        break;
      default: r.fail("malformed export kind", kind_at); return;
    }
    m_.exports.push_back(std::move(e));
    if (!seen.insert(m_.exports.back().name).second) {
      invalid_at("duplicate export name \"" + m_.exports.back().name + "\"", at);
    }
  }
  // The string_views in `seen` point into m_.exports' strings; reserve() above kept them stable.
}

void ModuleDecoder::start_section(Reader& r) {
  const uint64_t at = r.offset();
  const uint32_t f = r.u32();
  if (!r.ok()) return;
  m_.start = f;
  if (f >= m_.num_funcs()) {
    invalid_at(idx("unknown function", f) + " (start)", at);
  } else {
    const FuncType& t = m_.func_type(f);
    if (!t.params.empty() || !t.results.empty()) {
      invalid_at("start function must have type [] -> [], has " + functype_to_string(t), at);
    }
  }
}

// A tag: attribute 0 (an exception) and a function type without results (its payload).
uint32_t ModuleDecoder::tag_type(Reader& r) {
  const uint64_t at = r.offset();
  if (r.u8() != 0x00 && r.ok()) {
    r.fail("malformed tag attribute", at);
    return 0;
  }
  const uint64_t type_at = r.offset();
  const uint32_t t = r.u32();
  if (!r.ok()) return 0;
  if (t >= m_.types.size()) {
    invalid_at("unknown type " + std::to_string(t), type_at);
    return 0;
  }
  if (!m_.types[t].results.empty()) invalid_at("non-empty tag result type", type_at);
  return t;
}

void ModuleDecoder::tag_section(Reader& r) {
  const uint32_t n = vec_count(r);
  m_.sections.back().count = n;
  for (uint32_t i = 0; i < n && r.ok(); ++i) m_.tags.push_back(tag_type(r));
}

void ModuleDecoder::check_memory_index(uint32_t index, uint64_t at) {
  if (index >= m_.memories.size()) invalid_at(idx("unknown memory", index), at);
}

void ModuleDecoder::element_section(Reader& r) {
  const uint32_t n = vec_count(r);
  m_.sections.back().count = n;
  // Function references in element segments, exports and global initialisers are "declared",
  // which is what ref.func in a body requires. Exports and globals are already decoded here.
  ctx_.declared_refs.assign(m_.num_funcs(), false);
  for (const Export& e : m_.exports) {
    if (e.kind == ExternKind::Func) declare_ref(e.index);
  }
  for (const ConstExpr& c : m_.global_inits) {
    if (c.kind == ConstExpr::Kind::RefFunc) declare_ref(c.index);
  }
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    ElemSegment seg;
    const uint64_t at = r.offset();
    const uint32_t flags = r.u32();
    if (!r.ok()) return;
    if (flags > 7) {
      r.fail("malformed elements segment kind", at);
      return;
    }
    const bool passive_or_declarative = flags & 1;
    const bool explicit_table = flags & 2;
    const bool uses_exprs = flags & 4;
    if (passive_or_declarative) {
      seg.mode = explicit_table ? SegmentMode::Declarative : SegmentMode::Passive;
    } else {
      seg.mode = SegmentMode::Active;
      const uint64_t table_at = r.offset();
      if (explicit_table) seg.table = r.u32();
      const bool known_table = seg.table < m_.tables.size();
      if (r.ok() && !known_table) {
        invalid_at(idx("unknown table", seg.table), table_at);
      }
      seg.offset = const_expr(r, known_table ? m_.tables[seg.table].addr_type() : ValType::I32);
    }
    // Flags 0 and 4 imply funcref; the others carry an elemkind (0x00) or a reftype. Function
    // indices (flags 0-3) are never null: with typed references their type is (ref func).
    const ValType index_type = opts_.features.function_references ? make_ref(heap::Func, false) : ValType::FuncRef;
    if (!uses_exprs) seg.type = index_type;
    if (passive_or_declarative || explicit_table) {
      if (uses_exprs) {
        seg.type = reftype(r);
      } else {
        const uint64_t kind_at = r.offset();
        if (r.u8() != 0x00 && r.ok()) {
          r.fail("malformed element kind", kind_at);
          return;
        }
        seg.type = index_type;
      }
    }
    const uint64_t type_at = r.offset();
    if (seg.mode == SegmentMode::Active && seg.table < m_.tables.size() &&
        !matches(m_, seg.type, m_.tables[seg.table].elem)) {
      invalid_at("type mismatch: element segment type does not fit the table's", type_at);
    }
    const uint32_t count = vec_count(r);
    seg.items.reserve(count);
    for (uint32_t k = 0; k < count && r.ok(); ++k) {
      if (uses_exprs) {
        seg.items.push_back(const_expr(r, seg.type));
      } else {
        const uint64_t f_at = r.offset();
        ConstExpr c;
        c.kind = ConstExpr::Kind::RefFunc;
        c.type = index_type;
        c.index = r.u32();
        if (r.ok() && c.index >= m_.num_funcs()) invalid_at(idx("unknown function", c.index), f_at);
        seg.items.push_back(c);
      }
      if (seg.items.back().kind == ConstExpr::Kind::RefFunc) declare_ref(seg.items.back().index);
    }
    m_.elems.push_back(std::move(seg));
  }
}

void ModuleDecoder::code_section(Reader& r) {
  have_code_ = true;
  const uint64_t at = r.offset();
  const uint32_t n = vec_count(r);
  if (!r.ok()) return;
  m_.sections.back().count = n;
  if (n != num_declared_funcs_) {
    r.fail("function and code section have inconsistent lengths", at);
    return;
  }
  if (ctx_.declared_refs.size() != m_.num_funcs()) {
    // No element section: declare from exports and globals now.
    ctx_.declared_refs.assign(m_.num_funcs(), false);
    for (const Export& e : m_.exports) {
      if (e.kind == ExternKind::Func) declare_ref(e.index);
    }
    for (const ConstExpr& c : m_.global_inits) {
      if (c.kind == ConstExpr::Kind::RefFunc) declare_ref(c.index);
    }
  }
  if (opts_.validate) validator_.emplace(ctx_);
  m_.bodies.resize(n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    const uint32_t func_index = m_.num_imported_funcs + i;
    const uint64_t size_at = r.offset();
    const uint32_t size = r.u32();
    if (!r.ok()) return;
    if (size > r.remaining()) {
      r.fail("length out of bounds: function body size", size_at);
      return;
    }
    Reader body(r.pos(), r.pos() + size, r.offset());
    r.skip(size);
    FunctionBody& fb = m_.bodies[i];
    fb.offset = body.offset();
    fb.size = size;
    function_body(func_index, fb, body);
    if (!check_reader(body, func_index)) {
      r.fail(body.error(), body.error_offset());  // stop the section; error already recorded
      return;
    }
  }
}

// Decodes one body. The decoder tracks block nesting itself (malformed structure is its job);
// the validator, while no validation error has been seen, checks types alongside.
void ModuleDecoder::function_body(uint32_t func_index, FunctionBody& fb, Reader& r) {
  const uint32_t groups = vec_count(r);
  uint64_t total = 0;
  fb.local_groups.reserve(groups);
  for (uint32_t g = 0; g < groups && r.ok(); ++g) {
    const uint64_t at = r.offset();
    const uint32_t count = r.u32();
    const ValType t = valtype(r);
    if (!r.ok()) return;
    total += count;
    if (total > UINT32_MAX) {
      r.fail("too many locals", at);
      return;
    }
    if (total > kMaxLocals) {
      invalid_at("too many locals: more than " + std::to_string(kMaxLocals), at, func_index);
      // Keep decoding for malformed errors, without materialising the locals.
    }
    if (count) fb.local_groups.emplace_back(count, t);
  }
  if (!r.ok()) return;
  fb.num_locals = static_cast<uint32_t>(total);
  fb.code_offset = r.offset();

  bool validating = validator_.has_value() && !invalid;
  if (validating) validator_->begin(func_index, fb);

  enum : uint8_t { kFuncFrame, kBlockFrame, kIfFrame, kElseFrame, kTryFrame, kCatchFrame, kCatchAllFrame };
  nesting_.clear();
  nesting_.push_back(kFuncFrame);
  InstrReader ir(r, opts_.features);
  Instr in;
  while (true) {
    if (r.at_end()) {
      r.fail("unexpected end of section or function: END opcode expected");
      return;
    }
    if (!ir.next(in)) return;
    switch (in.op) {
      case Op::Block:
      case Op::Loop: nesting_.push_back(kBlockFrame); break;
      case Op::If: nesting_.push_back(kIfFrame); break;
      case Op::Else:
        if (nesting_.back() != kIfFrame) {
          r.fail("else without a matching if", in.offset);
          return;
        }
        nesting_.back() = kElseFrame;
        break;
      case Op::End: nesting_.pop_back(); break;
      // Legacy exception handling: try ... (catch x ...)* (catch_all ...)? end, or try ... delegate l.
      case Op::Try: nesting_.push_back(kTryFrame); break;
      case Op::TryTable: nesting_.push_back(kBlockFrame); break;
      case Op::Catch:
      case Op::CatchAll:
        if (nesting_.back() != kTryFrame && nesting_.back() != kCatchFrame) {
          r.fail(in.op == Op::Catch ? "catch without a matching try" : "catch_all without a matching try", in.offset);
          return;
        }
        nesting_.back() = in.op == Op::Catch ? kCatchFrame : kCatchAllFrame;
        break;
      case Op::Delegate:
        if (nesting_.back() != kTryFrame) {
          r.fail("delegate without a matching try", in.offset);
          return;
        }
        nesting_.pop_back();
        break;
      case Op::ReturnCall:
      case Op::ReturnCallIndirect:
        // Without the proposal these opcodes do not exist: malformed, as in 2.0.
        if (!opts_.features.tail_call) {
          r.fail("illegal opcode (tail calls are off)", in.offset);
          return;
        }
        break;
      case Op::CallRef:
      case Op::ReturnCallRef:
      case Op::RefAsNonNull:
      case Op::BrOnNull:
      case Op::BrOnNonNull:
        if (!opts_.features.function_references || (in.op == Op::ReturnCallRef && !opts_.features.tail_call)) {
          r.fail("illegal opcode (function references are off)", in.offset);
          return;
        }
        break;
      case Op::MemoryInit:
      case Op::DataDrop:
        // Malformed only if the module turns out to have data segments (checked in run());
        // without any, the validator reports the unknown segment, as the spec tests expect.
        if (!m_.data_count && !missing_data_count_at_) missing_data_count_at_ = in.offset;
        break;
      default: break;
    }
    if (is_exception_op(in.op) && !opts_.features.exceptions) {
      r.fail("illegal opcode (exception handling is off)", in.offset);
      return;
    }
    if (is_relaxed_simd(in.op) && !opts_.features.relaxed_simd) {
      r.fail("illegal opcode (relaxed SIMD is off)", in.offset);
      return;
    }
    if (validating && !validator_->on(in, ir.br_targets(), ir.catches())) {
      invalid_at(validator_->error(), validator_->error_offset(), func_index);
      validating = false;
    }
    if (nesting_.empty()) break;
  }
  if (!r.at_end()) r.fail("section size mismatch: bytes after the function's final end");
}

void ModuleDecoder::data_section(Reader& r) {
  const uint32_t n = vec_count(r);
  m_.sections.back().count = n;
  m_.datas.reserve(n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    DataSegment seg;
    const uint64_t at = r.offset();
    const uint32_t flags = r.u32();
    if (!r.ok()) return;
    switch (flags) {
      case 0:
      case 2:
        if (flags == 2) seg.memory = r.u32();
        check_memory_index(seg.memory, at);
        seg.offset = const_expr(r, seg.memory < m_.memories.size() ? m_.memories[seg.memory].addr_type() : ValType::I32);
        break;
      case 1: seg.mode = SegmentMode::Passive; break;
      default: r.fail("malformed data segment kind", at); return;
    }
    const uint64_t len_at = r.offset();
    const uint32_t len = r.u32();
    if (!r.ok()) return;
    if (len > r.remaining()) {
      r.fail("unexpected end of section or function: data segment length", len_at);
      return;
    }
    seg.data_offset = r.offset();
    seg.size = len;
    r.skip(len);
    m_.datas.push_back(seg);
  }
}

// A sequence of constants without global.get is known now: one i32 or i64 constant, which keeps
// data segments on the memory-image fast path.
static ConstExpr fold_const(ConstExpr seq) {
  for (const ConstExpr& op : seq.ops) {
    if (op.kind == ConstExpr::Kind::GlobalGet || op.kind == ConstExpr::Kind::RefFunc) return seq;
  }
  const ValueCell v = evaluate_const(seq, constant_cell);
  ConstExpr out;
  out.type = seq.type;
  out.kind = seq.type == ValType::I32 ? ConstExpr::Kind::I32 : ConstExpr::Kind::I64;
  std::memcpy(&out.bits, v.data(), 8);
  return out;
}

// A constant expression: in 2.0, exactly one constant instruction and `end`; with extended
// constants, any well-typed sequence of constants, global.get and i32/i64 add, sub and mul.
// Anything else that still decodes is invalid, not malformed, so the whole expression is decoded
// before judging. Which globals it may read: imported ones (2.0), or with extended constants every
// global defined before it (3.0), which for a global's initialiser means those before it.
ConstExpr ModuleDecoder::const_expr(Reader& r, ValType expected) {
  const bool extended = opts_.features.extended_const;
  const uint32_t visible_globals = extended ? static_cast<uint32_t>(m_.globals.size()) : m_.num_imported_globals;
  InstrReader ir(r, opts_.features);
  Instr in;
  uint32_t depth = 0;
  const uint64_t start = r.offset();
  std::optional<std::string> problem;
  std::vector<ConstExpr> ops;
  std::vector<ValType> stack;
  while (r.ok()) {
    if (!ir.next(in)) break;
    if (in.op == Op::End) {
      if (depth == 0) break;
      --depth;
      continue;
    }
    if (in.op == Op::Block || in.op == Op::Loop || in.op == Op::If) ++depth;
    if (problem) continue;  // only decoding on, to find a malformed rest
    ConstExpr c;
    std::optional<ValType> operands;  // set: arithmetic on two of this type
    switch (in.op) {
      case Op::I32Const: c = ConstExpr{ConstExpr::Kind::I32, ValType::I32, in.bits, 0, {}, {}}; break;
      case Op::I64Const: c = ConstExpr{ConstExpr::Kind::I64, ValType::I64, in.bits, 0, {}, {}}; break;
      case Op::F32Const: c = ConstExpr{ConstExpr::Kind::F32, ValType::F32, in.bits, 0, {}, {}}; break;
      case Op::F64Const: c = ConstExpr{ConstExpr::Kind::F64, ValType::F64, in.bits, 0, {}, {}}; break;
      case Op::V128Const: c = ConstExpr{ConstExpr::Kind::V128, ValType::V128, 0, 0, in.v128, {}}; break;
      case Op::RefNull:
        c = ConstExpr{ConstExpr::Kind::RefNull, in.ref_type, 0, 0, {}, {}};
        if (max_type_index(in.ref_type) >= static_cast<int64_t>(m_.types.size())) {
          problem = "unknown type " + std::to_string(max_type_index(in.ref_type));
        }
        break;
      case Op::RefFunc:
        c = ConstExpr{ConstExpr::Kind::RefFunc, ValType::FuncRef, 0, in.index, {}, {}};
        if (in.index >= m_.num_funcs()) {
          problem = idx("unknown function", in.index);
        } else if (opts_.features.function_references) {
          c.type = make_ref(heap::of_index(m_.func_types[in.index]), false);  // its exact type
        }
        break;
      case Op::GlobalGet:
        c = ConstExpr{ConstExpr::Kind::GlobalGet, ValType::I32, 0, in.index, {}, {}};
        if (in.index >= visible_globals) {
          problem = idx("unknown global", in.index);
        } else {
          c.type = m_.globals[in.index].type;
          if (m_.globals[in.index].is_mutable) problem = "constant expression required: global.get of a mutable global";
        }
        break;
      case Op::I32Add: c.kind = ConstExpr::Kind::I32Add, operands = ValType::I32; break;
      case Op::I32Sub: c.kind = ConstExpr::Kind::I32Sub, operands = ValType::I32; break;
      case Op::I32Mul: c.kind = ConstExpr::Kind::I32Mul, operands = ValType::I32; break;
      case Op::I64Add: c.kind = ConstExpr::Kind::I64Add, operands = ValType::I64; break;
      case Op::I64Sub: c.kind = ConstExpr::Kind::I64Sub, operands = ValType::I64; break;
      case Op::I64Mul: c.kind = ConstExpr::Kind::I64Mul, operands = ValType::I64; break;
      default: problem = std::string("constant expression required: ") + op_name(in.op); break;
    }
    if (operands && !extended) {
      problem = std::string("constant expression required: ") + op_name(in.op) + " (extended constants are off)";
    }
    if (problem) continue;
    if (operands) {
      const size_t n = stack.size();
      if (n < 2 || stack[n - 1] != *operands || stack[n - 2] != *operands) {
        problem = std::string("type mismatch: ") + op_name(in.op) + " needs two " + valtype_name(*operands) +
                  " operands in the constant expression";
        continue;
      }
      stack.pop_back();
      c.type = *operands;
    } else {
      stack.push_back(c.type);
    }
    ops.push_back(std::move(c));
  }
  if (!r.ok()) return ConstExpr{};
  if (problem) {
    invalid_at(*problem, start);
  } else if (stack.size() != 1) {
    invalid_at("type mismatch: constant expression must produce exactly one value", start);
  } else if (!matches(m_, stack[0], expected)) {
    invalid_at(std::string("type mismatch: constant expression has type ") + valtype_name(stack[0]) +
                   ", expected " + valtype_name(expected),
               start);
  }
  if (ops.size() == 1) return std::move(ops[0]);
  if (problem || stack.size() != 1) return ConstExpr{};
  return fold_const(ConstExpr{ConstExpr::Kind::Sequence, stack[0], 0, 0, {}, std::move(ops)});
}

// The "name" custom section is advisory: a broken one is ignored, never fatal.
void ModuleDecoder::custom_section(Reader& r, SectionInfo& info) {
  info.name = name(r);
  if (!r.ok() || info.name != "name") {
    if (r.ok()) r.skip(r.remaining());
    return;
  }
  Reader n(r.pos(), r.end(), r.offset());
  r.skip(r.remaining());
  Names names;
  auto name_map = [&](Reader& s, std::map<uint32_t, std::string>& out) {
    const uint32_t count = vec_count(s);
    for (uint32_t i = 0; i < count && s.ok(); ++i) {
      const uint32_t index = s.u32();
      std::string v = name(s);
      if (s.ok()) out[index] = std::move(v);
    }
  };
  while (n.ok() && !n.at_end()) {
    const uint8_t sub = n.u8();
    const uint32_t size = n.u32();
    if (!n.ok() || size > n.remaining()) return;
    Reader s(n.pos(), n.pos() + size, n.offset());
    n.skip(size);
    switch (sub) {
      case 0: names.module = name(s); break;
      case 1: name_map(s, names.functions); break;
      case 2: {
        const uint32_t count = vec_count(s);
        for (uint32_t i = 0; i < count && s.ok(); ++i) {
          const uint32_t func = s.u32();
          name_map(s, names.locals[func]);
        }
        break;
      }
      default: break;  // other subsections (labels, types, ...) are not used
    }
    if (!s.ok()) return;
  }
  if (n.ok()) m_.names = std::move(names);
}

}  // namespace

DecodeOutcome decode_module(std::vector<uint8_t> bytes, const DecodeOptions& options) {
  DecodeOutcome out;
  out.module.bytes = std::move(bytes);
  ModuleDecoder d(out.module, options);
  d.run();
  out.malformed = std::move(d.malformed);
  if (!out.malformed) out.invalid = std::move(d.invalid);
  return out;
}

Result<Module> decode_and_validate(std::vector<uint8_t> bytes, const WasmFeatures& features) {
  DecodeOutcome out = decode_module(std::move(bytes), {.validate = true, .features = features});
  if (out.malformed) return std::move(*out.malformed);
  if (out.invalid) return std::move(*out.invalid);
  return std::move(out.module);
}

Result<Module> decode_and_validate(std::span<const uint8_t> bytes, const WasmFeatures& features) {
  return decode_and_validate(std::vector<uint8_t>(bytes.begin(), bytes.end()), features);
}

}  // namespace atl::wasm
