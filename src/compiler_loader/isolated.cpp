// atl::compile() under a budget: the compiler runs in atoll-compile-worker, a process of its own
// with an address-space limit, killed when the time is up. LLVM is superlinear on some inputs
// and aborts when memory runs out; neither may hang or kill a host that compiles untrusted code.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "atoll/atoll.h"
#include "compiler_loader/isolated.h"
#include "compiler_loader/worker_protocol.h"

extern char** environ;

namespace atl {
namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

uint64_t now_ms() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000 + static_cast<uint64_t>(t.tv_nsec) / 1000000;
}

Error worker_error(const std::string& what) { return make_error(ErrorKind::Other, "compile budget: " + what); }

// The last line the worker printed on stderr (LLVM's own message when it gives up), if any.
std::string stderr_tail(int fd) {
  char buf[4096];
  const off_t size = lseek(fd, 0, SEEK_END);
  const off_t from = size > static_cast<off_t>(sizeof buf) ? size - static_cast<off_t>(sizeof buf) : 0;
  const ssize_t n = pread(fd, buf, sizeof buf, from);
  if (n <= 0) return {};
  std::string s(buf, static_cast<size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  const size_t nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

Result<std::vector<uint8_t>> parse_reply(const std::vector<uint8_t>& out) {
  auto read_at = [&](size_t at, void* dst, size_t n) {
    if (at + n > out.size()) return false;
    std::memcpy(dst, out.data() + at, n);
    return true;
  };
  if (out.empty()) return worker_error("the compiler worker gave no answer");
  if (out[0] == compile_worker::kReplyArtifact) {
    uint64_t size = 0;
    if (!read_at(1, &size, 8) || out.size() - 9 != size) return worker_error("the compiler worker's answer is cut short");
    return std::vector<uint8_t>(out.begin() + 9, out.end());
  }
  int32_t kind = 0;
  uint64_t offset = 0;
  uint32_t func = 0, n = 0;
  if (out[0] != compile_worker::kReplyError || !read_at(1, &kind, 4) || !read_at(5, &offset, 8) ||
      !read_at(13, &func, 4) || !read_at(17, &n, 4) || out.size() - 21 != n ||
      kind < 0 || kind > static_cast<int32_t>(ErrorKind::Other)) {
    return worker_error("the compiler worker's answer is malformed");
  }
  return make_error(static_cast<ErrorKind>(kind), std::string(out.begin() + 21, out.end()), offset, func);
}

}  // namespace

Result<std::vector<uint8_t>> compile_isolated(const Config& c, std::span<const uint8_t> wasm,
                                              const std::string& worker_path, const std::string& plugin_path) {
  // The module goes in through a memory file: no pipe to keep fed while the worker runs.
  Fd in(memfd_create("atoll-wasm", MFD_CLOEXEC));
  Fd err(memfd_create("atoll-compile-stderr", MFD_CLOEXEC));
  if (in.fd < 0 || err.fd < 0) return worker_error(std::string("memfd_create: ") + std::strerror(errno));
  for (size_t done = 0; done < wasm.size();) {
    const ssize_t n = write(in.fd, wasm.data() + done, wasm.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return worker_error(std::string("cannot stage the module: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  lseek(in.fd, 0, SEEK_SET);
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return worker_error(std::string("pipe: ") + std::strerror(errno));
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);

  const std::vector<std::string> args = {
      worker_path, std::to_string(c.opt_level), c.bounds == BoundsChecks::Explicit ? "1" : "0", c.target_cpu,
      std::to_string(c.compile_threads), std::to_string(c.compile_chunk_bytes), c.epoch_interruption ? "1" : "0",
      c.consume_fuel ? "1" : "0", std::to_string(c.compile_memory_limit), std::to_string(c.features.bits())};
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in.fd, 0);
  posix_spawn_file_actions_adddup2(&fa, out_write.fd, 1);
  posix_spawn_file_actions_adddup2(&fa, err.fd, 2);
  // The worker loads the plugin this process found (it may live elsewhere in an install).
  std::vector<std::string> env_storage;
  std::vector<char*> env;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "ATOLL_COMPILER=", 15) != 0) env.push_back(*e);
  }
  env_storage.push_back("ATOLL_COMPILER=" + plugin_path);
  env.push_back(env_storage.back().data());
  env.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, worker_path.c_str(), &fa, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&fa);
  if (spawned != 0) {
    return worker_error("cannot start the compiler worker " + worker_path + ": " + std::strerror(spawned));
  }
  close(out_write.fd);
  out_write.fd = -1;

  std::vector<uint8_t> reply;
  const uint64_t deadline = c.compile_timeout_ms ? now_ms() + c.compile_timeout_ms : UINT64_MAX;
  bool timed_out = false;
  for (;;) {
    const uint64_t now = now_ms();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    pollfd p{out_read.fd, POLLIN, 0};
    const int wait_ms = deadline == UINT64_MAX ? -1 : static_cast<int>(std::min<uint64_t>(deadline - now, 1 << 30));
    const int r = poll(&p, 1, wait_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) continue;  // the deadline check above ends it
    uint8_t buf[65536];
    const ssize_t n = read(out_read.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the worker is done (or dead)
    reply.insert(reply.end(), buf, buf + n);
  }
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return worker_error("compiling took longer than " + std::to_string(c.compile_timeout_ms) +
                        " ms; the module is too costly to compile (a lower -O level may help)");
  }
  if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0 && reply.empty())) {
    const std::string tail = stderr_tail(err.fd);
    std::string what = WIFSIGNALED(status) ? "the compiler died (signal " + std::to_string(WTERMSIG(status)) + ")"
                                           : "the compiler failed (exit " + std::to_string(WEXITSTATUS(status)) + ")";
    if (c.compile_memory_limit) {
      what += "; it may have run out of its " + std::to_string(c.compile_memory_limit >> 20) + " MiB";
    }
    return worker_error(what + (tail.empty() ? "" : ": " + tail));
  }
  return parse_reply(reply);
}

}  // namespace atl
