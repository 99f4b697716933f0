// A reference count spread over cache lines, so that threads instantiating the same module (or
// creating stores of the same engine) do not bounce one counter's cache line between cores. With
// a plain shared_ptr, two threads each taking and dropping a reference per instantiation spend
// most of their time waiting for that line: the rate on two threads fell below one thread's.
//
// There is one primary reference (the object's owner handle, e.g. a Module) and any number of
// secondary ones, each counted on the shard of the core that took it and given back to that
// same shard (from any thread). Only after the primary is gone does a release look at all the
// shards; until then, taking and dropping a reference touches one line, normally the thread's own.
//
// Why the last release is found exactly once: a releaser writes its shard then reads the
// primary flag; the primary's owner writes the flag then reads every shard (all sequentially
// consistent), so whoever comes last sees everything. Once the primary is gone no new references
// can be taken (only the primary's holders create them), so shard totals only fall, and a zero
// sum is final. Several may see zero; `claimed_` lets exactly one of them destroy.
#pragma once

#include <sched.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>

namespace atl {

class ShardedRefs {
 public:
  static constexpr uint32_t kShards = 8;
  // The shard for the calling thread: its current CPU (glibc reads it from the rseq area, a
  // few nanoseconds), so threads running at the same moment on different cores use different
  // shards; a thread that migrates merely shares a shard for a while. Also used by other
  // per-core sharded structures (the memory pool's free lists).
  static uint32_t this_thread_shard() {
    const int cpu = sched_getcpu();
    return cpu >= 0 ? static_cast<uint32_t>(cpu) % kShards : 0;
  }

  // A secondary reference, counted on this thread's shard; give the shard back to release()
  // (from any thread).
  uint32_t acquire() {
    const uint32_t s = this_thread_shard();
    shards_[s].n.fetch_add(1, std::memory_order_relaxed);
    return s;
  }
  // True when this was the last reference: the caller destroys the object.
  bool release(uint32_t shard) {
    shards_[shard].n.fetch_sub(1, std::memory_order_seq_cst);
    if (!primary_gone_.load(std::memory_order_seq_cst)) return false;
    return last_reference_gone();
  }
  // The primary reference is dropped; true when no secondary ones remain.
  bool release_primary() {
    primary_gone_.store(true, std::memory_order_seq_cst);
    return last_reference_gone();
  }

 private:
  bool last_reference_gone() {
    int64_t sum = 0;
    for (const Shard& s : shards_) sum += s.n.load(std::memory_order_seq_cst);
    return sum == 0 && !claimed_.exchange(true, std::memory_order_acq_rel);
  }

  struct alignas(64) Shard {
    std::atomic<int64_t> n{0};
  };
  Shard shards_[kShards];
  // Read on every release, written once: on its own line so it stays shared in every cache.
  alignas(64) std::atomic<bool> primary_gone_{false};
  std::atomic<bool> claimed_{false};
};

// The primary reference, as a shared_ptr: copies of it share one (contended) count, and when the
// last copy goes the object lives on until its secondary references are gone too. T has a
// member `mutable ShardedRefs refs`.
template <class T, class... Args>
std::shared_ptr<T> make_sharded(Args&&... args) {
  return std::shared_ptr<T>(new T(std::forward<Args>(args)...), [](T* p) {
    if (p->refs.release_primary()) delete p;
  });
}

// A secondary reference. Taken only from a live primary (see above), so it is movable but not
// copyable: a copy made after the primary is gone could race with the last release.
template <class T>
class SharedRef {
 public:
  SharedRef() = default;
  template <class U>
  explicit SharedRef(const std::shared_ptr<U>& primary) : p_(primary.get()) {
    if (p_) shard_ = p_->refs.acquire();
  }
  SharedRef(SharedRef&& o) noexcept : p_(std::exchange(o.p_, nullptr)), shard_(o.shard_) {}
  SharedRef& operator=(SharedRef&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = std::exchange(o.p_, nullptr);
      shard_ = o.shard_;
    }
    return *this;
  }
  SharedRef(const SharedRef&) = delete;
  SharedRef& operator=(const SharedRef&) = delete;
  ~SharedRef() { reset(); }

  void reset() {
    if (p_ && p_->refs.release(shard_)) delete p_;
    p_ = nullptr;
  }
  T* get() const { return p_; }
  T* operator->() const { return p_; }
  T& operator*() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
  uint32_t shard_ = 0;
};

}  // namespace atl
