// path_* functions. Every path goes through the sandbox (context.h): resolved beneath the
// directory descriptor by the kernel; the operation itself then acts on (parent fd, last name)
// without following a final symlink unless the guest asked to.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "wasi/functions.h"

namespace atl::wasi {

uint16_t timespecs(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2]);

namespace {

constexpr uint32_t kLookupSymlinkFollow = 1;
constexpr uint16_t kOflagCreat = 1, kOflagDirectory = 2, kOflagExcl = 4, kOflagTrunc = 8;
constexpr uint64_t kRightFdRead = 1 << 1, kRightFdWrite = 1 << 6;

// A directory descriptor and a path argument, resolved to (parent, name).
struct Target {
  int parent = -1;
  std::string name;
  ~Target() {
    if (parent >= 0) close(parent);
  }
};

uint16_t target(Context& ctx, Call& c, uint32_t fd_arg, uint32_t ptr, uint32_t len, Target& t) {
  Fd* fd = ctx.get(fd_arg);
  if (!fd) return kBadf;
  if (fd->type != kDirectory) return kNotdir;
  std::string path;
  if (uint16_t e = c.path(ptr, len, path)) return e;
  t.parent = open_parent_beneath(fd->host, path, t.name);
  if (t.parent < 0) return resolve_errno(t.parent);
  return kSuccess;
}

// The whole path opened as O_PATH (following symlinks, beneath the directory), for stat and
// friends when the guest asks to follow.
int open_path(Context& ctx, Call& c, uint32_t fd_arg, uint32_t ptr, uint32_t len, uint16_t* err) {
  Fd* fd = ctx.get(fd_arg);
  if (!fd) return *err = kBadf, -1;
  std::string path;
  if ((*err = c.path(ptr, len, path))) return -1;
  const int r = open_beneath(fd->host, path, O_PATH, 0);
  if (r < 0) return *err = resolve_errno(r), -1;
  return r;
}

uint16_t host_err() { return errno_from_host(errno); }

uint16_t path_open(Context& ctx, Call& c) {
  Fd* dir = ctx.get(c.u32(0));
  if (!dir) return kBadf;
  if (dir->type != kDirectory) return kNotdir;
  const uint32_t lookup = c.u32(1);
  std::string path;
  if (uint16_t e = c.path(c.u32(2), c.u32(3), path)) return e;
  const uint32_t oflags = c.u32(4);
  const uint64_t rights = c.u64(5);
  const uint32_t fdflags = c.u32(7);
  const uint32_t out = c.u32(8);
  if (!c.in(out, 4)) return kFault;
  int flags = 0;
  if (oflags & kOflagDirectory) {
    flags = O_RDONLY | O_DIRECTORY;
  } else if ((rights & kRightFdRead) && (rights & kRightFdWrite)) {
    flags = O_RDWR;
  } else if (rights & kRightFdWrite) {
    flags = O_WRONLY;
  } else {
    flags = O_RDONLY;
  }
  if (oflags & kOflagCreat) flags |= O_CREAT;
  if (oflags & kOflagExcl) flags |= O_EXCL;
  if (oflags & kOflagTrunc) flags |= O_TRUNC;
  if (fdflags & 1) flags |= O_APPEND;
  if (fdflags & 2) flags |= O_DSYNC;
  if (fdflags & 4) flags |= O_NONBLOCK;
  if (fdflags & 8) flags |= O_RSYNC;
  if (fdflags & 16) flags |= O_SYNC;
  if (!(lookup & kLookupSymlinkFollow)) flags |= O_NOFOLLOW;
  int fd = open_beneath(dir->host, path, flags, 0666);
  if (fd == -EISDIR && (flags & O_ACCMODE) != O_RDONLY && !(oflags & kOflagCreat)) {
    // Opening a directory with write rights the guest does not use (wasi-libc asks for them
    // by default): retry read-only, as other runtimes do.
    fd = open_beneath(dir->host, path, (flags & ~O_ACCMODE) | O_RDONLY, 0666);
  }
  if (fd < 0) return resolve_errno(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return host_err();
  }
  c.store<uint32_t>(out, ctx.insert(Fd{fd, filetype_from_mode(st.st_mode), false, true, {}}));
  return kSuccess;
}

uint16_t path_create_directory(Context& ctx, Call& c) {
  Target t;
  if (uint16_t e = target(ctx, c, c.u32(0), c.u32(1), c.u32(2), t)) return e;
  return mkdirat(t.parent, t.name.c_str(), 0777) != 0 ? host_err() : kSuccess;
}

uint16_t path_remove_directory(Context& ctx, Call& c) {
  Target t;
  if (uint16_t e = target(ctx, c, c.u32(0), c.u32(1), c.u32(2), t)) return e;
  return unlinkat(t.parent, t.name.c_str(), AT_REMOVEDIR) != 0 ? host_err() : kSuccess;
}

uint16_t path_unlink_file(Context& ctx, Call& c) {
  Target t;
  if (uint16_t e = target(ctx, c, c.u32(0), c.u32(1), c.u32(2), t)) return e;
  if (!t.name.empty() && t.name.back() == '/') return kNotdir;
  return unlinkat(t.parent, t.name.c_str(), 0) != 0 ? host_err() : kSuccess;
}

uint16_t path_filestat_get(Context& ctx, Call& c) {
  struct stat st;
  if (c.u32(1) & kLookupSymlinkFollow) {
    uint16_t err = kSuccess;
    const int fd = open_path(ctx, c, c.u32(0), c.u32(2), c.u32(3), &err);
    if (fd < 0) return err;
    const int r = fstat(fd, &st);
    close(fd);
    if (r != 0) return host_err();
  } else {
    Target t;
    if (uint16_t e = target(ctx, c, c.u32(0), c.u32(2), c.u32(3), t)) return e;
    if (fstatat(t.parent, t.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return host_err();
  }
  return write_filestat(c, c.u32(4), st);
}

uint16_t path_filestat_set_times(Context& ctx, Call& c) {
  struct timespec ts[2];
  if (uint16_t e = timespecs(c.u64(4), c.u64(5), c.u32(6), ts)) return e;
  if (c.u32(1) & kLookupSymlinkFollow) {
    uint16_t err = kSuccess;
    const int fd = open_path(ctx, c, c.u32(0), c.u32(2), c.u32(3), &err);
    if (fd < 0) return err;
    // O_PATH descriptors cannot be passed to futimens; the /proc path of the descriptor can.
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    const int r = utimensat(AT_FDCWD, proc.c_str(), ts, 0);
    close(fd);
    return r != 0 ? host_err() : kSuccess;
  }
  Target t;
  if (uint16_t e = target(ctx, c, c.u32(0), c.u32(2), c.u32(3), t)) return e;
  return utimensat(t.parent, t.name.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0 ? host_err() : kSuccess;
}

uint16_t path_link(Context& ctx, Call& c) {
  Target to;
  if (uint16_t e = target(ctx, c, c.u32(4), c.u32(5), c.u32(6), to)) return e;
  if (c.u32(1) & kLookupSymlinkFollow) {
    uint16_t err = kSuccess;
    const int fd = open_path(ctx, c, c.u32(0), c.u32(2), c.u32(3), &err);
    if (fd < 0) return err;
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    const int r = linkat(AT_FDCWD, proc.c_str(), to.parent, to.name.c_str(), AT_SYMLINK_FOLLOW);
    close(fd);
    return r != 0 ? host_err() : kSuccess;
  }
  Target from;
  if (uint16_t e = target(ctx, c, c.u32(0), c.u32(2), c.u32(3), from)) return e;
  return linkat(from.parent, from.name.c_str(), to.parent, to.name.c_str(), 0) != 0 ? host_err() : kSuccess;
}

uint16_t path_rename(Context& ctx, Call& c) {
  Target from, to;
  if (uint16_t e = target(ctx, c, c.u32(0), c.u32(1), c.u32(2), from)) return e;
  if (uint16_t e = target(ctx, c, c.u32(3), c.u32(4), c.u32(5), to)) return e;
  return renameat(from.parent, from.name.c_str(), to.parent, to.name.c_str()) != 0 ? host_err() : kSuccess;
}

uint16_t path_symlink(Context& ctx, Call& c) {
  std::string contents;
  if (uint16_t e = c.path(c.u32(0), c.u32(1), contents)) return e;
  Target t;
  if (uint16_t e = target(ctx, c, c.u32(2), c.u32(3), c.u32(4), t)) return e;
  // The link may say anything; following it later is again confined to the sandbox.
  return symlinkat(contents.c_str(), t.parent, t.name.c_str()) != 0 ? host_err() : kSuccess;
}

uint16_t path_readlink(Context& ctx, Call& c) {
  Target t;
  if (uint16_t e = target(ctx, c, c.u32(0), c.u32(1), c.u32(2), t)) return e;
  const uint32_t buf = c.u32(3), len = c.u32(4), used = c.u32(5);
  if (!c.in(buf, len) || !c.in(used, 4)) return kFault;
  char tmp[4096];
  const ssize_t n = readlinkat(t.parent, t.name.c_str(), tmp, sizeof tmp);
  if (n < 0) return host_err();
  const uint32_t copied = static_cast<uint32_t>(n) < len ? static_cast<uint32_t>(n) : len;
  std::memcpy(c.mem.data() + buf, tmp, copied);
  c.store<uint32_t>(used, copied);
  return kSuccess;
}

}  // namespace

const FunctionDef kPathFunctions[] = {
    {"path_open", "iiiiiIIii", true, path_open},
    {"path_create_directory", "iii", true, path_create_directory},
    {"path_remove_directory", "iii", true, path_remove_directory},
    {"path_unlink_file", "iii", true, path_unlink_file},
    {"path_filestat_get", "iiiii", true, path_filestat_get},
    {"path_filestat_set_times", "iiiiIIi", true, path_filestat_set_times},
    {"path_link", "iiiiiii", true, path_link},
    {"path_rename", "iiiiii", true, path_rename},
    {"path_symlink", "iiiii", true, path_symlink},
    {"path_readlink", "iiiiii", true, path_readlink},
};
const size_t kNumPathFunctions = sizeof(kPathFunctions) / sizeof(kPathFunctions[0]);

}  // namespace atl::wasi
