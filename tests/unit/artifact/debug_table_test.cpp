// The artifact's debug table: what the builder writes the parser reads back, and a table that is
// cut short or has any byte changed is either refused with a message or read without crossing its
// bounds (the runtime treats artifacts as hostile input).
#include "artifact/debug_table.h"

#include <gtest/gtest.h>

namespace atl::artifact {
namespace {

std::vector<uint8_t> sample() {
  DebugTableBuilder b;
  // Function 3 inlines function 2 between native offsets 0x10 and 0x20.
  const WasmFrameInfo own[] = {{3, 0x100}};
  const WasmFrameInfo inlined[] = {{2, 0x80}, {3, 0x104}};
  b.add_native(3, 0, own);
  b.add_native(3, 0x10, inlined);
  b.add_native(3, 0x20, own);
  const SourceFrameInfo inner[] = {{"callee", "a.c", 7, 3}, {"caller", "a.c", 20, 9}};
  b.add_source(0x80, inner);
  b.add_source(0x90, {});
  b.set_bodies(2, {0x7c, 0xfe});
  return b.finish();
}

TEST(DebugTable, RoundTripsNativeInlineAndSourceChains) {
  auto t = DebugTable::parse(sample(), 4);
  ASSERT_TRUE(t.ok()) << t.error().message;
  auto own = t->wasm_frames(3, 0x8);
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0].func_index, 3u);
  EXPECT_EQ(own[0].wasm_offset, 0x100u);
  auto in = t->wasm_frames(3, 0x1f);
  ASSERT_EQ(in.size(), 2u);
  EXPECT_EQ(in[0].func_index, 2u);
  EXPECT_EQ(in[0].wasm_offset, 0x80u);
  EXPECT_EQ(in[1].wasm_offset, 0x104u);
  EXPECT_EQ(t->wasm_frames(3, 0x20)[0].wasm_offset, 0x100u);
  EXPECT_TRUE(t->wasm_frames(2, 0).empty());  // no ranges of its own
  auto src = t->source_frames(0x88);
  ASSERT_EQ(src.size(), 2u);
  EXPECT_EQ(src[0].function, "callee");
  EXPECT_EQ(src[0].line, 7u);
  EXPECT_EQ(src[1].function, "caller");
  EXPECT_EQ(src[1].column, 9u);
  EXPECT_TRUE(t->source_frames(0x90).empty());
  EXPECT_TRUE(t->source_frames(0x7f).empty());
  EXPECT_EQ(t->body_offset(2), 0x7cu);
  EXPECT_EQ(t->body_offset(3), 0xfeu);
  EXPECT_EQ(t->body_offset(1), kDebugNone);  // an import
  EXPECT_EQ(t->body_offset(4), kDebugNone);
}

TEST(DebugTable, RefusesFunctionsTheModuleDoesNotHave) {
  auto t = DebugTable::parse(sample(), 3);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find(".atoll.debug"), std::string::npos) << t.error().message;
}

TEST(DebugTable, EveryTruncationIsRefused) {
  const std::vector<uint8_t> full = sample();
  for (size_t n = 0; n < full.size(); ++n) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + n);
    EXPECT_FALSE(DebugTable::parse(cut, 4).ok()) << "cut to " << n << " bytes";
  }
}

TEST(DebugTable, AnyChangedByteIsRefusedOrReadWithinBounds) {
  const std::vector<uint8_t> full = sample();
  for (size_t i = 0; i < full.size(); ++i) {
    for (uint8_t v : {uint8_t{0x00}, uint8_t{0x01}, uint8_t{0x7f}, uint8_t{0xff}}) {
      std::vector<uint8_t> bad = full;
      bad[i] = v;
      auto t = DebugTable::parse(bad, 4);
      if (!t.ok()) continue;
      // Whatever was accepted must be safe to query everywhere.
      for (uint32_t f = 0; f < 5; ++f) {
        for (uint64_t off : {0ull, 0x10ull, 0x1full, 0x1000ull}) {
          for (const auto& w : t->wasm_frames(f, off)) EXPECT_LT(w.func_index, 4u);
        }
        (void)t->body_offset(f);
      }
      for (uint32_t off : {0u, 0x80u, 0x88u, 0x100u, ~0u}) (void)t->source_frames(off);
    }
  }
}

TEST(DebugTable, ParentsMustPrecedeTheirChildren) {
  std::vector<uint8_t> t = sample();
  // The header is 10 words; bodies (2 words) and funcs (1 x 3 words) and ranges (3 x 2) follow;
  // the first node's parent is its third word. Point it at itself: a cycle.
  const size_t node0_parent = (10 + 2 + 3 + 6 + 2) * 4;
  t[node0_parent] = 0;
  t[node0_parent + 1] = t[node0_parent + 2] = t[node0_parent + 3] = 0;
  auto parsed = DebugTable::parse(t, 4);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("later parent"), std::string::npos) << parsed.error().message;
}

}  // namespace
}  // namespace atl::artifact
