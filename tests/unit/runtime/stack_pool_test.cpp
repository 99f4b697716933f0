// Fiber stacks given back to the cache: deep pages a call touched are returned to the kernel,
// lazily (every few uses, or by trim()), and the top pages stay resident.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include "runtime/stack.h"

namespace atl::runtime {
namespace {

bool resident(uintptr_t addr) {
  unsigned char v = 0;
  EXPECT_EQ(mincore(reinterpret_cast<void*>(addr & ~uintptr_t{4095}), 4096, &v), 0);
  return v & 1;
}

// Touches the stack down to `depth` bytes below its top, as a deep call would.
void use(GuestStack& s, size_t depth) {
  volatile char* top = reinterpret_cast<volatile char*>(s.top());
  for (size_t off = 4096; off <= depth; off += 4096) top[-static_cast<ptrdiff_t>(off)] = 1;
}

constexpr size_t kDeep = 512 * 1024;

TEST(StackPool, DeepPagesAreGivenBackWithinCheckEveryUses) {
  StackPool pool(1 << 20, 64 * 1024, 4);
  auto first = pool.acquire();
  ASSERT_TRUE(first.ok());
  GuestStack* s = first->get();
  const uintptr_t deep = s->top() - kDeep, shallow = s->top() - 4096;
  use(*s, kDeep);
  pool.release(std::move(first.value()));
  EXPECT_TRUE(resident(deep)) << "release looks only every kCheckEvery uses";
  for (uint32_t i = 1; i < StackPool::kCheckEvery; ++i) {
    auto again = pool.acquire();
    ASSERT_TRUE(again.ok());
    ASSERT_EQ(again->get(), s) << "the cache hands back the stack just returned";
    pool.release(std::move(again.value()));
  }
  EXPECT_FALSE(resident(deep));
  EXPECT_TRUE(resident(shallow)) << "the top pages stay";
}

TEST(StackPool, TrimGivesBackDeepPagesOfIdleStacks) {
  StackPool pool(1 << 20, 64 * 1024, 4);
  auto a = pool.acquire(), b = pool.acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  const uintptr_t deep_a = (*a)->top() - kDeep, deep_b = (*b)->top() - kDeep;
  use(**a, kDeep);
  use(**b, kDeep);
  pool.release(std::move(a.value()));
  pool.release(std::move(b.value()));
  ASSERT_TRUE(resident(deep_a) && resident(deep_b));
  EXPECT_EQ(pool.trim(1), 1u) << "at most max_stacks per pass";
  EXPECT_EQ(pool.trim(8), 1u);
  EXPECT_FALSE(resident(deep_a));
  EXPECT_FALSE(resident(deep_b));
  EXPECT_EQ(pool.trim(8), 0u) << "nothing used since the last look";
  EXPECT_EQ(pool.cached(), 2u) << "trimmed stacks stay cached";
}

}  // namespace
}  // namespace atl::runtime
