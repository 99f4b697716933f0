// Typed function references (WebAssembly 3.0) across modules: function types that refer to other
// types by index are the same type in two modules when their structure is (process-wide ids),
// so imports link and call_ref / call_indirect agree; different structures refuse to link. The
// null checks of call_ref and ref.as_non_null trap with their own codes. Modules are written
// byte by byte (Debian's wabt predates the proposal's final text format); the spec scripts
// (call_ref, return_call_ref, br_on_null, local_init, ...) cover the instructions themselves.
#include <gtest/gtest.h>

#include <vector>

#include "../wasm/builder.h"
#include "atoll/atoll.h"

namespace atl {
namespace {

using test::Bytes;
using test::cat;
using test::section;
using test::str;
using test::uleb;
using test::vec;

constexpr uint8_t kI32 = 0x7f, kI64 = 0x7e;
Bytes ref_null(uint8_t type_index) { return {0x63, type_index}; }

// A function type from whole value types (typed references take two bytes).
Bytes ftype(const std::vector<Bytes>& params, const std::vector<Bytes>& results) {
  Bytes out = cat({{0x60}, uleb(params.size())});
  for (const Bytes& p : params) out.insert(out.end(), p.begin(), p.end());
  Bytes r = uleb(results.size());
  out.insert(out.end(), r.begin(), r.end());
  for (const Bytes& x : results) out.insert(out.end(), x.begin(), x.end());
  return out;
}

Bytes body(const Bytes& code) { return test::func_body(cat({{0x00}, code})); }

// Module A: type 0 = [] -> [i32], type 1 = [(ref null 0)] -> [i32]; exports f: call_ref of its
// argument.
Bytes module_a() {
  return test::module({section(1, vec({ftype({}, {{kI32}}), ftype({ref_null(0)}, {{kI32}})})),
                       section(3, vec({{0x01}})), section(7, vec({cat({str("f"), {0x00, 0x00}})})),
                       section(10, vec({body({0x20, 0x00, 0x14, 0x00, 0x0b})}))});
}

// Module B: the same two types at indices 1 and 2 (after an unrelated one); imports A's f as
// type 2 and calls it with a reference to its own function answering 42.
Bytes module_b() {
  return test::module({section(1, vec({ftype({}, {}), ftype({}, {{kI32}}), ftype({ref_null(1)}, {{kI32}})})),
                       section(2, vec({cat({str("a"), str("f"), {0x00, 0x02}})})),
                       section(3, vec({{0x01}, {0x01}})), section(7, vec({cat({str("run"), {0x00, 0x02}})})),
                       section(9, vec({{0x03, 0x00, 0x01, 0x01}})),
                       section(10, vec({body({0x41, 42, 0x0b}), body({0xd2, 0x01, 0x10, 0x00, 0x0b})}))});
}

// Module C: imports f with a parameter of a reference to [] -> [i64]: a different type.
Bytes module_c() {
  return test::module({section(1, vec({ftype({}, {{kI64}}), ftype({ref_null(0)}, {{kI32}})})),
                       section(2, vec({cat({str("a"), str("f"), {0x00, 0x01}})}))});
}

// Null checks: call_ref of a null typed reference, ref.as_non_null of a null funcref.
Bytes module_nulls() {
  return test::module({section(1, vec({ftype({}, {{kI32}})})), section(3, vec({{0x00}, {0x00}})),
                       section(7, vec({cat({str("call_null"), {0x00, 0x00}}), cat({str("as_non_null"), {0x00, 0x01}})})),
                       section(10, vec({body({0xd0, 0x00, 0x14, 0x00, 0x0b}), body({0xd0, 0x70, 0xd4, 0xd1, 0x0b})}))});
}

TEST(FunctionReferences, StructurallyEqualTypesLinkAcrossModules) {
  for (BoundsChecks bounds : {BoundsChecks::GuardPages, BoundsChecks::Explicit}) {
    Config c;
    c.bounds = bounds;
    Engine engine(c);
    Store store(engine);
    Linker linker(store);
    auto a = compile_module(engine, module_a());
    ASSERT_TRUE(a.ok()) << a.error().to_string();
    auto ia = linker.instantiate(*a);
    ASSERT_TRUE(ia.ok()) << ia.error().to_string();
    linker.define_instance("a", *ia);
    auto b = compile_module(engine, module_b());
    ASSERT_TRUE(b.ok()) << b.error().to_string();
    auto ib = linker.instantiate(*b);
    ASSERT_TRUE(ib.ok()) << ib.error().to_string();
    auto run = ib->func<int32_t()>("run");
    ASSERT_TRUE(run.ok());
    auto r = (*run)();
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(*r, 42);

    auto cm = compile_module(engine, module_c());
    ASSERT_TRUE(cm.ok()) << cm.error().to_string();
    auto ic = linker.instantiate(*cm);
    ASSERT_FALSE(ic.ok());
    EXPECT_EQ(ic.error().kind, ErrorKind::Link) << ic.error().to_string();
  }
}

// Recursion groups (iso-recursive types): two types that refer to each other are one group, the
// same in every module that writes the same group; the same types in another order, or a type
// that differs only in being final, are different types.
//   A: rec { 0 = [(ref null 1)] -> [i32], 1 = [(ref null 0)] -> [] }, exports f of type 0;
//   B: the same group and [] -> [i32]; imports f as type 0 and calls it with null;
//   C: rec { 0 = [(ref null 1)] -> [], 1 = [(ref null 0)] -> [i32] }: imports f as type 1;
//   D: `sub` (not final) [(ref null 1)] ... as A's group otherwise: imports f as type 0.
Bytes rec_group(bool swapped, bool final) {
  Bytes first = ftype({ref_null(1)}, {{kI32}}), second = ftype({ref_null(0)}, {});
  if (swapped) {
    first = ftype({ref_null(1)}, {});
    second = ftype({ref_null(0)}, {{kI32}});
  }
  if (!final) first = cat({{0x50, 0x00}, first});
  return cat({{0x4e, 0x02}, first, second});
}

TEST(FunctionReferences, RecursionGroupsAreOneTypeAcrossModules) {
  Engine engine;
  Store store(engine);
  Linker linker(store);
  auto a = compile_module(engine, test::module({section(1, vec({rec_group(false, true)})), section(3, vec({{0x00}})),
                                                section(7, vec({cat({str("f"), {0x00, 0x00}})})),
                                                section(10, vec({body({0x41, 7, 0x0b})}))}));
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  auto ia = linker.instantiate(*a);
  ASSERT_TRUE(ia.ok()) << ia.error().to_string();
  linker.define_instance("a", *ia);
  auto b = compile_module(engine, test::module({section(1, vec({rec_group(false, true), ftype({}, {{kI32}})})),
                                                section(2, vec({cat({str("a"), str("f"), {0x00, 0x00}})})),
                                                section(3, vec({{0x02}})), section(7, vec({cat({str("run"), {0x00, 0x01}})})),
                                                section(10, vec({body({0xd0, 0x01, 0x10, 0x00, 0x0b})}))}));
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  auto ib = linker.instantiate(*b);
  ASSERT_TRUE(ib.ok()) << ib.error().to_string();
  auto r = (*ib->func<int32_t()>("run"))();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 7);

  for (const auto& [group, index] : {std::pair{rec_group(true, true), uint8_t{1}}, std::pair{rec_group(false, false), uint8_t{0}}}) {
    auto m = compile_module(engine, test::module({section(1, vec({group})),
                                                  section(2, vec({cat({str("a"), str("f"), {0x00, index}})}))}));
    ASSERT_TRUE(m.ok()) << m.error().to_string();
    auto i = linker.instantiate(*m);
    ASSERT_FALSE(i.ok());
    EXPECT_EQ(i.error().kind, ErrorKind::Link) << i.error().to_string();
  }

  // Forward references only within a group; GC's declared supertypes and struct types refused.
  EXPECT_FALSE(compile_module(engine, test::module({section(1, vec({ftype({ref_null(1)}, {}), ftype({}, {})}))})).ok());
  auto supers = compile_module(engine, test::module({section(1, vec({ftype({}, {}), cat({{0x50, 0x01, 0x00}, ftype({}, {})})}))}));
  ASSERT_FALSE(supers.ok());
  EXPECT_NE(supers.error().to_string().find("GC proposal"), std::string::npos) << supers.error().to_string();
  auto cut = compile_module(engine, test::module({section(1, vec({{0x4e, 0x03, 0x60, 0x00, 0x00, 0x5f, 0x00}}))}));
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().to_string().find("struct types"), std::string::npos) << cut.error().to_string();
}

TEST(FunctionReferences, NullChecksTrap) {
  Engine engine;
  Store store(engine);
  Linker linker(store);
  auto m = compile_module(engine, module_nulls());
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  auto inst = linker.instantiate(*m);
  ASSERT_TRUE(inst.ok());
  auto call_null = (*inst->func<int32_t()>("call_null"))();
  ASSERT_FALSE(call_null.ok());
  EXPECT_EQ(call_null.error().trap(), TrapCode::NullFunctionReference) << call_null.error().to_string();
  EXPECT_NE(call_null.error().message.find("null function reference"), std::string::npos);
  auto as_non_null = (*inst->func<int32_t()>("as_non_null"))();
  ASSERT_FALSE(as_non_null.ok());
  EXPECT_EQ(as_non_null.error().trap(), TrapCode::NullReference) << as_non_null.error().to_string();
}

// A mutable global of type (ref null 0) (exported as "g"): code calls what it holds without a
// type check, so the host (whose values are plain funcrefs) may not store into it.
TEST(FunctionReferences, TheHostCannotStoreIntoTypedGlobals) {
  const Bytes m = test::module({section(1, vec({ftype({}, {{kI32}})})),
                                section(6, vec({cat({ref_null(0), {0x01, 0xd0, 0x00, 0x0b}})})),
                                section(7, vec({cat({str("g"), {0x03, 0x00}})}))});
  Engine engine;
  Store store(engine);
  Linker linker(store);
  auto mod = compile_module(engine, m);
  ASSERT_TRUE(mod.ok()) << mod.error().to_string();
  auto inst = linker.instantiate(*mod);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  auto g = inst->global("g");
  ASSERT_TRUE(g.ok()) << g.error().to_string();
  Val null_ref;
  null_ref.type = ValType::FuncRef;
  auto set = g->set(null_ref);
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.error().message.find("cannot be set by the host"), std::string::npos) << set.error().message;
}

TEST(FunctionReferences, OffMeansTheWebAssembly2Encoding) {
  Config c;
  c.features.function_references = false;
  Engine engine(c);
  auto a = compile_module(engine, module_a());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().kind, ErrorKind::Malformed) << a.error().to_string();
}

}  // namespace
}  // namespace atl
