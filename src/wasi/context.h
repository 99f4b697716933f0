// WASI internals: the guest's descriptor table, argument access for host functions, errno
// values and the sandboxed path resolution every path_* function goes through.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "atoll/wasi.h"

namespace atl::wasi {

// WASI errno values (they are not Linux's).
enum Errno : uint16_t {
  kSuccess = 0, k2Big = 1, kAcces = 2, kAgain = 6, kBadf = 8, kBusy = 10, kExist = 20, kFault = 21,
  kFbig = 22, kIlseq = 25, kIntr = 27, kInval = 28, kIo = 29, kIsdir = 31, kLoop = 32, kMfile = 33,
  kMlink = 34, kNametoolong = 37, kNoent = 44, kNomem = 48, kNospc = 51, kNosys = 52, kNotconn = 53,
  kNotdir = 54, kNotempty = 55, kNotsock = 57, kNotsup = 58, kOverflow = 61, kPerm = 63, kPipe = 64,
  kRofs = 69, kSpipe = 70, kXdev = 75, kNotcapable = 76,
};
uint16_t errno_from_host(int e);

enum FileType : uint8_t {
  kUnknown = 0, kBlockDevice = 1, kCharDevice = 2, kDirectory = 3, kRegularFile = 4,
  kSocketDgram = 5, kSocketStream = 6, kSymlink = 7,
};
uint8_t filetype_from_mode(uint32_t mode);

struct Fd {
  int host = -1;
  uint8_t type = kUnknown;
  bool preopen = false;
  bool owned = true;       // close the host descriptor with the entry (stdio is not owned)
  std::string guest_path;  // preopens: the name the guest sees
  uint64_t rights_base = 0;
  uint64_t rights_inheriting = 0;
  // Descriptors the guest shares with the host (stdio) keep their host status flags: the
  // guest's fd_fdstat_set_flags is recorded here and reported back, never applied to the host.
  uint16_t shared_flags = 0;
  int8_t memory_stream = -1;  // 0, 1, 2: in-memory stdin, stdout, stderr (Config::stdin_data, sinks)
};

// What a descriptor of this kind can do at all (rights.h).
uint64_t supported_rights(uint8_t type);
// Success if `fd` holds every right in `needed`: EBADF for the wrong kind of descriptor (a
// read on a directory), ENOTCAPABLE for a right the guest gave away.
uint16_t need_rights(const Fd* fd, uint64_t needed);

class Context {
 public:
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::map<uint32_t, Fd> fds;
  uint32_t max_fds = 1024;  // Config::max_open_files
  bool suspend_sleeps = false;  // Config::suspend_sleeps
  // In-memory stdio (Fd::memory_stream): stdin's bytes and how far the guest has read them;
  // the sinks for stdout and stderr.
  std::string stdin_data;
  size_t stdin_pos = 0;
  std::function<bool(std::span<const uint8_t>)> sinks[3];
  std::optional<int> exit_code;    // proc_exit with a status below kMaxExitStatus
  std::optional<uint32_t> invalid_exit_status;  // proc_exit with a reserved status: ends the guest like a trap

  ~Context();
  Fd* get(uint32_t fd) {
    auto it = fds.find(fd);
    return it == fds.end() ? nullptr : &it->second;
  }
  // The lowest free number, or nullopt when the guest already holds max_fds descriptors (the
  // caller closes the host descriptor and answers EMFILE).
  std::optional<uint32_t> insert(Fd fd);
};

// One host call: its 16-byte argument slots and the caller's memory, with bounds checks.
struct Call {
  uint64_t* slots;
  std::span<uint8_t> mem;
  Caller* caller = nullptr;  // to suspend an async call (Config::suspend_sleeps)
  uint32_t u32(int i) const { return static_cast<uint32_t>(slots[2 * i]); }
  uint64_t u64(int i) const { return slots[2 * i]; }
  bool in(uint64_t off, uint64_t len) const { return off <= mem.size() && len <= mem.size() - off; }
  template <class T>
  bool store(uint64_t off, T v) {
    if (!in(off, sizeof v)) return false;
    std::memcpy(mem.data() + off, &v, sizeof v);
    return true;
  }
  template <class T>
  bool load(uint64_t off, T& v) const {
    if (!in(off, sizeof v)) return false;
    std::memcpy(&v, mem.data() + off, sizeof v);
    return true;
  }
  // A guest string (pointer, length) as a path: EFAULT outside memory, EILSEQ with a NUL inside.
  uint16_t path(uint32_t ptr, uint32_t len, std::string& out) const;
};

// Sandboxed resolution (sandbox.cpp). Paths are relative to a directory descriptor and may not
// leave it: the kernel resolves them with RESOLVE_BENEATH, and an escape is ENOTCAPABLE.
// Opens `path` beneath `dirfd`; returns the host fd or -errno.
int open_beneath(int dirfd, const std::string& path, int flags, unsigned mode);

}  // namespace atl::wasi
