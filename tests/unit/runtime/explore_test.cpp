// `atoll explore`'s model and page: the listing covers every byte of each function's code, the
// links name only offsets the wasm side lists, inlining shows as two frames, call targets are
// named, and names from the module cannot inject markup. (tests/cli/explore_test.sh checks the
// page in Chromium.)
#include "explore/explore.h"

#include <gtest/gtest.h>

#include <set>

#include "../wat.h"
#include "atoll/atoll.h"
#include "compiler/disassemble.h"
#include "wasm/decoder.h"

namespace atl::explore {
namespace {

const char* kGuest = R"(
(module
  (func $square (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func $cube (export "cube") (param i32) (result i32)
    (i32.mul (call $square (local.get 0)) (local.get 0)))
  (func $</script><script>x=1</script> (export "rec") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (call $</script><script>x=1</script> (i32.sub (local.get 0) (i32.const 1))))
      (else (i32.const 0)))))
)";

Result<std::vector<Disassembled>> llvm_disassemble(std::span<const uint8_t> code, uint64_t address) {
  std::vector<Disassembled> out;
  auto r = compiler::disassemble(code, address, [&](uint64_t at, uint32_t n, const std::string& text) {
    out.push_back({at, n, text});
  });
  if (!r.ok()) return r.take_error();
  return out;
}

struct Explored {
  Module module;
  wasm::Module wasm;
  Exploration e;
};

Explored explore_guest(int opt_level) {
  auto bytes = test::wat(kGuest);
  EXPECT_FALSE(bytes.empty());
  Config c;
  c.opt_level = opt_level;
  Engine engine(c);
  auto m = compile_module(engine, bytes);
  EXPECT_TRUE(m.ok()) << m.error().to_string();
  auto w = wasm::decode_and_validate(bytes);
  EXPECT_TRUE(w.ok());
  auto e = explore(*w, *m->impl(), llvm_disassemble);
  EXPECT_TRUE(e.ok()) << e.error().to_string();
  return {std::move(*m), std::move(*w), std::move(*e)};
}

TEST(Disassemble, DecodesAndResolvesBranchTargets) {
  const uint8_t code[] = {0x55, 0x48, 0x89, 0xe5, 0xe8, 0x00, 0x00, 0x00, 0x00, 0xc3, 0x06};
  auto r = llvm_disassemble(code, 0x100);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[0].text, "push rbp");
  EXPECT_EQ((*r)[1].text, "mov rbp, rsp");
  EXPECT_EQ((*r)[2].text, "call 0x109");  // rel32 counts from the next instruction
  EXPECT_EQ((*r)[2].address, 0x104u);
  EXPECT_EQ((*r)[2].size, 5u);
  EXPECT_EQ((*r)[3].text, "ret");
  EXPECT_EQ((*r)[4].text, "(bad)");  // 0x06 (push es) does not exist in 64-bit mode
}

TEST(Explore, ListingCoversEveryByteOfEveryFunction) {
  Explored x = explore_guest(2);
  ASSERT_EQ(x.e.functions.size(), 3u);
  for (const FunctionView& f : x.e.functions) {
    SCOPED_TRACE(f.index);
    ASSERT_FALSE(f.native.empty());
    ASSERT_GE(f.wasm.size(), 2u);  // the entry line and at least `end`
    // The function's body: func_code may be its wrapper in the wasm convention (call_entries.cpp).
    const runtime::LoadedModule::FuncRange* range = nullptr;
    for (const auto& r : x.module.impl()->func_ranges) {
      if (r.index == f.index && !r.wrapper) range = &r;
    }
    ASSERT_NE(range, nullptr);
    const uint64_t start = range->start - x.module.impl()->code->code_start();
    EXPECT_EQ(f.native.front().address, start);
    uint64_t next = start;
    for (const NativeLine& n : f.native) {
      EXPECT_EQ(n.address, next);
      EXPECT_NE(n.text, "(bad)");
      EXPECT_FALSE(n.text.empty());
      next += n.bytes.size() / 2;
    }
    EXPECT_EQ(next, start + f.code_size);
  }
}

TEST(Explore, LinksNameOnlyListedOffsetsAndShowInlining) {
  Explored x = explore_guest(2);
  std::set<uint64_t> listed;
  for (const FunctionView& f : x.e.functions) {
    for (const WasmLine& w : f.wasm) listed.insert(w.instr.offset);
  }
  bool inlined = false, linked = false;
  for (const FunctionView& f : x.e.functions) {
    for (const NativeLine& n : f.native) {
      for (const auto& frame : n.frames) {
        if (frame.wasm_offset) EXPECT_TRUE(listed.count(frame.wasm_offset)) << std::hex << frame.wasm_offset;
      }
      if (!n.frames.empty()) {
        linked = true;
        EXPECT_EQ(n.frames.back().func_index, f.index);  // the outermost frame is this function
      }
      // $cube's multiply of $square's body: two frames, square inside cube.
      if (f.index == 1 && n.frames.size() == 2 && n.frames[0].func_index == 0) inlined = true;
    }
    // Every wasm line a native line names is marked as having code.
    for (const WasmLine& w : f.wasm) {
      if (w.instr.text == "i32.mul") EXPECT_TRUE(w.has_code);
    }
  }
  EXPECT_TRUE(linked);
  EXPECT_TRUE(inlined);
}

TEST(Explore, NoInliningAtO0AndCallsNamed) {
  Explored x = explore_guest(0);
  bool call_named = false;
  for (const FunctionView& f : x.e.functions) {
    for (const NativeLine& n : f.native) {
      for (const auto& frame : n.frames) EXPECT_EQ(frame.func_index, f.index);
      if (f.index == 1 && n.text.rfind("call ", 0) == 0 && n.text.find("<$square>") != std::string::npos) {
        call_named = true;
      }
    }
  }
  EXPECT_TRUE(call_named);
}

TEST(Explore, PageEscapesNamesFromTheModule) {
  Explored x = explore_guest(2);
  const std::string html = render_html(x.e);
  EXPECT_EQ(html.find("<script>x=1"), std::string::npos);
  EXPECT_NE(html.find("&lt;/script&gt;&lt;script&gt;x=1"), std::string::npos);
  // One script element: the page's own.
  size_t scripts = 0;
  for (size_t at = html.find("<script"); at != std::string::npos; at = html.find("<script", at + 1)) ++scripts;
  EXPECT_EQ(scripts, 1u);
  for (const FunctionView& f : x.e.functions) {
    EXPECT_NE(html.find("id=\"f" + std::to_string(f.index) + "\""), std::string::npos);
  }
}

TEST(Explore, RefusesAnArtifactOfAnotherModule) {
  Explored x = explore_guest(2);
  auto other = wasm::decode_and_validate(test::wat("(module (func) (func))"));
  ASSERT_TRUE(other.ok());
  auto e = explore(*other, *x.module.impl(), llvm_disassemble);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("not compiled from this module"), std::string::npos);
}

}  // namespace
}  // namespace atl::explore
