// Which runs next on a worker's thread: connection work (reading, writing, starting a request,
// whose first time slice runs at once) or the next slice of a guest that used up its last one.
// Connection work goes first: a yielded guest is resumed only after a pass of the event loop
// in which nothing else happened, or once it has waited `max_wait` (so a CPU-bound guest still
// gets at least one slice per max_wait + slice). Without this, every step of a short request
// (each read, parse and write is its own handler) would queue behind a full slice of each busy
// guest on the loop: milliseconds per step.
#pragma once

#include <boost/asio.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>

namespace atl::server {

class GuestScheduler {
 public:
  using Clock = std::chrono::steady_clock;
  GuestScheduler(boost::asio::io_context& io, std::chrono::microseconds max_wait) : timer_(io), max_wait_(max_wait) {}

  // Connection work happened (called by every connection handler).
  void note_activity() { ++activity_; }
  // Runs `slice` (the guest's next time slice) when the loop has nothing more urgent.
  void schedule(std::function<void()> slice);

 private:
  struct Entry {
    Clock::time_point since;
    std::function<void()> slice;
  };
  void arm();
  void run_one();

  boost::asio::steady_timer timer_;  // expired at once: fires after the loop's next poll
  std::chrono::microseconds max_wait_;
  std::deque<Entry> queue_;
  uint64_t activity_ = 0, seen_activity_ = 0;
  bool armed_ = false;
};

}  // namespace atl::server
