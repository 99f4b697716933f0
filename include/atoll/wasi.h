// WASI preview1 (`wasi_snapshot_preview1`) for atoll guests.
//
//   atl::wasi::Config config;
//   config.args = {"app", "--flag"};
//   config.preopens = {{"/srv/data", "/data"}};   // the only directories the guest can see
//   auto wasi = atl::wasi::add_to_linker(linker, config);
//   ... instantiate, call "_start" ...
//   (or, for many stores: wasi::add_to_linker(shared_linker) once, wasi::attach(store, config)
//   per store, shared_linker.instantiate(store, module))
//   if (auto code = atl::wasi::exit_code(**wasi)) ...  // the guest called proc_exit
//
// Files are reached only through preopened directories: every path is resolved beneath its
// directory by the kernel (openat2 with RESOLVE_BENEATH), so `..`, absolute paths and symlinks
// that lead outside fail with ENOTCAPABLE and are never followed. Host descriptors other than
// stdio and the preopens never enter the guest's descriptor table.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "atoll/atoll.h"

namespace atl::wasi {

struct Preopen {
  std::string host_path;
  std::string guest_path;
};

struct Config {
  std::vector<std::string> args;
  std::vector<std::string> env;  // KEY=VALUE
  std::vector<Preopen> preopens;
  // Listening TCP sockets to preopen (IPv4 "ADDRESS:PORT"), after the directories: the guest
  // uses them with sock_accept, sock_recv, sock_send and sock_shutdown.
  std::vector<std::string> tcp_listen;
  // Most descriptors the guest may hold at once (stdio, preopens and sockets included); past
  // it, opening more fails with EMFILE, so one guest cannot exhaust the process's descriptors.
  uint32_t max_open_files = 1024;
  // In-memory stdio (a server's request and response) instead of host descriptors: when set,
  // the guest's stdin reads `stdin_data`, and what it writes to stdout or stderr goes to the
  // sink, which returns false to refuse it (the guest's write fails with EFBIG: a response
  // over its size limit, say).
  std::optional<std::string> stdin_data;
  std::function<bool(std::span<const uint8_t>)> stdout_sink;
  std::function<bool(std::span<const uint8_t>)> stderr_sink;
  // Sleeping without holding a thread: when set, a poll_oneoff that waits only for clocks (a
  // sleep), made inside an async call (Func::call_async), suspends the call instead of blocking
  // the thread. AsyncCall::suspended_value() is then the wake-up time (CLOCK_MONOTONIC, in
  // nanoseconds; never AsyncCall::kEpochYield) and the embedder resumes the call at or after
  // it; resumed early, it suspends again. Outside an async call the thread sleeps as usual.
  bool suspend_sleeps = false;
  int stdin_fd = 0;
  int stdout_fd = 1;
  int stderr_fd = 2;
};

class Context;

// Opens the preopened directories and defines every wasi_snapshot_preview1 function on a
// Linker made for one store: attach() and add_to_linker() below, in one call.
ATOLL_API Result<std::shared_ptr<Context>> add_to_linker(Linker& linker, const Config& config);

// Whether WASI preview1 can serve this module: its memory (the export "memory", else memory 0)
// must be 32-bit, as every preview1 pointer is an i32. An error names what is wrong; modules
// that do not import wasi_snapshot_preview1 always pass.
ATOLL_API Result<void> check_module(const Module& module);

// For many stores (a fresh sandbox per request): define the functions once on a
// store-independent Linker, and give each store its own context. The functions find the
// calling store's context; a store without one gets an error (a trap in the guest).
ATOLL_API void add_to_linker(Linker& linker);
ATOLL_API Result<std::shared_ptr<Context>> attach(Store& store, const Config& config);
// The same, taking the arguments, environment, stdin bytes and sinks instead of copying them
// (a server attaches a context per request).
ATOLL_API Result<std::shared_ptr<Context>> attach(Store& store, Config&& config);

// The status the guest passed to proc_exit, if it called it. proc_exit ends the guest with a
// trap (kind Trap, "host function failed: proc_exit(N)"); check this first. A status of 126 or
// more is reserved by WASI: such a call ends the guest like a trap and this stays empty.
ATOLL_API std::optional<int> exit_code(const Context& ctx);
// The status of a proc_exit call with a reserved status (126 or more), if there was one.
ATOLL_API std::optional<uint32_t> reserved_exit_status(const Context& ctx);

}  // namespace atl::wasi
