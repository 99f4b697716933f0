// In-memory stdio for WASI guests (wasi::Config::stdin_data and the sinks): what a server gives
// each request instead of the process's descriptors.
#include <gtest/gtest.h>

#include <string>

#include "../wat.h"
#include "atoll/atoll.h"
#include "atoll/wasi.h"

namespace atl {
namespace {

// Copies stdin to stdout in 7-byte reads, writes "E" to stderr, returns fd_write's last errno.
const char* kCat = R"(
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 200) "E")
  (func (export "cat") (result i32) (local $err i32)
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 7))
    (block $done (loop $more
      (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br_if $done (i32.eqz (i32.load (i32.const 8))))
      (i32.store (i32.const 16) (i32.const 100))
      (i32.store (i32.const 20) (i32.load (i32.const 8)))
      (local.set $err (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))
      (br_if $done (local.get $err))
      (br $more)))
    (i32.store (i32.const 16) (i32.const 200))
    (i32.store (i32.const 20) (i32.const 1))
    (drop (call $write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 24)))
    (local.get $err)))
)";

int32_t run_cat(const std::string& input, size_t limit, std::string& out, std::string& err) {
  Engine engine;
  auto m = compile_module(engine, test::wat(kCat));
  EXPECT_TRUE(m.ok());
  Store store(engine);
  Linker linker(store);
  wasi::Config config;
  config.stdin_data = input;
  config.stdout_sink = [&](std::span<const uint8_t> b) {
    if (out.size() + b.size() > limit) return false;
    out.append(b.begin(), b.end());
    return true;
  };
  config.stderr_sink = [&](std::span<const uint8_t> b) {
    err.append(b.begin(), b.end());
    return true;
  };
  auto ctx = wasi::add_to_linker(linker, config);
  EXPECT_TRUE(ctx.ok());
  auto inst = linker.instantiate(*m);
  EXPECT_TRUE(inst.ok());
  auto r = (*inst->func<int32_t()>("cat"))();
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : -1;
}

TEST(WasiStdio, StdinBytesAndOutputSinks) {
  std::string input(1000, '\0');
  for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<char>(i * 7);  // binary, NULs included
  std::string out, err;
  EXPECT_EQ(run_cat(input, 1 << 20, out, err), 0);
  EXPECT_EQ(out, input);
  EXPECT_EQ(err, "E");
}

TEST(WasiStdio, ARefusingSinkFailsTheWriteWithEfbig) {
  std::string out, err;
  EXPECT_EQ(run_cat(std::string(100, 'x'), 50, out, err), 22);  // EFBIG
  EXPECT_LE(out.size(), 50u);
  EXPECT_EQ(err, "E");
}

}  // namespace
}  // namespace atl
