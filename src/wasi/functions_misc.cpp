// args, environ, clocks, random, proc_*, sched_yield, poll_oneoff and sock_*.
#include <poll.h>
#include <sched.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <vector>

#include "wasi/functions.h"

namespace atl::wasi {
namespace {

uint16_t host_err() { return errno_from_host(errno); }

// args_get/environ_get: an array of pointers into a buffer of NUL-terminated strings.
uint16_t strings_get(Call& c, const std::vector<std::string>& v, uint32_t ptrs, uint32_t buf) {
  uint64_t total = 0;
  for (const std::string& s : v) total += s.size() + 1;
  if (!c.in(ptrs, uint64_t{v.size()} * 4) || !c.in(buf, total)) return kFault;
  uint32_t at = buf;
  for (size_t i = 0; i < v.size(); ++i) {
    c.store<uint32_t>(ptrs + static_cast<uint32_t>(i) * 4, at);
    std::memcpy(c.mem.data() + at, v[i].c_str(), v[i].size() + 1);
    at += static_cast<uint32_t>(v[i].size() + 1);
  }
  return kSuccess;
}

uint16_t strings_sizes(Call& c, const std::vector<std::string>& v, uint32_t count_ptr, uint32_t size_ptr) {
  uint64_t total = 0;
  for (const std::string& s : v) total += s.size() + 1;
  if (!c.in(count_ptr, 4) || !c.in(size_ptr, 4)) return kFault;
  c.store<uint32_t>(count_ptr, static_cast<uint32_t>(v.size()));
  c.store<uint32_t>(size_ptr, static_cast<uint32_t>(total));
  return kSuccess;
}

uint16_t args_get(Context& ctx, Call& c) { return strings_get(c, ctx.args, c.u32(0), c.u32(1)); }
uint16_t args_sizes_get(Context& ctx, Call& c) { return strings_sizes(c, ctx.args, c.u32(0), c.u32(1)); }
uint16_t environ_get(Context& ctx, Call& c) { return strings_get(c, ctx.env, c.u32(0), c.u32(1)); }
uint16_t environ_sizes_get(Context& ctx, Call& c) { return strings_sizes(c, ctx.env, c.u32(0), c.u32(1)); }

bool host_clock(uint32_t id, clockid_t* out) {
  static const clockid_t kClocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
  if (id > 3) return false;
  *out = kClocks[id];
  return true;
}

uint64_t to_ns(const timespec& t) { return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + static_cast<uint64_t>(t.tv_nsec); }

uint16_t clock_res_get(Context&, Call& c) {
  clockid_t id;
  if (!host_clock(c.u32(0), &id)) return kInval;
  timespec t;
  if (clock_getres(id, &t) != 0) return host_err();
  return c.store<uint64_t>(c.u32(1), to_ns(t)) ? kSuccess : kFault;
}

uint16_t clock_time_get(Context&, Call& c) {
  clockid_t id;
  if (!host_clock(c.u32(0), &id)) return kInval;
  timespec t;
  if (clock_gettime(id, &t) != 0) return host_err();
  return c.store<uint64_t>(c.u32(2), to_ns(t)) ? kSuccess : kFault;
}

uint16_t random_get(Context&, Call& c) {
  const uint32_t buf = c.u32(0), len = c.u32(1);
  if (!c.in(buf, len)) return kFault;
  uint32_t done = 0;
  while (done < len) {
    const ssize_t n = getrandom(c.mem.data() + buf + done, len - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return host_err();
    }
    done += static_cast<uint32_t>(n);
  }
  return kSuccess;
}

// WASI reserves statuses from 126 on (a shell's own "cannot execute" and signal codes): such a
// call ends the guest like a trap, with no exit status (Wasmtime does the same).
uint16_t proc_exit(Context& ctx, Call& c) {
  const uint32_t status = c.u32(0);
  if (status < kMaxExitStatus) ctx.exit_code = static_cast<int>(status);
  else ctx.invalid_exit_status = status;
  return kExit;
}

uint16_t proc_raise(Context&, Call&) { return kNosys; }  // signals have no meaning for a guest

uint16_t sched_yield_(Context&, Call&) {
  sched_yield();
  return kSuccess;
}

// poll_oneoff: clock subscriptions set the timeout; fd subscriptions become poll(2) entries.
uint16_t poll_oneoff(Context& ctx, Call& c) {
  const uint32_t in = c.u32(0), out = c.u32(1), n = c.u32(2), nevents = c.u32(3);
  if (n == 0) return kInval;
  if (n > 4096) return kInval;
  if (!c.in(in, uint64_t{n} * 48) || !c.in(out, uint64_t{n} * 32) || !c.in(nevents, 4)) return kFault;
  struct Sub {
    uint64_t userdata;
    uint8_t tag;
    uint32_t fd;
    uint64_t deadline_ns = UINT64_MAX;  // clocks: absolute monotonic deadline
    uint16_t error = 0;
  };
  std::vector<Sub> subs(n);
  std::vector<pollfd> pfds;
  std::vector<uint32_t> pfd_sub;
  timespec now_ts;
  clock_gettime(CLOCK_MONOTONIC, &now_ts);
  const uint64_t now = to_ns(now_ts);
  uint64_t earliest = UINT64_MAX;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t p = in + i * 48;
    Sub& s = subs[i];
    c.load(p, s.userdata);
    c.load(p + 8, s.tag);
    if (s.tag == 0) {
      uint32_t clock_id;
      uint64_t timeout;
      uint16_t flags;
      c.load(p + 16, clock_id);
      c.load(p + 24, timeout);
      c.load(p + 40, flags);
      clockid_t id;
      if (!host_clock(clock_id, &id)) {
        s.error = kInval;
        earliest = now;
        continue;
      }
      if (flags & 1) {  // absolute time on that clock: convert to a monotonic deadline
        timespec t;
        clock_gettime(id, &t);
        const uint64_t cur = to_ns(t);
        s.deadline_ns = now + (timeout > cur ? timeout - cur : 0);
      } else {
        s.deadline_ns = timeout > UINT64_MAX - now ? UINT64_MAX : now + timeout;
      }
      earliest = std::min(earliest, s.deadline_ns);
    } else if (s.tag == 1 || s.tag == 2) {
      c.load(p + 16, s.fd);
      Fd* fd = ctx.get(s.fd);
      if (uint16_t e = need_rights(fd, rights::kPollFdReadwrite)) {
        s.error = e;
        earliest = now;
        continue;
      }
      // In-memory stdio is always ready: poll skips the negative descriptor, and it is marked
      // ready after the poll.
      pfds.push_back(pollfd{fd->memory_stream >= 0 ? -1 : fd->host, static_cast<short>(s.tag == 1 ? POLLIN : POLLOUT), 0});
      pfd_sub.push_back(i);
      if (fd->memory_stream >= 0) earliest = now;
    } else {
      return kInval;
    }
  }
  // A sleep (clocks only: no descriptor to poll) in an async call suspends it
  // until the earliest deadline, so the thread serves others meanwhile.
  bool slept = false;
  if (ctx.suspend_sleeps && c.caller && pfds.empty() && earliest != UINT64_MAX && earliest > now) {
    for (;;) {
      auto suspended = c.caller->suspend(std::min(earliest, AsyncCall::kEpochYield - 1));
      if (!suspended.ok()) {
        // Outside an async call the thread sleeps below; a cancelled call unwinds.
        if (suspended.error().kind == ErrorKind::Usage) break;
        return kCancelled;
      }
      slept = true;
      clock_gettime(CLOCK_MONOTONIC, &now_ts);
      if (to_ns(now_ts) >= earliest) break;
    }
  }
  int timeout_ms = -1;
  if (slept) {
    timeout_ms = 0;  // the time has come: only collect the events below
  } else if (earliest != UINT64_MAX) {
    const uint64_t wait = earliest > now ? earliest - now : 0;
    timeout_ms = static_cast<int>(std::min<uint64_t>((wait + 999999) / 1000000, INT_MAX));
  }
  int ready;
  do {
    ready = poll(pfds.data(), pfds.size(), timeout_ms);
  } while (ready < 0 && errno == EINTR);
  if (ready < 0) return host_err();
  clock_gettime(CLOCK_MONOTONIC, &now_ts);
  const uint64_t after = to_ns(now_ts);
  uint32_t count = 0;
  auto emit = [&](const Sub& s, uint16_t error, uint64_t nbytes, uint16_t flags) {
    const uint32_t p = out + count++ * 32;
    std::memset(c.mem.data() + p, 0, 32);
    c.store<uint64_t>(p, s.userdata);
    c.store<uint16_t>(p + 8, error);
    c.store<uint8_t>(p + 10, s.tag);
    c.store<uint64_t>(p + 16, nbytes);
    c.store<uint16_t>(p + 24, flags);
  };
  for (size_t k = 0; k < pfds.size(); ++k) {
    if (pfds[k].fd < 0) pfds[k].revents = pfds[k].events;  // in-memory stdio
    if (!pfds[k].revents) continue;
    const Sub& s = subs[pfd_sub[k]];
    const bool hup = pfds[k].revents & POLLHUP;
    emit(s, (pfds[k].revents & POLLNVAL) ? kBadf : 0, 0, hup ? 1 : 0);  // 1: fd_readwrite_hangup
  }
  for (const Sub& s : subs) {
    if (s.error) {
      emit(s, s.error, 0, 0);
    } else if (s.tag == 0 && s.deadline_ns <= after) {
      emit(s, 0, 0, 0);
    }
  }
  c.store<uint32_t>(nevents, count);
  return kSuccess;
}

uint16_t sock_accept(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (!fd) return kBadf;
  if (fd->type != kSocketStream && fd->type != kSocketDgram) return kNotsock;
  if (uint16_t e = need_rights(fd, rights::kSockAccept)) return e;
  if (!c.in(c.u32(2), 4)) return kFault;
  const int flags = (c.u32(1) & 4) ? SOCK_NONBLOCK : 0;
  const int s = accept4(fd->host, nullptr, nullptr, flags | SOCK_CLOEXEC);
  if (s < 0) return host_err();
  auto n = ctx.insert(Fd{s, kSocketStream, false, true, {}, rights::kSocket & ~rights::kSockAccept, 0});
  if (!n) {
    close(s);
    return kMfile;
  }
  c.store<uint32_t>(c.u32(2), *n);
  return kSuccess;
}

uint16_t sock_recv(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (!fd) return kBadf;
  if (fd->type != kSocketStream && fd->type != kSocketDgram) return kNotsock;
  if (uint16_t e = need_rights(fd, rights::kFdRead)) return e;
  std::vector<iovec> iov;
  if (uint16_t e = guest_iovecs(c, c.u32(1), c.u32(2), iov)) return e;
  if (!c.in(c.u32(4), 4) || !c.in(c.u32(5), 2)) return kFault;
  int flags = 0;
  if (c.u32(3) & 1) flags |= MSG_PEEK;
  if (c.u32(3) & 2) flags |= MSG_WAITALL;
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  const ssize_t n = recvmsg(fd->host, &msg, flags);
  if (n < 0) return host_err();
  c.store<uint32_t>(c.u32(4), static_cast<uint32_t>(n));
  c.store<uint16_t>(c.u32(5), (msg.msg_flags & MSG_TRUNC) ? 1 : 0);
  return kSuccess;
}

uint16_t sock_send(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (!fd) return kBadf;
  if (fd->type != kSocketStream && fd->type != kSocketDgram) return kNotsock;
  if (uint16_t e = need_rights(fd, rights::kFdWrite)) return e;
  std::vector<iovec> iov;
  if (uint16_t e = guest_iovecs(c, c.u32(1), c.u32(2), iov)) return e;
  if (!c.in(c.u32(4), 4)) return kFault;
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  const ssize_t n = sendmsg(fd->host, &msg, MSG_NOSIGNAL);
  if (n < 0) return host_err();
  c.store<uint32_t>(c.u32(4), static_cast<uint32_t>(n));
  return kSuccess;
}

uint16_t sock_shutdown(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (!fd) return kBadf;
  if (fd->type != kSocketStream && fd->type != kSocketDgram) return kNotsock;
  if (uint16_t e = need_rights(fd, rights::kSockShutdown)) return e;
  const uint32_t how = c.u32(1);
  if (how == 0 || how > 3) return kInval;
  const int h = how == 1 ? SHUT_RD : how == 2 ? SHUT_WR : SHUT_RDWR;
  return shutdown(fd->host, h) != 0 ? host_err() : kSuccess;
}

}  // namespace

const FunctionDef kMiscFunctions[] = {
    {"args_get", "ii", true, args_get},
    {"args_sizes_get", "ii", true, args_sizes_get},
    {"environ_get", "ii", true, environ_get},
    {"environ_sizes_get", "ii", true, environ_sizes_get},
    {"clock_res_get", "ii", true, clock_res_get},
    {"clock_time_get", "iIi", true, clock_time_get},
    {"random_get", "ii", true, random_get},
    {"proc_exit", "i", false, proc_exit},
    {"proc_raise", "i", true, proc_raise},
    {"sched_yield", "", true, sched_yield_},
    {"poll_oneoff", "iiii", true, poll_oneoff},
    {"sock_accept", "iii", true, sock_accept},
    {"sock_recv", "iiiiii", true, sock_recv},
    {"sock_send", "iiiii", true, sock_send},
    {"sock_shutdown", "ii", true, sock_shutdown},
};
const size_t kNumMiscFunctions = sizeof(kMiscFunctions) / sizeof(kMiscFunctions[0]);

}  // namespace atl::wasi
