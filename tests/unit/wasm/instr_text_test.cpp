// Instructions as text: every immediate layout in the text format's spelling, and listings with
// their nesting depth and offsets.
#include "wasm/instr_text.h"

#include <gtest/gtest.h>

#include "../wat.h"
#include "wasm/decoder.h"

namespace atl::wasm {
namespace {

std::vector<std::string> texts(const std::vector<ListedInstr>& l) {
  std::vector<std::string> out;
  for (const auto& i : l) out.push_back(std::string(2 * i.depth, ' ') + i.text);
  return out;
}

TEST(InstrText, EveryImmediateLayout) {
  auto bytes = test::wat(R"(
(module
  (type $t (func (param i32) (result i32)))
  (memory 1) (table 2 funcref) (global $g (mut i64) (i64.const 0))
  (data $d "hi") (elem $e func $callee)
  (func $callee (type $t) local.get 0)
  (func (param i32) (result i32) (local f64)
    (block $out (result i32)
      (loop $again
        (br_if $again (i32.eqz (local.get 0)))
        (block (block (br_table 0 1 2 (local.get 0)))))
      (i32.const -7))
    drop
    (i64.const -9223372036854775808) (global.set $g)
    (f32.const nan:0x200001) drop (f64.const -nan) drop (f64.const -inf) drop (f32.const 0.1) drop
    (f64.const 1e300) drop
    (select (result i32) (i32.const 1) (i32.const 2) (local.get 0)) drop
    (i32.load8_u offset=3 align=1 (i32.const 0)) drop
    (i64.store offset=16 align=4 (i32.const 0) (i64.const 1))
    (i64.load (i32.const 0)) drop
    (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1)) (data.drop $d)
    (table.init $e (i32.const 0) (i32.const 0) (i32.const 1))
    (ref.null extern) drop (ref.func $callee) drop
    (call_indirect (type $t) (i32.const 5) (i32.const 0)) drop
    (v128.const i32x4 1 2 3 0xffffffff) (i8x16.extract_lane_u 15) drop
    (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31 (v128.const i64x2 0 0) (v128.const i64x2 0 0)) drop
    (memory.grow (i32.const 1)) drop
    (call $callee (local.get 0))))
)");
  ASSERT_FALSE(bytes.empty());
  auto m = decode_and_validate(bytes);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  auto l = function_listing(*m, 1);
  ASSERT_TRUE(l.ok()) << l.error().to_string();
  const std::vector<std::string> expected = {
      "block (result i32)", "  loop", "    local.get 0", "    i32.eqz", "    br_if 0", "    block", "      block",
      "        local.get 0", "        br_table 0 1 2", "      end", "    end", "  end", "  i32.const -7", "end", "drop",
      "i64.const -9223372036854775808", "global.set 0",
      "f32.const nan:0x200001", "drop", "f64.const -nan", "drop", "f64.const -inf", "drop", "f32.const 0.1", "drop",
      "f64.const 1e+300", "drop",
      "i32.const 1", "i32.const 2", "local.get 0", "select (result i32)", "drop",
      "i32.const 0", "i32.load8_u offset=3", "drop",
      "i32.const 0", "i64.const 1", "i64.store offset=16 align=4",
      "i32.const 0", "i64.load", "drop",
      "i32.const 0", "i32.const 0", "i32.const 1", "memory.init 0", "data.drop 0",
      "i32.const 0", "i32.const 0", "i32.const 1", "table.init 0 0",
      "ref.null extern", "drop", "ref.func $callee", "drop",
      "i32.const 5", "i32.const 0", "call_indirect (type 0)", "drop",
      "v128.const i32x4 0x1 0x2 0x3 0xffffffff", "i8x16.extract_lane_u 15", "drop",
      "v128.const i32x4 0x0 0x0 0x0 0x0", "v128.const i32x4 0x0 0x0 0x0 0x0",
      "i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31", "drop",
      "i32.const 1", "memory.grow", "drop",
      "local.get 0", "call $callee", "end"};
  EXPECT_EQ(texts(*l), expected);
  // Offsets are the opcodes' own, increasing, inside the body.
  const FunctionBody& body = m->bodies[1];
  uint64_t last = 0;
  for (const auto& i : *l) {
    EXPECT_GT(i.offset, last);
    EXPECT_GE(i.offset, body.code_offset);
    EXPECT_LT(i.offset, body.offset + body.size);
    last = i.offset;
  }
  EXPECT_EQ(m->bytes[l->front().offset], 0x02);  // block
  EXPECT_EQ(m->bytes[l->back().offset], 0x0b);   // end
}

TEST(InstrText, MemoryIndicesOtherThanZero) {
  auto bytes = test::wat(R"((module (memory 1) (memory $b i64 1) (data $d "x")
    (func
      (drop (i32.load $b offset=8 (i64.const 0)))
      (drop (i32.load (i32.const 0)))
      (drop (memory.size $b))
      (memory.copy 0 1 (i32.const 0) (i64.const 0) (i32.const 1))
      (memory.init $b $d (i64.const 0) (i32.const 0) (i32.const 1)))))",
                         {"--enable-multi-memory", "--enable-memory64"});
  auto m = decode_and_validate(bytes);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  auto l = function_listing(*m, 0);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(texts(*l), (std::vector<std::string>{
      "i64.const 0", "i32.load 1 offset=8", "drop", "i32.const 0", "i32.load", "drop", "memory.size 1", "drop",
      "i32.const 0", "i64.const 0", "i32.const 1", "memory.copy 0 1", "i64.const 0", "i32.const 0", "i32.const 1",
      "memory.init 1 0", "end"}));
}

TEST(InstrText, ImportsHaveNoListing) {
  auto bytes = test::wat(R"((module (import "m" "f" (func $f)) (func $g call $f)))");
  auto m = decode_and_validate(bytes);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(function_listing(*m, 0).ok());
  EXPECT_FALSE(function_listing(*m, 2).ok());
  auto l = function_listing(*m, 1);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(texts(*l), (std::vector<std::string>{"call $f", "end"}));
}

}  // namespace
}  // namespace atl::wasm
