#include "wasm/decoder.h"

#include <gtest/gtest.h>

#include "builder.h"

namespace atl::wasm {
namespace {

using namespace atl::test;

Error expect_error(const Bytes& bytes, ErrorKind kind, const std::string& text, const WasmFeatures& f = {}) {
  Result<Module> r = decode_and_validate(bytes, f);
  EXPECT_FALSE(r.ok()) << "expected an error containing \"" << text << "\"";
  if (r.ok()) return {};
  EXPECT_EQ(r.error().kind, kind) << r.error().to_string();
  EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().to_string();
  return r.error();
}

Module expect_valid(const Bytes& bytes, const WasmFeatures& f = {}) {
  Result<Module> r = decode_and_validate(bytes, f);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? std::move(r).value() : Module{};
}

TEST(Decoder, EmptyModule) {
  Module m = expect_valid(header());
  EXPECT_TRUE(m.sections.empty());
}

TEST(Decoder, Header) {
  expect_error({}, ErrorKind::Malformed, "magic header not detected");
  expect_error({0x00, 0x61, 0x73}, ErrorKind::Malformed, "magic header not detected");
  expect_error({0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0}, ErrorKind::Malformed, "magic header");
  expect_error({0x00, 0x61, 0x73, 0x6d, 1, 0}, ErrorKind::Malformed, "unexpected end");
  Error e = expect_error({0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0}, ErrorKind::Malformed,
                         "unknown binary version");
  EXPECT_EQ(e.offset, 4u);
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

TEST(Decoder, TextFormatIsNamedWithAHint) {
  for (const char* wat : {"(module)", "  \n(module (func))", ";; a comment\n(module)", "(; block ;) (module)",
                          "\xef\xbb\xbf(module)", "( module )", "(component)"}) {
    expect_error(text(wat), ErrorKind::Malformed, "magic header not detected: this is WebAssembly text (.wat)");
    expect_error(text(wat), ErrorKind::Malformed, "wat2wasm");
  }
  for (const char* other : {"not wasm", "(", "(1", ";; only a comment", "{\"json\": 1}"}) {
    Error e = expect_error(text(other), ErrorKind::Malformed, "magic header not detected");
    EXPECT_EQ(e.message.find("text"), std::string::npos) << other;
  }
}

TEST(Decoder, SectionOrderAndDuplicates) {
  expect_error(module({section(3, vec({})), section(1, vec({}))}), ErrorKind::Malformed,
               "out of order");
  expect_error(module({section(1, vec({})), section(1, vec({}))}), ErrorKind::Malformed,
               "repeated");
  // Data count goes between element and code.
  expect_valid(module({section(9, vec({})), section(12, uleb(0)), section(10, vec({}))}));
  expect_error(module({section(10, vec({})), section(12, uleb(0))}), ErrorKind::Malformed,
               "out of order");
  expect_error(module({section(14, {})}), ErrorKind::Malformed, "malformed section id 14");
  // Tags (13) go between memory and global; without exception handling there is no section 13.
  expect_valid(module({section(5, vec({})), section(13, vec({})), section(6, vec({}))}));
  expect_error(module({section(6, vec({})), section(13, vec({}))}), ErrorKind::Malformed, "out of order");
  expect_error(module({section(13, vec({}))}), ErrorKind::Malformed, "malformed section id 13", WasmFeatures::wasm2());
}

TEST(Decoder, SectionSizes) {
  // Declared size larger than the file.
  expect_error(cat({header(), {0x01, 0x05, 0x00}}), ErrorKind::Malformed, "length out of bounds");
  // Contents shorter than the declared size.
  expect_error(module({section(1, {0x00, 0x00})}), ErrorKind::Malformed, "section size mismatch");
  // Contents longer than the declared size.
  expect_error(module({section(1, {0x01})}), ErrorKind::Malformed, "length out of bounds");
}

TEST(Decoder, TypesAndFunctions) {
  Module m = expect_valid(one_function_module(functype({I32, I64}, {F32}),
                                              {0x43, 0, 0, 0, 0, 0x0b}));
  ASSERT_EQ(m.types.size(), 1u);
  EXPECT_EQ(functype_to_string(m.types[0]), "[i32 i64] -> [f32]");
  ASSERT_EQ(m.bodies.size(), 1u);
  EXPECT_EQ(m.func_types[0], 0u);
  expect_error(module({section(1, vec({{0x61, 0, 0}}))}), ErrorKind::Malformed,
               "malformed function type");
  expect_error(module({section(1, vec({functype({0x7a}, {})}))}), ErrorKind::Malformed,
               "malformed value type");
  expect_error(module({section(1, vec({functype({}, {})})), section(3, vec({{0x05}})),
                       section(10, vec({func_body({0x00, 0x0b})}))}),
               ErrorKind::Invalid, "unknown type 5");
}

TEST(Decoder, FunctionAndCodeCountsMustAgree) {
  expect_error(module({section(1, vec({functype({}, {})})), section(3, vec({{0x00}}))}),
               ErrorKind::Malformed, "inconsistent lengths");
  expect_error(module({section(1, vec({functype({}, {})})), section(3, vec({{0x00}})),
                       section(10, vec({}))}),
               ErrorKind::Malformed, "inconsistent lengths");
}

TEST(Decoder, ImportsAndExports) {
  const Bytes types = section(1, vec({functype({I32}, {})}));
  const Bytes imports = section(2, vec({cat({str("env"), str("f"), {0x00}, uleb(0)}),
                                        cat({str("env"), str("m"), {0x02, 0x01}, uleb(1), uleb(2)}),
                                        cat({str("env"), str("g"), {0x03, I64, 0x01}}),
                                        cat({str("env"), str("t"), {0x01, FUNCREF, 0x00}, uleb(3)})}));
  const Bytes exports = section(7, vec({cat({str("f"), {0x00}, uleb(0)}),
                                        cat({str("m"), {0x02}, uleb(0)})}));
  Module m = expect_valid(module({types, imports, exports}));
  ASSERT_EQ(m.imports.size(), 4u);
  EXPECT_EQ(m.num_imported_funcs, 1u);
  EXPECT_EQ(m.memories[0].limits.min, 1u);
  EXPECT_EQ(*m.memories[0].limits.max, 2u);
  EXPECT_TRUE(m.globals[0].is_mutable);
  EXPECT_EQ(m.tables[0].limits.min, 3u);
  EXPECT_EQ(m.exports[1].kind, ExternKind::Memory);

  expect_error(module({types, section(2, vec({cat({str("a"), str("b"), {0x05}})}))}),
               ErrorKind::Malformed, "malformed import kind");
  // Kind 4 is a tag (exception handling); without the proposal it is malformed too.
  expect_error(module({types, section(2, vec({cat({str("a"), str("b"), {0x04}})}))}),
               ErrorKind::Malformed, "malformed import kind", WasmFeatures::wasm2());
  expect_error(module({types, section(7, vec({cat({str("x"), {0x00}, uleb(0)})}))}),
               ErrorKind::Invalid, "unknown function 0");
  expect_error(module({types, imports,
                       section(7, vec({cat({str("x"), {0x00}, uleb(0)}),
                                       cat({str("x"), {0x02}, uleb(0)})}))}),
               ErrorKind::Invalid, "duplicate export name \"x\"");
  expect_error(module({section(2, vec({cat({str("env"), str("g"), {0x03, I32, 0x02}})}))}),
               ErrorKind::Malformed, "malformed mutability");
}

TEST(Decoder, NamesMustBeUtf8) {
  Bytes bad_name = {0x01, 0xff};
  expect_error(module({section(2, vec({cat({bad_name, str("b"), {0x03, I32, 0x00}})}))}),
               ErrorKind::Malformed, "malformed UTF-8 encoding");
  expect_error(module({section(0, cat({{0x02, 0xc0, 0x80}}))}), ErrorKind::Malformed,
               "malformed UTF-8 encoding");
}

TEST(Decoder, MemoryLimits) {
  auto mem = [](Bytes limits) { return module({section(5, vec({limits}))}); };
  expect_valid(mem(cat({{0x01}, uleb(0), uleb(65536)})));
  expect_error(mem(cat({{0x00}, uleb(65537)})), ErrorKind::Invalid, "at most 65536 pages");
  expect_error(mem(cat({{0x01}, uleb(2), uleb(1)})), ErrorKind::Invalid,
               "minimum must not be greater than maximum");
  expect_error(mem({0x02, 0x00}), ErrorKind::Malformed, "malformed limits flags");
  expect_error(module({section(5, vec({{0x00, 0x01}, {0x00, 0x01}}))}), ErrorKind::Invalid,
               "multiple memories", WasmFeatures::wasm2());
  // WebAssembly 3.0: any number of memories; limits flags 4 and 5 are 64-bit memories, with
  // u64 bounds up to 2^48 pages; a 32-bit memory's bounds are u64 too, still at most 65536.
  Module two = expect_valid(module({section(5, vec({{0x00, 0x01}, {0x04, 0x02}}))}));
  ASSERT_EQ(two.memories.size(), 2u);
  EXPECT_FALSE(two.memories[0].is64);
  EXPECT_TRUE(two.memories[1].is64);
  EXPECT_EQ(two.memories[1].limits.min, 2u);
  expect_valid(mem(cat({{0x05}, uleb(0), uleb(uint64_t{1} << 48)})));
  expect_error(mem(cat({{0x05}, uleb(0), uleb((uint64_t{1} << 48) + 1)})), ErrorKind::Invalid, "at most 2^48 pages");
  expect_error(mem(cat({{0x00}, uleb(uint64_t{1} << 32)})), ErrorKind::Invalid, "at most 65536 pages");
  expect_error(mem(cat({{0x00}, uleb(uint64_t{1} << 32)})), ErrorKind::Malformed, "integer", WasmFeatures::wasm2());
  expect_error(mem({0x04, 0x00}), ErrorKind::Malformed, "malformed limits flags", WasmFeatures::wasm2());
  expect_error(mem({0x06, 0x00}), ErrorKind::Malformed, "malformed limits flags");  // shared: threads
  expect_error(mem({0x08, 0x00}), ErrorKind::Malformed, "malformed limits flags");
}

TEST(Decoder, MemoryImmediatesNameMemories) {
  const Bytes t = functype({}, {});
  const Bytes two = section(5, vec({{0x00, 0x01}, {0x04, 0x01}}));
  // memory.size 1 of a 64-bit memory is an i64; i32.load with flag bit 6: align 2, memory 1,
  // whose address is an i64.
  expect_valid(one_function_module(t, {0x3f, 0x01, 0x1a, 0x0b}, {0x00}, two));
  expect_valid(one_function_module(t, {0x42, 0x00, 0x28, 0x42, 0x01, 0x00, 0x1a, 0x0b}, {0x00}, two));
  expect_error(one_function_module(t, {0x41, 0x00, 0x28, 0x42, 0x01, 0x00, 0x1a, 0x0b}, {0x00}, two),
               ErrorKind::Invalid, "type mismatch");
  expect_error(one_function_module(t, {0x3f, 0x02, 0x1a, 0x0b}, {0x00}, two), ErrorKind::Invalid, "unknown memory");
  // Flags of 128 and more are no memarg at all.
  expect_error(one_function_module(t, {0x41, 0x00, 0x28, 0x80, 0x01, 0x00, 0x1a, 0x0b}, {0x00}, two),
               ErrorKind::Malformed, "malformed memop flags");
  // A 32-bit memory's offsets stay below 2^32 (u64 in the encoding).
  expect_error(one_function_module(t, cat({{0x41, 0x00, 0x28, 0x02}, uleb(uint64_t{1} << 32), {0x1a, 0x0b}}), {0x00}, two),
               ErrorKind::Invalid, "offset out of range");
  expect_valid(one_function_module(t, cat({{0x42, 0x00, 0x28, 0x42, 0x01}, uleb(uint64_t{1} << 40), {0x1a, 0x0b}}), {0x00}, two));
  // memory.copy between a 64-bit and a 32-bit memory: the length is an i32.
  expect_valid(one_function_module(t, {0x42, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0a, 0x01, 0x00, 0x0b}, {0x00}, two));
  expect_error(one_function_module(t, {0x42, 0x00, 0x41, 0x00, 0x42, 0x00, 0xfc, 0x0a, 0x01, 0x00, 0x0b}, {0x00}, two),
               ErrorKind::Invalid, "type mismatch");
}

TEST(Decoder, GlobalsAndConstantExpressions) {
  Module m = expect_valid(module({section(6, vec({cat({{I32, 0x00, 0x41}, sleb(-5), {0x0b}}),
                                                  cat({{F64, 0x01, 0x44}, Bytes(8, 0), {0x0b}})}))}));
  ASSERT_EQ(m.global_inits.size(), 2u);
  EXPECT_EQ(static_cast<int32_t>(m.global_inits[0].bits), -5);
  EXPECT_EQ(m.global_inits[1].kind, ConstExpr::Kind::F64);
  // Wrong type, non-constant instruction, too many values, a global not yet defined.
  expect_error(module({section(6, vec({{I64, 0x00, 0x41, 0x00, 0x0b}}))}), ErrorKind::Invalid,
               "type mismatch");
  expect_error(module({section(6, vec({{I32, 0x00, 0x41, 0x00, 0x41, 0x00, 0x6b, 0x6a, 0x0b}}))}),
               ErrorKind::Invalid, "needs two i32 operands");
  expect_error(module({section(6, vec({{I32, 0x00, 0x41, 0x00, 0x41, 0x00, 0x6d, 0x0b}}))}),
               ErrorKind::Invalid, "constant expression required: i32.div_s");
  expect_error(module({section(6, vec({{I32, 0x00, 0x41, 0x00, 0x41, 0x00, 0x0b}}))}),
               ErrorKind::Invalid, "exactly one value");
  expect_error(module({section(6, vec({{I32, 0x00, 0x23, 0x00, 0x0b}}))}), ErrorKind::Invalid, "unknown global 0");
  expect_error(module({section(6, vec({{I32, 0x00, 0x23, 0x01, 0x0b}, {I32, 0x00, 0x41, 0x00, 0x0b}}))}),
               ErrorKind::Invalid, "unknown global 1");
  // An imported mutable global is not constant.
  expect_error(module({section(2, vec({cat({str("m"), str("g"), {0x03, I32, 0x01}})})),
                       section(6, vec({{I32, 0x00, 0x23, 0x00, 0x0b}}))}),
               ErrorKind::Invalid, "mutable global");
}

// Extended constants (on by default): i32/i64 add, sub, mul, and global.get of earlier globals.
// Sequences of constants fold to one; a global.get keeps the sequence for instantiation.
TEST(Decoder, ExtendedConstantExpressions) {
  const Bytes add = {I32, 0x00, 0x41, 0x07, 0x41, 0x05, 0x6b, 0x41, 0x03, 0x6c, 0x0b};  // (7 - 5) * 3
  Module m = expect_valid(module({section(6, vec({add}))}));
  ASSERT_EQ(m.global_inits.size(), 1u);
  EXPECT_EQ(m.global_inits[0].kind, ConstExpr::Kind::I32);
  EXPECT_EQ(m.global_inits[0].bits, 6u);
  // i32 arithmetic wraps: 0x7fffffff + 1.
  Module wrap = expect_valid(module({section(6, vec({cat({{I32, 0x00, 0x41}, sleb(0x7fffffff), {0x41, 0x01, 0x6a, 0x0b}})}))}));
  EXPECT_EQ(static_cast<int32_t>(wrap.global_inits[0].bits), INT32_MIN);
  Module wide = expect_valid(module({section(6, vec({cat({{I64, 0x00, 0x42}, sleb(-3), {0x42, 0x04, 0x7e, 0x0b}})}))}));
  EXPECT_EQ(wide.global_inits[0].kind, ConstExpr::Kind::I64);
  EXPECT_EQ(static_cast<int64_t>(wide.global_inits[0].bits), -12);
  // global 1 = global 0 + 1: a sequence, read at instantiation.
  Module seq = expect_valid(module({section(6, vec({{I32, 0x00, 0x41, 0x02, 0x0b}, {I32, 0x00, 0x23, 0x00, 0x41, 0x01, 0x6a, 0x0b}}))}));
  ASSERT_EQ(seq.global_inits.size(), 2u);
  ASSERT_EQ(seq.global_inits[1].kind, ConstExpr::Kind::Sequence);
  EXPECT_EQ(seq.global_inits[1].ops.size(), 3u);
  // Operands must be of the operator's type.
  expect_error(module({section(6, vec({{I64, 0x00, 0x41, 0x01, 0x42, 0x01, 0x7c, 0x0b}}))}), ErrorKind::Invalid,
               "needs two i64 operands");
  // A defined mutable global is still not constant.
  expect_error(module({section(6, vec({{I32, 0x01, 0x41, 0x02, 0x0b}, {I32, 0x00, 0x23, 0x00, 0x0b}}))}),
               ErrorKind::Invalid, "mutable global");
  // Element and data offsets too.
  Module data = expect_valid(module({section(5, vec({{0x00, 0x01}})),
                                     section(6, vec({{I32, 0x00, 0x41, 0x10, 0x0b}})),
                                     section(11, vec({{0x00, 0x23, 0x00, 0x41, 0x04, 0x6a, 0x0b, 0x01, 0xaa}}))}));
  ASSERT_EQ(data.datas.size(), 1u);
  EXPECT_EQ(data.datas[0].offset.kind, ConstExpr::Kind::Sequence);
}

// With extended constants off, the 2.0 rules: one instruction, and only imported globals.
TEST(Decoder, WebAssembly2ConstantExpressions) {
  const WasmFeatures wasm2 = WasmFeatures::wasm2();
  const Bytes add = module({section(6, vec({{I32, 0x00, 0x41, 0x00, 0x41, 0x00, 0x6a, 0x0b}}))});
  expect_error(add, ErrorKind::Invalid, "constant expression required: i32.add", wasm2);
  expect_valid(add);
  const Bytes defined = module({section(6, vec({{I32, 0x00, 0x41, 0x00, 0x0b}, {I32, 0x00, 0x23, 0x00, 0x0b}}))});
  expect_error(defined, ErrorKind::Invalid, "unknown global 0", wasm2);
  expect_valid(defined);
  expect_valid(module({section(2, vec({cat({str("m"), str("g"), {0x03, I32, 0x00}})})),
                       section(6, vec({{I32, 0x00, 0x23, 0x00, 0x0b}}))}),
               wasm2);
  EXPECT_EQ(WasmFeatures::from_bits(wasm2.bits()), wasm2);
  EXPECT_EQ(WasmFeatures::from_bits(WasmFeatures{}.bits()), WasmFeatures{});
}

TEST(Decoder, ElementSegmentsAllFlags) {
  const Bytes types = section(1, vec({functype({}, {})}));
  const Bytes funcs = section(3, vec({{0x00}}));
  const Bytes table = section(4, vec({{FUNCREF, 0x00, 0x01}}));
  const Bytes code = section(10, vec({func_body({0x00, 0x0b})}));
  const Bytes offset = {0x41, 0x00, 0x0b};
  const Bytes elems = section(9, vec({
      cat({{0x00}, offset, vec({{0x00}})}),                     // active, table 0, funcidx
      cat({{0x01, 0x00}, vec({{0x00}})}),                       // passive, elemkind
      cat({{0x02, 0x00}, offset, {0x00}, vec({{0x00}})}),       // active, explicit table
      cat({{0x03, 0x00}, vec({{0x00}})}),                       // declarative
      cat({{0x04}, offset, vec({{0xd2, 0x00, 0x0b}})}),         // active, exprs
      cat({{0x05, FUNCREF}, vec({{0xd0, FUNCREF, 0x0b}})}),     // passive, exprs
      cat({{0x06, 0x00}, offset, {FUNCREF}, vec({{0xd2, 0x00, 0x0b}})}),
      cat({{0x07, FUNCREF}, vec({{0xd2, 0x00, 0x0b}})}),
  }));
  Module m = expect_valid(module({types, funcs, table, elems, code}));
  ASSERT_EQ(m.elems.size(), 8u);
  EXPECT_EQ(m.elems[1].mode, SegmentMode::Passive);
  EXPECT_EQ(m.elems[3].mode, SegmentMode::Declarative);
  EXPECT_EQ(m.elems[5].items[0].kind, ConstExpr::Kind::RefNull);
  expect_error(module({types, funcs, table, section(9, vec({{0x08}})), code}),
               ErrorKind::Malformed, "malformed elements segment kind");
  expect_error(module({types, funcs, table,
                       section(9, vec({cat({{0x05, EXTERNREF}, vec({{0xd2, 0x00, 0x0b}})})})), code}),
               ErrorKind::Invalid, "type mismatch");
  expect_error(module({types, funcs, section(9, vec({cat({{0x00}, offset, vec({{0x00}})})})), code}),
               ErrorKind::Invalid, "unknown table 0");
}

TEST(Decoder, DataSegmentsAndDataCount) {
  const Bytes mem = section(5, vec({{0x00, 0x01}}));
  Module m = expect_valid(module({mem, section(11, vec({cat({{0x00, 0x41, 0x08, 0x0b}, str("hi")}),
                                                        cat({{0x01}, str("xyz")})}))}));
  ASSERT_EQ(m.datas.size(), 2u);
  EXPECT_EQ(m.datas[0].size, 2u);
  EXPECT_EQ(m.bytes[m.datas[1].data_offset], 'x');
  EXPECT_EQ(m.datas[1].mode, SegmentMode::Passive);
  expect_error(module({mem, section(12, uleb(2)), section(11, vec({cat({{0x01}, str("a")})}))}),
               ErrorKind::Malformed, "data count and data section have inconsistent lengths");
  expect_error(module({section(11, vec({cat({{0x00, 0x41, 0x00, 0x0b}, str("a")})}))}),
               ErrorKind::Invalid, "unknown memory 0");
  expect_error(module({mem, section(11, vec({{0x03}}))}), ErrorKind::Malformed,
               "malformed data segment kind");
}

TEST(Decoder, DataCountRequiredForDataInstructions) {
  // data.drop 0 with a data segment but no data count section: malformed.
  const Bytes body = func_body({0x00, 0xfc, 0x09, 0x00, 0x0b});
  expect_error(module({section(1, vec({functype({}, {})})), section(3, vec({{0x00}})),
                       section(5, vec({{0x00, 0x01}})), section(10, vec({body})),
                       section(11, vec({cat({{0x01}, str("a")})}))}),
               ErrorKind::Malformed, "data count section required");
}

TEST(Decoder, StartFunction) {
  const Bytes types = section(1, vec({functype({}, {}), functype({I32}, {})}));
  const Bytes code = section(10, vec({func_body({0x00, 0x0b}), func_body({0x00, 0x0b})}));
  Module m = expect_valid(module({types, section(3, vec({{0x00}, {0x01}})), section(8, uleb(0)), code}));
  EXPECT_EQ(*m.start, 0u);
  expect_error(module({types, section(3, vec({{0x00}, {0x01}})), section(8, uleb(1)), code}),
               ErrorKind::Invalid, "start function must have type [] -> []");
  expect_error(module({types, section(8, uleb(3))}), ErrorKind::Invalid, "unknown function 3");
}

TEST(Decoder, NameSection) {
  const Bytes names = section(
      0, cat({str("name"), section(0, str("mod")),
              section(1, vec({cat({uleb(0), str("add")})})),
              section(2, vec({cat({uleb(0), vec({cat({uleb(0), str("lhs")})})})}))}));
  Bytes bytes = one_function_module(functype({I32}, {}), {0x0b});
  bytes.insert(bytes.end(), names.begin(), names.end());
  Module m = expect_valid(bytes);
  EXPECT_EQ(*m.names.module, "mod");
  EXPECT_EQ(m.func_name(0), "add");
  EXPECT_EQ(m.names.locals[0][0], "lhs");
  // A broken name section is ignored, not fatal.
  Bytes broken = one_function_module(functype({}, {}), {0x0b});
  const Bytes bad = section(0, cat({str("name"), {0x01, 0x09, 0x01}}));
  broken.insert(broken.end(), bad.begin(), bad.end());
  Module m2 = expect_valid(broken);
  EXPECT_TRUE(m2.names.functions.empty());
}

TEST(Decoder, FunctionBodyStructure) {
  const Bytes t = functype({}, {});
  expect_error(one_function_module(t, {0x01}), ErrorKind::Malformed, "END opcode expected");
  expect_error(one_function_module(t, {0x0b, 0x01}), ErrorKind::Malformed,
               "bytes after the function's final end");
  expect_error(one_function_module(t, {0x05, 0x0b}), ErrorKind::Malformed, "else without");
  expect_error(one_function_module(t, {0xff, 0x0b}), ErrorKind::Malformed, "illegal opcode");
  expect_error(one_function_module(t, {0xfd, 0x9a, 0x01, 0x0b}), ErrorKind::Malformed,
               "illegal opcode");
  expect_error(one_function_module(t, {0x3f, 0x01, 0x1a, 0x0b}, {0x00},
                                   section(5, vec({{0x00, 0x01}}))),
               ErrorKind::Malformed, "zero byte expected", WasmFeatures::wasm2());
  expect_error(one_function_module(t, {0x0b}, cat({vec({cat({uleb(0xffffffff), {I32}}),
                                                         cat({uleb(2), {I32}})})})),
               ErrorKind::Malformed, "too many locals");
  expect_error(one_function_module(t, {0x0b}, cat({vec({cat({uleb(60000), {I32}})})})),
               ErrorKind::Invalid, "too many locals");
}

TEST(Decoder, MalformedTakesPrecedenceOverInvalid) {
  // Function 0 is invalid (i32.add on an empty stack) and the data section is truncated.
  Bytes bytes = module({section(1, vec({functype({}, {})})), section(3, vec({{0x00}})),
                        section(10, vec({func_body({0x00, 0x6a, 0x0b})}))});
  bytes.insert(bytes.end(), {0x0b, 0x05, 0x01, 0x01});
  expect_error(bytes, ErrorKind::Malformed, "length out of bounds");
}

TEST(Decoder, ErrorsNameFunctionAndOffset) {
  const Bytes bytes = one_function_module(functype({}, {}), {0x41, 0x00, 0x0b});
  Result<Module> r = decode_and_validate(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().func, 0u);
  // The offending `end` is the last byte of the module.
  EXPECT_EQ(r.error().offset, bytes.size() - 1);
  EXPECT_EQ(r.error().to_string(),
            "invalid module: function 0 at offset 0x" +
                [&] { char b[16]; std::snprintf(b, sizeof b, "%zx", bytes.size() - 1); return std::string(b); }() +
                ": type mismatch in end: values remaining on the stack at the end of a block");
}

TEST(Decoder, LenientDecodeKeepsInvalidModule) {
  DecodeOutcome out = decode_module(one_function_module(functype({}, {I32}), {0x0b}));
  EXPECT_FALSE(out.malformed);
  ASSERT_TRUE(out.invalid);
  EXPECT_EQ(out.module.bodies.size(), 1u);
}

}  // namespace
}  // namespace atl::wasm
