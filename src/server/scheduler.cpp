#include "server/scheduler.h"

namespace atl::server {

void GuestScheduler::schedule(std::function<void()> slice) {
  queue_.push_back({Clock::now(), std::move(slice)});
  arm();
}

void GuestScheduler::arm() {
  if (armed_) return;
  armed_ = true;
  // A timer that has already expired completes from the reactor, i.e. after the handlers
  // already queued on the loop and after the loop has polled its sockets once more.
  timer_.expires_at(Clock::time_point::min());
  timer_.async_wait([this](boost::system::error_code ec) {
    armed_ = false;
    if (!ec) run_one();
  });
}

void GuestScheduler::run_one() {
  if (queue_.empty()) return;
  const bool busy = activity_ != seen_activity_;
  seen_activity_ = activity_;
  if (busy && Clock::now() - queue_.front().since < max_wait_) {
    arm();  // connection work is flowing: let it go first, look again after the next poll
    return;
  }
  auto slice = std::move(queue_.front().slice);
  queue_.pop_front();
  slice();  // may schedule the guest again, at the back
  if (!queue_.empty()) arm();
}

}  // namespace atl::server
