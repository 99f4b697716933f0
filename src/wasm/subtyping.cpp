#include "wasm/subtyping.h"

#include <map>

#include "wasm/module.h"

namespace atl::wasm {

namespace {

// A reference to the type being defined, in a canonical key.
constexpr uint32_t kSelf = 0xffffffu;

uint32_t canon_heap(const Module& m, uint32_t h) {
  return heap::is_index(h) && heap::index(h) < m.type_canon.size() ? heap::of_index(m.type_canon[heap::index(h)]) : h;
}

}  // namespace

// Iso-recursive: a recursion group is one unit, equal to another group when they have as many
// types and each pair is structurally equal, references within the group compared by position in
// it and references to earlier types by their equivalence.
void canonicalize_types(Module& m) {
  const uint32_t n = static_cast<uint32_t>(m.types.size());
  // Modules built in code (tests, the text reader) may leave the groups out: singletons, final.
  if (m.type_group.size() != n) {
    m.type_group.resize(n);
    m.type_group_size.assign(n, 1);
    m.type_final.assign(n, 1);
    for (uint32_t i = 0; i < n; ++i) m.type_group[i] = i;
  }
  m.type_canon.assign(n, 0);
  std::map<std::vector<uint32_t>, uint32_t> first;
  for (uint32_t g = 0; g < n; g += m.type_group_size[g]) {
    const uint32_t size = m.type_group_size[g];
    if (size == 0 || size > n - g) return;  // not a decoder's module: leave the rest unmatched
    std::vector<uint32_t> key{size};
    auto add = [&](ValType t) {
      if (is_ref(t) && heap::is_index(heap_type(t))) {
        const uint32_t j = heap::index(heap_type(t));
        const uint32_t h = j >= g ? kSelf - (j - g) : heap::of_index(m.type_canon[j]);
        key.push_back(static_cast<uint32_t>(make_ref(h, is_nullable(t))));
      } else {
        key.push_back(static_cast<uint32_t>(t));
      }
    };
    for (uint32_t i = g; i < g + size; ++i) {
      key.push_back(m.type_final[i]);
      key.push_back(static_cast<uint32_t>(m.types[i].params.size()));
      key.push_back(static_cast<uint32_t>(m.types[i].results.size()));
      for (ValType t : m.types[i].params) add(t);
      for (ValType t : m.types[i].results) add(t);
    }
    const uint32_t canon = first.emplace(std::move(key), g).first->second;
    for (uint32_t k = 0; k < size; ++k) m.type_canon[g + k] = canon + k;
  }
}

bool heap_matches(const Module& m, uint32_t actual, uint32_t expected) {
  if (actual == expected) return true;
  const bool a_index = heap::is_index(actual), e_index = heap::is_index(expected);
  if (a_index && e_index) return canon_heap(m, actual) == canon_heap(m, expected);
  if (expected == heap::Func) return a_index || actual == heap::NoFunc;
  if (actual == heap::NoFunc) return e_index;
  if (expected == heap::Extern) return actual == heap::NoExtern;
  if (expected == heap::Exn) return actual == heap::NoExn;
  return false;
}

bool matches(const Module& m, ValType actual, ValType expected) {
  if (actual == expected || actual == ValType::Bottom) return true;
  if (!is_ref(actual) || !is_ref(expected)) return false;
  if (is_nullable(actual) && !is_nullable(expected)) return false;
  return heap_matches(m, heap_type(actual), heap_type(expected));
}

bool matches_canonical(ValType actual, ValType expected) {
  static const Module kNoTypes;  // no type_canon: heap types compare as they are
  return matches(kNoTypes, actual, expected);
}

bool equivalent(const Module& m, ValType a, ValType b) {
  if (a == b) return true;
  if (!is_ref(a) || !is_ref(b) || is_nullable(a) != is_nullable(b)) return false;
  return canon_heap(m, heap_type(a)) == canon_heap(m, heap_type(b));
}

bool equivalent(const Module& m, const FuncType& a, const FuncType& b) {
  if (a.params.size() != b.params.size() || a.results.size() != b.results.size()) return false;
  for (size_t i = 0; i < a.params.size(); ++i) {
    if (!equivalent(m, a.params[i], b.params[i])) return false;
  }
  for (size_t i = 0; i < a.results.size(); ++i) {
    if (!equivalent(m, a.results[i], b.results[i])) return false;
  }
  return true;
}

int64_t max_type_index(ValType t) {
  return is_ref(t) && heap::is_index(heap_type(t)) ? int64_t{heap::index(heap_type(t))} : -1;
}

}  // namespace atl::wasm
