// Test helper: one module run in several compile modes (optimisation level, bounds mode), for
// tests that an optimisation changes nothing observable: the value, whether it trapped, memory.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "atoll/atoll.h"

namespace atl::test {

template <typename T>
struct Outcome {
  bool trapped = false;
  T value{};
  std::vector<uint8_t> memory;
  bool operator==(const Outcome&) const = default;
};

// Compiles `wasm` at -O`opt` in `bounds` mode, instantiates it, fills its exported "memory" with
// `fill`, and runs `call` on the instance (which returns Result<T>). A trap other than an
// out-of-bounds access fails the test.
template <typename T, typename Call>
Outcome<T> run_in_mode(const std::vector<uint8_t>& wasm, int opt, BoundsChecks bounds,
                       const std::function<void(std::span<uint8_t>)>& fill, Call call) {
  Config c;
  c.opt_level = opt;
  c.bounds = bounds;
  Engine engine(c);
  Store store(engine);
  Linker linker(store);
  Outcome<T> o;
  auto m = compile_module(engine, wasm);
  EXPECT_TRUE(m.ok()) << m.error().to_string();
  if (!m.ok()) return o;
  auto inst = linker.instantiate(*m);
  EXPECT_TRUE(inst.ok());
  if (!inst.ok()) return o;
  auto mem = inst->memory("memory");
  std::span<uint8_t> bytes = *mem->span(0, mem->size());
  fill(bytes);
  auto r = call(*inst);
  o.trapped = !r.ok();
  if (r.ok()) o.value = *r;
  if (!r.ok()) EXPECT_EQ(r.error().trap(), TrapCode::MemoryOutOfBounds) << r.error().to_string();
  o.memory.assign(bytes.begin(), bytes.end());
  return o;
}

// `call` at each of `opts` in both bounds modes must match -O0 with explicit checks (the
// reference, returned).
template <typename T, typename Call>
Outcome<T> agree_across_modes(const std::string& what, const std::vector<uint8_t>& wasm, std::initializer_list<int> opts,
                              const std::function<void(std::span<uint8_t>)>& fill, Call call) {
  const Outcome<T> reference = run_in_mode<T>(wasm, 0, BoundsChecks::Explicit, fill, call);
  for (BoundsChecks bounds : {BoundsChecks::GuardPages, BoundsChecks::Explicit}) {
    for (int opt : opts) {
      EXPECT_TRUE(run_in_mode<T>(wasm, opt, bounds, fill, call) == reference)
          << what << " differs at -O" << opt << (bounds == BoundsChecks::Explicit ? " explicit" : " guard");
    }
  }
  return reference;
}

}  // namespace atl::test
