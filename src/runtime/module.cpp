// Loading artifacts into LoadedModules, and the canonical signature registry.
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>

#include "runtime/memory_image.h"
#include "runtime/objects.h"

namespace atl::runtime {

namespace {
// Loaded modules by code start address (not owned: a module removes itself when destroyed).
std::mutex g_modules_mu;
std::map<uintptr_t, const LoadedModule*>& modules_by_address() {
  static std::map<uintptr_t, const LoadedModule*> m;
  return m;
}
}  // namespace

LoadedModule::~LoadedModule() {
  if (!code) return;
  std::lock_guard<std::mutex> lock(g_modules_mu);
  modules_by_address().erase(code->code_start());
}

const LoadedModule* module_at(uintptr_t pc) {
  std::lock_guard<std::mutex> lock(g_modules_mu);
  auto& m = modules_by_address();
  auto it = m.upper_bound(pc);
  if (it == m.begin()) return nullptr;
  --it;
  const LoadedModule* module = it->second;
  return pc < module->code->code_end() ? module : nullptr;
}

const std::shared_ptr<const MemoryImage>& LoadedModule::memory_image() const {
  std::call_once(image_once_, [this] { image_ = MemoryImage::build(module); });
  return image_;
}

// A recursion group's key: per type, whether it is final, its counts and value types, with
// references within the group as markers of their position and others as process-wide ids.
using GroupKey = std::vector<uint32_t>;

// The first of `size` consecutive ids for a group; equal keys get the same ids in every module.
static uint32_t canonical_group_ids(const GroupKey& key, uint32_t size) {
  // Ids never change once given, so each thread keeps the ones it has seen: defining host
  // functions on many threads then does not queue on the registry's lock.
  thread_local std::map<GroupKey, uint32_t> seen;
  if (auto it = seen.find(key); it != seen.end()) return it->second;
  static std::mutex mu;
  static std::map<GroupKey, uint32_t> ids;
  static uint32_t next = 1;
  uint32_t id;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto [it, fresh] = ids.emplace(key, next);
    if (fresh) next += size;
    id = it->second;
  }
  seen.emplace(key, id);
  return id;
}

static void append_type(GroupKey& key, const wasm::FuncType& t, bool final) {
  key.push_back(final ? 1 : 0);
  key.push_back(static_cast<uint32_t>(t.params.size()));
  key.push_back(static_cast<uint32_t>(t.results.size()));
  for (wasm::ValType v : t.params) key.push_back(static_cast<uint32_t>(v));
  for (wasm::ValType v : t.results) key.push_back(static_cast<uint32_t>(v));
}

// A signature of at most six plain value types, packed into 64 bits (counts in the low byte),
// or 0 if it is longer or names other types.
static uint64_t packed_signature(const wasm::FuncType& t) {
  if (t.params.size() + t.results.size() > 6) return 0;
  uint64_t k = 1 + t.params.size() + (t.results.size() << 4);  // never 0
  unsigned shift = 8;
  for (const auto* list : {&t.params, &t.results}) {
    for (wasm::ValType v : *list) {
      if (static_cast<uint32_t>(v) > 0xff) return 0;
      k |= uint64_t{static_cast<uint32_t>(v)} << shift;
      shift += 8;
    }
  }
  return k;
}

uint32_t canonical_type_id(const wasm::FuncType& t) {
  // Host functions are defined by the dozen (WASI has 46) and their signatures are short: a
  // hash lookup per thread instead of building a group key for the ordered maps (2,000
  // instructions each, 5% of a warm `atoll run` of a small program).
  const uint64_t packed = packed_signature(t);
  thread_local std::unordered_map<uint64_t, uint32_t> short_ones;
  if (packed) {
    if (auto it = short_ones.find(packed); it != short_ones.end()) return it->second;
  }
  GroupKey key{1};
  append_type(key, t, true);
  const uint32_t id = canonical_group_ids(key, 1);
  if (packed) short_ones.emplace(packed, id);
  return id;
}

namespace {

bool parse_index(const std::string& s, size_t from, uint32_t* out) {
  const char* begin = s.data() + from;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(begin, end, *out);
  return ec == std::errc() && p != begin && (p == end || *p == '_');
}

}  // namespace

Result<std::shared_ptr<LoadedModule>> load_module(std::vector<uint8_t> bytes, const std::string& shared_code_file) {
  auto m = make_sharded<LoadedModule>();
  m->artifact = std::move(bytes);
  auto view = artifact::open(m->artifact, artifact::host_cpu_features());
  if (!view.ok()) return view.take_error();
  m->meta = view->meta;
  m->module = std::move(view->module);
  auto image = CodeImage::load(view->elf, shared_code_file);
  if (!image.ok()) return image.take_error();
  m->code.reset(image.value());

  const wasm::Module& wm = m->module;
  m->func_code.assign(wm.num_funcs(), nullptr);
  m->entry.assign(wm.types.size(), nullptr);
  m->host_adapter.assign(wm.types.size(), nullptr);
  const std::string fprefix = abi::kFuncSymbolPrefix;
  const std::string eprefix = abi::kEntrySymbolPrefix;
  const std::string hprefix = abi::kHostSymbolPrefix;
  const std::string wprefix = abi::kWrapSymbolPrefix;
  std::vector<void*> wrappers(wm.num_funcs(), nullptr);
  for (const auto& [name, sym] : m->code->symbols()) {
    uint32_t index;
    const uintptr_t addr = sym.address;
    if (name.rfind(fprefix, 0) == 0 && parse_index(name, fprefix.size(), &index)) {
      if (index < m->func_code.size()) {
        m->func_code[index] = reinterpret_cast<void*>(addr);
        m->func_ranges.push_back({addr, addr + sym.size, index});
      }
    } else if (name.rfind(wprefix, 0) == 0 && parse_index(name, wprefix.size(), &index)) {
      if (index < wrappers.size()) {
        wrappers[index] = reinterpret_cast<void*>(addr);
        m->func_ranges.push_back({addr, addr + sym.size, index, true});
      }
    } else if (name.rfind(eprefix, 0) == 0 && parse_index(name, eprefix.size(), &index)) {
      if (index < m->entry.size()) m->entry[index] = reinterpret_cast<abi::EntryTrampoline>(addr);
    } else if (name.rfind(hprefix, 0) == 0 && parse_index(name, hprefix.size(), &index)) {
      if (index < m->host_adapter.size()) m->host_adapter[index] = reinterpret_cast<void*>(addr);
    }
  }
  // Everything the runtime jumps to must be code (a symbol moved into data would be executed as
  // such, outside the ranges the trap handler knows).
  for (const auto& [name, sym] : m->code->symbols()) {
    const bool runtime_target = name.rfind(fprefix, 0) == 0 || name.rfind(eprefix, 0) == 0 ||
                                name.rfind(hprefix, 0) == 0 || name.rfind(wprefix, 0) == 0;
    if (runtime_target && (sym.address < m->code->code_start() || sym.address >= m->code->code_end())) {
      return make_error(ErrorKind::Other, "corrupt artifact: " + name + " is not in executable code");
    }
  }
  for (uint32_t i = 0; i < wm.num_imported_funcs; ++i) m->func_code[i] = nullptr;  // imports have no code here
  for (uint32_t i = wm.num_imported_funcs; i < wm.num_funcs(); ++i) {
    if (!m->func_code[i]) {
      return make_error(ErrorKind::Other, "corrupt artifact: no code for function " + std::to_string(i));
    }
    // Where the body has a wrapper in the wasm convention, the wrapper is what everyone calls.
    if (wrappers[i]) m->func_code[i] = wrappers[i];
  }
  for (uint32_t t = 0; t < wm.types.size(); ++t) {
    if (!m->entry[t] || !m->host_adapter[t]) {
      return make_error(ErrorKind::Other, "corrupt artifact: no trampolines for type " + std::to_string(t));
    }
  }
  // Typed references name other groups' types by their process-wide ids and their own group's by
  // markers of position, so equal groups of different modules get the same ids.
  m->type_ids.resize(wm.types.size());
  for (uint32_t g = 0; g < wm.types.size(); g += wm.type_group_size[g]) {
    const uint32_t size = wm.type_group_size[g];
    GroupKey key{size};
    for (uint32_t t = g; t < g + size; ++t) {
      wasm::FuncType ft = wm.types[t];
      for (auto* list : {&ft.params, &ft.results}) {
        for (wasm::ValType& v : *list) {
          if (!wasm::is_ref(v) || !wasm::heap::is_index(wasm::heap_type(v))) continue;
          const uint32_t j = wasm::heap::index(wasm::heap_type(v));
          const uint32_t h = j >= g ? wasm::heap::kMaxTypeIndex - (j - g) : m->type_ids[j];
          v = wasm::make_ref(wasm::heap::of_index(h), wasm::is_nullable(v));
        }
      }
      append_type(key, ft, wm.type_final[t] != 0);
    }
    const uint32_t base = canonical_group_ids(key, size);
    for (uint32_t k = 0; k < size; ++k) m->type_ids[g + k] = base + k;
  }
  std::sort(m->func_ranges.begin(), m->func_ranges.end(),
            [](const LoadedModule::FuncRange& a, const LoadedModule::FuncRange& b) { return a.start < b.start; });
  if (const int d = view->elf.find_section(artifact::kDebugSection); d >= 0) {
    auto table = artifact::DebugTable::parse(view->elf.contents(view->elf.sections()[d]), wm.num_funcs());
    if (!table.ok()) return make_error(ErrorKind::Other, "corrupt artifact: " + table.error().message);
    m->debug = std::move(table.value());
  }
  {
    std::lock_guard<std::mutex> lock(g_modules_mu);
    modules_by_address()[m->code->code_start()] = m.get();
  }
  return m;
}

const LoadedModule::FuncRange* LoadedModule::function_at(uintptr_t pc) const {
  auto it = std::upper_bound(func_ranges.begin(), func_ranges.end(), pc,
                             [](uintptr_t p, const FuncRange& r) { return p < r.start; });
  if (it == func_ranges.begin()) return nullptr;
  --it;
  return pc < it->end ? &*it : nullptr;
}

}  // namespace atl::runtime
