// `atoll inspect --json`: the module as data. The schema is documented in docs/CLI.md; fields
// are only ever added, never renamed or removed (schema "atoll-inspect/1").
#include <nlohmann/json.hpp>

#include "wasm/inspect.h"

namespace atl::wasm {
namespace {

using Json = nlohmann::ordered_json;

const char* section_kind(uint8_t id) {
  static const char* const kNames[] = {"custom", "type",   "import", "function", "table",
                                       "memory", "global", "export", "start",    "element",
                                       "code",   "data",   "datacount"};
  return id < 13 ? kNames[id] : "unknown";
}

Json types(const std::vector<ValType>& list) {
  Json a = Json::array();
  for (ValType v : list) a.push_back(valtype_name(v));
  return a;
}

template <class T>
Json optional(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

void add_limits(Json& j, const Limits& l) {
  j["min"] = l.min;
  j["max"] = optional(l.max);
}

}  // namespace

Json module_json(const Module& m) {
  Json j;
  j["size"] = m.bytes.size();
  j["name"] = optional(m.names.module);

  Json& sections = j["sections"] = Json::array();
  for (const SectionInfo& s : m.sections) {
    Json e{{"id", s.id}, {"kind", section_kind(s.id)}, {"offset", s.offset}, {"size", s.size}};
    if (s.id == 0) e["name"] = s.name;
    else if (s.id != 8) e["count"] = s.count;
    sections.push_back(std::move(e));
  }

  Json& type_list = j["types"] = Json::array();
  for (const FuncType& t : m.types) type_list.push_back({{"params", types(t.params)}, {"results", types(t.results)}});

  Json& imports = j["imports"] = Json::array();
  uint32_t fi = 0, ti = 0, mi = 0, gi = 0, xi = 0;
  for (const Import& imp : m.imports) {
    Json e{{"module", imp.module}, {"name", imp.name}, {"kind", extern_kind_name(imp.kind)}};
    switch (imp.kind) {
      case ExternKind::Func:
        e["index"] = fi++;
        e["type"] = imp.func_type;
        break;
      case ExternKind::Table:
        e["index"] = ti++;
        e["element"] = valtype_name(imp.table.elem);
        add_limits(e, imp.table.limits);
        break;
      case ExternKind::Memory:
        e["index"] = mi++;
        add_limits(e, imp.memory.limits);
        break;
      case ExternKind::Global:
        e["index"] = gi++;
        e["type"] = valtype_name(imp.global.type);
        e["mutable"] = imp.global.is_mutable;
        break;
      case ExternKind::Tag:
        e["index"] = xi++;
        e["type"] = imp.tag_type;
        break;
    }
    imports.push_back(std::move(e));
  }

  Json& functions = j["functions"] = Json::array();
  for (uint32_t i = 0; i < m.num_funcs(); ++i) {
    const std::string& name = m.func_name(i);
    Json e{{"index", i}, {"name", name.empty() ? Json(nullptr) : Json(name)}, {"type", m.func_types[i]},
           {"imported", i < m.num_imported_funcs}};
    if (i >= m.num_imported_funcs && i - m.num_imported_funcs < m.bodies.size()) {
      const FunctionBody& b = m.bodies[i - m.num_imported_funcs];
      e["body_offset"] = b.offset;
      e["body_size"] = b.size;
      e["locals"] = b.num_locals;
    }
    functions.push_back(std::move(e));
  }

  Json& tables = j["tables"] = Json::array();
  for (size_t i = 0; i < m.tables.size(); ++i) {
    Json e{{"index", i}, {"element", valtype_name(m.tables[i].elem)}};
    add_limits(e, m.tables[i].limits);
    e["address"] = m.tables[i].is64 ? "i64" : "i32";
    e["imported"] = i < m.num_imported_tables;
    tables.push_back(std::move(e));
  }

  Json& memories = j["memories"] = Json::array();
  for (size_t i = 0; i < m.memories.size(); ++i) {
    Json e{{"index", i}};
    add_limits(e, m.memories[i].limits);
    e["address"] = m.memories[i].is64 ? "i64" : "i32";
    e["imported"] = i < m.num_imported_memories;
    memories.push_back(std::move(e));
  }

  Json& globals = j["globals"] = Json::array();
  for (size_t i = 0; i < m.globals.size(); ++i) {
    Json e{{"index", i}, {"type", valtype_name(m.globals[i].type)}, {"mutable", m.globals[i].is_mutable},
           {"imported", i < m.num_imported_globals}};
    if (i >= m.num_imported_globals && i - m.num_imported_globals < m.global_inits.size()) {
      e["init"] = const_expr_to_string(m.global_inits[i - m.num_imported_globals]);
    }
    globals.push_back(std::move(e));
  }

  Json& exports = j["exports"] = Json::array();
  for (const Export& e : m.exports) {
    exports.push_back({{"name", e.name}, {"kind", extern_kind_name(e.kind)}, {"index", e.index}});
  }
  j["start"] = optional(m.start);

  Json& elements = j["elements"] = Json::array();
  for (const ElemSegment& s : m.elems) {
    Json e{{"mode", segment_mode_name(s.mode)}, {"type", valtype_name(s.type)}, {"count", s.items.size()}};
    if (s.mode == SegmentMode::Active) {
      e["table"] = s.table;
      e["offset"] = const_expr_to_string(s.offset);
    }
    elements.push_back(std::move(e));
  }

  j["data_count"] = optional(m.data_count);
  Json& data = j["data"] = Json::array();
  for (const DataSegment& d : m.datas) {
    Json e{{"mode", segment_mode_name(d.mode)}, {"size", d.size}, {"data_offset", d.data_offset}};
    if (d.mode == SegmentMode::Active) {
      e["memory"] = d.memory;
      e["offset"] = const_expr_to_string(d.offset);
    }
    data.push_back(std::move(e));
  }
  return j;
}

}  // namespace atl::wasm
