#include "wasm/validator.h"

#include <gtest/gtest.h>

#include "builder.h"
#include "wasm/decoder.h"

namespace atl::wasm {
namespace {

using namespace atl::test;

const Bytes kMemory = section(5, vec({{0x00, 0x01}}));

// A module with a memory, a funcref table, a mutable and an immutable i32 global, one passive
// element and data segment, and the function under test (index 0) with the given type.
Bytes harness(const Bytes& type, const Bytes& code, const Bytes& locals = {0x00}) {
  return module({section(1, vec({type, functype({}, {}), functype({I32, I32}, {I32, I32})})),
                 section(3, vec({{0x00}})),
                 section(4, vec({{FUNCREF, 0x00, 0x01}})),
                 kMemory,
                 section(6, vec({{I32, 0x01, 0x41, 0x00, 0x0b}, {I32, 0x00, 0x41, 0x00, 0x0b}})),
                 section(9, vec({cat({{0x01, 0x00}, vec({{0x00}})})})),
                 section(12, uleb(1)),
                 section(10, vec({func_body(cat({locals, code}))})),
                 section(11, vec({cat({{0x01}, str("d")})}))});
}

void valid(const Bytes& type, const Bytes& code, const Bytes& locals = {0x00}) {
  Result<Module> r = decode_and_validate(harness(type, code, locals));
  EXPECT_TRUE(r.ok()) << r.error().to_string();
}

void invalid(const Bytes& type, const Bytes& code, const std::string& text,
             const Bytes& locals = {0x00}) {
  Result<Module> r = decode_and_validate(harness(type, code, locals));
  ASSERT_FALSE(r.ok()) << "expected \"" << text << "\"";
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid) << r.error().to_string();
  EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().to_string();
  EXPECT_EQ(r.error().func, 0u);
}

const Bytes kVoid = functype({}, {});
const Bytes kI32 = functype({}, {I32});

TEST(Validator, NumericSignatures) {
  valid(kI32, {0x41, 0x01, 0x41, 0x02, 0x6a, 0x0b});
  invalid(kI32, {0x41, 0x01, 0x42, 0x02, 0x6a, 0x0b}, "type mismatch in i32.add: expected i32, got i64");
  invalid(kI32, {0x41, 0x01, 0x6a, 0x0b}, "stack is empty");
  invalid(kVoid, {0x41, 0x01, 0x0b}, "values remaining on the stack");
  invalid(kI32, {0x0b}, "type mismatch");
  valid(functype({}, {F64}), {0x41, 0x07, 0xb7, 0x0b});  // f64.convert_i32_s
}

TEST(Validator, UnreachableIsPolymorphic) {
  valid(kI32, {0x00, 0x6a, 0x0b});              // unreachable; i32.add
  valid(kI32, {0x00, 0x1a, 0x41, 0x00, 0x0b});  // drop of an unknown value
  invalid(kI32, {0x00, 0x42, 0x00, 0x6a, 0x0b}, "expected i32, got i64");
  valid(kI32, {0x00, 0x1b, 0x0b});              // select on unknowns
  invalid(kI32, {0x0f, 0x1b, 0x0b}, "type mismatch in return");
}

TEST(Validator, BlocksAndMultiValue) {
  // block (type 2: [i32 i32] -> [i32 i32]) consumes two values and yields two.
  valid(functype({}, {I32, I32}), {0x41, 0x01, 0x41, 0x02, 0x02, 0x02, 0x0b, 0x0b});
  valid(kI32, {0x02, 0x7f, 0x41, 0x05, 0x0b, 0x0b});
  invalid(kI32, {0x02, 0x7f, 0x0b, 0x0b}, "type mismatch");
  invalid(kVoid, {0x02, 0x09, 0x0b, 0x0b}, "unknown type");
  // loop labels take the loop's parameters.
  valid(kVoid, {0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b});
  // if without else must have matching parameter and result types.
  invalid(kI32, {0x41, 0x01, 0x04, 0x7f, 0x41, 0x01, 0x0b, 0x0b}, "if without else");
  valid(kI32, {0x41, 0x01, 0x04, 0x7f, 0x41, 0x01, 0x05, 0x41, 0x02, 0x0b, 0x0b});
  invalid(kI32, {0x41, 0x01, 0x04, 0x7f, 0x41, 0x01, 0x05, 0x0b, 0x0b}, "type mismatch");
}

TEST(Validator, Branches) {
  valid(kI32, {0x02, 0x7f, 0x41, 0x01, 0x0c, 0x00, 0x0b, 0x0b});
  invalid(kVoid, {0x0c, 0x01, 0x0b}, "unknown label");
  invalid(kI32, {0x02, 0x7f, 0x0c, 0x00, 0x0b, 0x0b}, "type mismatch in br");
  // br_table with consistent and inconsistent arities.
  valid(kVoid, {0x02, 0x40, 0x41, 0x00, 0x0e, 0x01, 0x00, 0x01, 0x0b, 0x0b});
  invalid(kVoid, {0x02, 0x7f, 0x41, 0x00, 0x41, 0x00, 0x0e, 0x01, 0x00, 0x01, 0x0b, 0x0b},
          "different arities");
  // br_if keeps its values on the stack.
  valid(kI32, {0x02, 0x7f, 0x41, 0x07, 0x41, 0x01, 0x0d, 0x00, 0x0b, 0x0b});
}

TEST(Validator, CallsAndIndirectCalls) {
  valid(kVoid, {0x10, 0x00, 0x0b});
  invalid(kVoid, {0x10, 0x05, 0x0b}, "unknown function");
  valid(kVoid, {0x41, 0x00, 0x11, 0x01, 0x00, 0x0b});
  invalid(kVoid, {0x41, 0x00, 0x11, 0x07, 0x00, 0x0b}, "unknown type");
  invalid(kVoid, {0x41, 0x00, 0x11, 0x01, 0x03, 0x0b}, "unknown table");
}

TEST(Validator, LocalsAndGlobals) {
  valid(functype({I64}, {I64}), {0x20, 0x00, 0x0b});
  valid(kI32, {0x20, 0x00, 0x22, 0x00, 0x0b}, vec({cat({uleb(1), {I32}})}));
  invalid(kVoid, {0x20, 0x00, 0x1a, 0x0b}, "unknown local");
  invalid(kVoid, {0x42, 0x00, 0x21, 0x00, 0x0b}, "type mismatch", vec({cat({uleb(1), {I32}})}));
  valid(kVoid, {0x41, 0x00, 0x24, 0x00, 0x0b});
  invalid(kVoid, {0x41, 0x00, 0x24, 0x01, 0x0b}, "global is immutable");
  invalid(kVoid, {0x23, 0x09, 0x1a, 0x0b}, "unknown global");
}

TEST(Validator, SelectForms) {
  valid(kI32, {0x41, 0x01, 0x41, 0x02, 0x41, 0x00, 0x1b, 0x0b});
  invalid(kI32, {0x41, 0x01, 0x42, 0x02, 0x41, 0x00, 0x1b, 0x0b}, "type mismatch");
  // Untyped select rejects references; typed select accepts them.
  invalid(kVoid, {0xd0, FUNCREF, 0xd0, FUNCREF, 0x41, 0x00, 0x1b, 0x1a, 0x0b}, "numeric or vector");
  valid(kVoid, {0xd0, FUNCREF, 0xd0, FUNCREF, 0x41, 0x00, 0x1c, 0x01, FUNCREF, 0x1a, 0x0b});
  invalid(kVoid, {0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0x1c, 0x02, I32, I32, 0x1a, 0x0b},
          "invalid result arity");
}

TEST(Validator, MemoryInstructions) {
  valid(kI32, {0x41, 0x00, 0x28, 0x02, 0x00, 0x0b});
  invalid(kI32, {0x41, 0x00, 0x28, 0x03, 0x00, 0x0b}, "alignment must not be larger than natural");
  valid(kVoid, {0x41, 0x00, 0x42, 0x00, 0x37, 0x03, 0x08, 0x0b});
  valid(kI32, {0x41, 0x01, 0x40, 0x00, 0x0b});  // memory.grow
  valid(kVoid, {0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x00, 0x00, 0x0b});  // memory.init
  invalid(kVoid, {0xfc, 0x09, 0x01, 0x0b}, "unknown data segment");
  valid(kVoid, {0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0b, 0x00, 0x0b});  // memory.fill
}

TEST(Validator, MemoryInstructionsNeedAMemory) {
  Result<Module> r = decode_and_validate(
      one_function_module(functype({}, {I32}), {0x3f, 0x00, 0x0b}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unknown memory"), std::string::npos);
}

TEST(Validator, TablesAndReferences) {
  valid(kVoid, {0x41, 0x00, 0x25, 0x00, 0x1a, 0x0b});                    // table.get
  valid(kI32, {0xd0, FUNCREF, 0x41, 0x01, 0xfc, 0x0f, 0x00, 0x0b});      // table.grow
  valid(kI32, {0xfc, 0x10, 0x00, 0x0b});                                 // table.size
  invalid(kI32, {0xfc, 0x10, 0x02, 0x0b}, "unknown table");
  valid(kVoid, {0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0c, 0x00, 0x00, 0x0b});  // table.init
  invalid(kVoid, {0xfc, 0x0d, 0x04, 0x0b}, "unknown elem segment");
  invalid(kVoid, {0x41, 0x00, 0xd0, EXTERNREF, 0x26, 0x00, 0x0b}, "expected funcref, got externref");
  valid(kI32, {0xd0, EXTERNREF, 0xd1, 0x0b});  // ref.is_null
  invalid(kI32, {0x41, 0x00, 0xd1, 0x0b}, "expected a reference");
  // ref.func needs a declared reference: function 0 is in the element segment.
  valid(kVoid, {0xd2, 0x00, 0x1a, 0x0b});
}

TEST(Validator, UndeclaredFunctionReference) {
  Result<Module> r = decode_and_validate(
      one_function_module(functype({}, {}), {0xd2, 0x00, 0x1a, 0x0b}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("undeclared function reference"), std::string::npos);
}

TEST(Validator, Simd) {
  const Bytes v128 = functype({}, {V128});
  Bytes konst = {0xfd, 0x0c};
  konst.insert(konst.end(), 16, 0x01);
  valid(v128, cat({konst, {0x0b}}));
  valid(v128, cat({konst, konst, {0xfd, 0xae, 0x01}, {0x0b}}));  // i32x4.add
  valid(kI32, cat({konst, {0xfd, 0x15, 0x0f}, {0x0b}}));          // extract_lane_s 15
  invalid(kI32, cat({konst, {0xfd, 0x15, 0x10}, {0x0b}}), "invalid lane index");
  invalid(kI32, cat({konst, {0xfd, 0x1b, 0x04}, {0x0b}}), "invalid lane index");
  Bytes shuffle = {0xfd, 0x0d};
  shuffle.insert(shuffle.end(), 16, 31);
  valid(v128, cat({konst, konst, shuffle, {0x0b}}));
  shuffle.back() = 32;
  invalid(v128, cat({konst, konst, shuffle, {0x0b}}), "invalid lane index");
  valid(v128, {0x41, 0x00, 0xfd, 0x00, 0x04, 0x00, 0x0b});  // v128.load align 16
  invalid(v128, {0x41, 0x00, 0xfd, 0x00, 0x05, 0x00, 0x0b}, "alignment");
  // v128.load8_lane: memarg then lane < 16.
  valid(v128, cat({{0x41, 0x00}, konst, {0xfd, 0x54, 0x00, 0x00, 0x0f}, {0x0b}}));
  invalid(v128, cat({{0x41, 0x00}, konst, {0xfd, 0x57, 0x03, 0x00, 0x02}, {0x0b}}),
          "invalid lane index");
  invalid(v128, {0x42, 0x00, 0xfd, 0x0f, 0x0b}, "type mismatch in i8x16.splat");
}

TEST(Validator, SaturatingTruncation) {
  valid(kI32, {0x43, 0, 0, 0, 0, 0xfc, 0x00, 0x0b});
  invalid(kI32, {0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0xfc, 0x00, 0x0b}, "expected f32, got f64");
}

}  // namespace
}  // namespace atl::wasm
