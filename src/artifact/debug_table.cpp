#include "artifact/debug_table.h"

#include <algorithm>
#include <cstring>

namespace atl::artifact {

namespace {

constexpr uint32_t kMagic = 0x47424441;  // "ADBG"
constexpr uint32_t kVersion = 2;
constexpr size_t kHeaderWords = 10;

void put(std::vector<uint8_t>& out, uint32_t v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), p, p + 4);
}

Error bad(const std::string& what) {
  return make_error(ErrorKind::Malformed, "artifact debug table (" + std::string(kDebugSection) + "): " + what);
}

// Reads u32s from a span, failing once past the end.
class WordReader {
 public:
  explicit WordReader(std::span<const uint8_t> b) : b_(b) {}
  bool u32(uint32_t& v) {
    if (b_.size() - pos_ < 4) return false;
    std::memcpy(&v, b_.data() + pos_, 4);
    pos_ += 4;
    return true;
  }
  size_t left() const { return b_.size() - pos_; }
  std::span<const uint8_t> rest() const { return b_.subspan(pos_); }

 private:
  std::span<const uint8_t> b_;
  size_t pos_ = 0;
};

template <size_t N>
bool read_rows(WordReader& r, uint32_t count, std::vector<std::array<uint32_t, N>>& out) {
  if (r.left() / (4 * N) < count) return false;
  out.resize(count);
  for (auto& row : out) {
    for (uint32_t& w : row) r.u32(w);
  }
  return true;
}

}  // namespace

uint32_t DebugTableBuilder::string(const std::string& s) {
  auto [it, fresh] = string_ids_.emplace(s, static_cast<uint32_t>(strings_.size()));
  if (fresh) {
    strings_ += s;
    strings_ += '\0';
  }
  return it->second;
}

uint32_t DebugTableBuilder::node(std::span<const WasmFrameInfo> chain) {
  if (chain.empty()) return kDebugNone;
  const uint32_t parent = node(chain.subspan(1));  // parents first: they precede their children
  auto key = std::make_tuple(chain[0].func_index, chain[0].wasm_offset, parent);
  auto [it, fresh] = node_ids_.emplace(key, static_cast<uint32_t>(nodes_.size()));
  if (fresh) nodes_.push_back({chain[0].func_index, chain[0].wasm_offset, parent});
  return it->second;
}

uint32_t DebugTableBuilder::src_node(std::span<const SourceFrameInfo> chain) {
  if (chain.empty()) return kDebugNone;
  const uint32_t parent = src_node(chain.subspan(1));
  std::array<uint32_t, 5> row{string(chain[0].function), string(chain[0].file), chain[0].line, chain[0].column,
                              parent};
  auto [it, fresh] = src_node_ids_.emplace(row, static_cast<uint32_t>(src_nodes_.size()));
  if (fresh) src_nodes_.push_back(row);
  return it->second;
}

void DebugTableBuilder::add_native(uint32_t func_index, uint32_t native_offset, std::span<const WasmFrameInfo> chain) {
  const uint32_t n = node(chain);
  std::vector<Range>& ranges = funcs_[func_index];
  if (!ranges.empty() && ranges.back().node == n) return;  // the same frames continue
  if (!ranges.empty() && ranges.back().offset == native_offset) {
    ranges.back().node = n;
    return;
  }
  ranges.push_back({native_offset, n});
}

void DebugTableBuilder::add_source(uint32_t wasm_offset, std::span<const SourceFrameInfo> chain) {
  const uint32_t n = src_node(chain);
  if (!src_ranges_.empty() && src_ranges_.back().node == n) return;
  src_ranges_.push_back({wasm_offset, n});
}

std::vector<uint8_t> DebugTableBuilder::finish() const {
  std::vector<Range> src = src_ranges_;
  // Where one sequence ends and another starts at the same offset, the start wins.
  std::sort(src.begin(), src.end(), [](const Range& a, const Range& b) {
    return a.offset != b.offset ? a.offset < b.offset : (a.node != kDebugNone) < (b.node != kDebugNone);
  });
  size_t n_ranges = 0;
  for (const auto& [f, r] : funcs_) n_ranges += r.size();
  std::vector<uint8_t> out;
  for (uint32_t w : {kMagic, kVersion, static_cast<uint32_t>(funcs_.size()), static_cast<uint32_t>(n_ranges),
                     static_cast<uint32_t>(nodes_.size()), static_cast<uint32_t>(src.size()),
                     static_cast<uint32_t>(src_nodes_.size()), static_cast<uint32_t>(strings_.size()), first_body_,
                     static_cast<uint32_t>(bodies_.size())}) {
    put(out, w);
  }
  for (uint32_t b : bodies_) put(out, b);
  uint32_t first = 0;
  for (const auto& [f, r] : funcs_) {
    put(out, f);
    put(out, first);
    put(out, static_cast<uint32_t>(r.size()));
    first += static_cast<uint32_t>(r.size());
  }
  for (const auto& [f, rs] : funcs_) {
    for (const Range& r : rs) {
      put(out, r.offset);
      put(out, r.node);
    }
  }
  for (const auto& n : nodes_) {
    for (uint32_t w : n) put(out, w);
  }
  for (const Range& r : src) {
    put(out, r.offset);
    put(out, r.node);
  }
  for (const auto& n : src_nodes_) {
    for (uint32_t w : n) put(out, w);
  }
  out.insert(out.end(), strings_.begin(), strings_.end());
  return out;
}

Result<DebugTable> DebugTable::parse(std::span<const uint8_t> bytes, uint32_t num_funcs) {
  WordReader r(bytes);
  uint32_t h[kHeaderWords];
  for (uint32_t& w : h) {
    if (!r.u32(w)) return bad("truncated header");
  }
  if (h[0] != kMagic) return bad("bad magic");
  if (h[1] != kVersion) return bad("version " + std::to_string(h[1]) + ", expected " + std::to_string(kVersion));
  DebugTable t;
  if (h[8] > num_funcs || h[9] > num_funcs - h[8]) return bad("function bodies outside the module");
  if (r.left() / 4 < h[9]) return bad("truncated");
  t.first_body_ = h[8];
  t.bodies_.resize(h[9]);
  for (uint32_t& b : t.bodies_) r.u32(b);
  std::vector<std::array<uint32_t, 3>> funcs;
  std::vector<std::array<uint32_t, 2>> ranges, src_ranges;
  if (!read_rows(r, h[2], funcs) || !read_rows(r, h[3], ranges) || !read_rows(r, h[4], t.nodes_) ||
      !read_rows(r, h[5], src_ranges) || !read_rows(r, h[6], t.src_nodes_)) {
    return bad("truncated");
  }
  if (r.left() != h[7]) return bad("string table size does not match the section");
  auto rest = r.rest();
  t.strings_.assign(reinterpret_cast<const char*>(rest.data()), rest.size());
  if (!t.strings_.empty() && t.strings_.back() != '\0') return bad("unterminated string");

  for (size_t i = 0; i < t.nodes_.size(); ++i) {
    const auto& n = t.nodes_[i];
    if (n[0] >= num_funcs) return bad("node " + std::to_string(i) + " names function " + std::to_string(n[0]));
    if (n[2] != kDebugNone && n[2] >= i) return bad("node " + std::to_string(i) + " has a later parent");
  }
  for (size_t i = 0; i < t.src_nodes_.size(); ++i) {
    const auto& n = t.src_nodes_[i];
    if (n[0] >= t.strings_.size() || n[1] >= t.strings_.size()) {
      return bad("source node " + std::to_string(i) + " points outside the strings");
    }
    if (n[4] != kDebugNone && n[4] >= i) return bad("source node " + std::to_string(i) + " has a later parent");
  }
  uint32_t expected_first = 0;
  for (size_t i = 0; i < funcs.size(); ++i) {
    const Func f{funcs[i][0], funcs[i][1], funcs[i][2]};
    if (f.index >= num_funcs || (i > 0 && f.index <= funcs[i - 1][0])) return bad("function entries out of order");
    if (f.first != expected_first || f.count > ranges.size() - f.first) return bad("function ranges do not tile");
    expected_first += f.count;
    t.funcs_.push_back(f);
  }
  if (expected_first != ranges.size()) return bad("ranges left over");
  for (const auto& f : t.funcs_) {
    for (uint32_t k = f.first; k < f.first + f.count; ++k) {
      if (k > f.first && ranges[k][0] <= ranges[k - 1][0]) return bad("native ranges out of order");
      if (ranges[k][1] != kDebugNone && ranges[k][1] >= t.nodes_.size()) return bad("a range names a missing node");
    }
  }
  for (size_t k = 0; k < src_ranges.size(); ++k) {
    if (k > 0 && src_ranges[k][0] < src_ranges[k - 1][0]) return bad("source ranges out of order");
    if (src_ranges[k][1] != kDebugNone && src_ranges[k][1] >= t.src_nodes_.size()) {
      return bad("a source range names a missing node");
    }
  }
  for (const auto& r2 : ranges) t.ranges_.push_back({r2[0], r2[1]});
  for (const auto& r2 : src_ranges) t.src_ranges_.push_back({r2[0], r2[1]});
  return t;
}

std::vector<WasmFrameInfo> DebugTable::wasm_frames(uint32_t func_index, uint64_t native_offset) const {
  std::vector<WasmFrameInfo> out;
  auto f = std::lower_bound(funcs_.begin(), funcs_.end(), func_index,
                            [](const Func& a, uint32_t i) { return a.index < i; });
  if (f == funcs_.end() || f->index != func_index || f->count == 0) return out;
  auto begin = ranges_.begin() + f->first, end = begin + f->count;
  auto it = std::upper_bound(begin, end, native_offset, [](uint64_t o, const Range& r) { return o < r.offset; });
  if (it == begin) return out;
  for (uint32_t n = std::prev(it)->node; n != kDebugNone; n = nodes_[n][2]) {
    out.push_back({nodes_[n][0], nodes_[n][1]});
  }
  return out;
}

std::vector<uint32_t> DebugTable::native_starts(uint32_t func_index) const {
  std::vector<uint32_t> out;
  auto f = std::lower_bound(funcs_.begin(), funcs_.end(), func_index,
                            [](const Func& a, uint32_t i) { return a.index < i; });
  if (f == funcs_.end() || f->index != func_index) return out;
  for (uint32_t k = f->first; k < f->first + f->count; ++k) out.push_back(ranges_[k].offset);
  return out;
}

std::vector<SourceFrameInfo> DebugTable::source_frames(uint32_t wasm_offset) const {
  std::vector<SourceFrameInfo> out;
  auto it = std::upper_bound(src_ranges_.begin(), src_ranges_.end(), wasm_offset,
                             [](uint32_t o, const Range& r) { return o < r.offset; });
  if (it == src_ranges_.begin()) return out;
  for (uint32_t n = std::prev(it)->node; n != kDebugNone; n = src_nodes_[n][4]) {
    const auto& s = src_nodes_[n];
    out.push_back({strings_.c_str() + s[0], strings_.c_str() + s[1], s[2], s[3]});
  }
  return out;
}

}  // namespace atl::artifact
