// path_* functions. Every path goes through the sandbox (context.h): resolved beneath the
// directory descriptor by the kernel; the operation itself then acts on (parent fd, last name)
// without following a final symlink unless the guest asked to.
//
// The last component needs care, because the kernel resolves it relative to the parent without
// RESOLVE_BENEATH: "." and ".." would name the parent itself or the directory above it, and a
// trailing slash makes stat-like calls follow a final symlink. Such paths are resolved whole
// beneath the directory first, and the operation gets the errno Linux gives for them.
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

uint16_t host_err() { return errno_from_host(errno); }

// A directory descriptor and a path argument, resolved to (parent, name).
struct Target {
  int parent = -1;
  std::string name;       // the last component, trailing slashes kept (the kernel applies their rules)
  std::string path;       // the whole path, as the guest gave it
  bool dots = false;      // the last component is "." or "..": it names a directory, never an entry
  bool trailing = false;  // the path ends in '/'
  int dirfd = -1;         // the guest's directory (not owned)
  ~Target() {
    if (parent >= 0) close(parent);
  }
};

uint16_t target(Context& ctx, Call& c, uint32_t fd_arg, uint32_t ptr, uint32_t len, uint64_t right, Target& t) {
  Fd* fd = ctx.get(fd_arg);
  if (!fd) return kBadf;
  if (fd->type != kDirectory) return kNotdir;
  if (uint16_t e = need_rights(fd, right)) return e;
  if (uint16_t e = c.path(ptr, len, t.path)) return e;
  if (t.path.empty()) return kNoent;
  t.dirfd = fd->host;
  std::string p = t.path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  t.trailing = p.size() != t.path.size();
  const size_t slash = p.rfind('/');
  const std::string last = slash == std::string::npos ? p : p.substr(slash + 1);
  if (last == "." || last == "..") {
    // Must lead to a directory beneath; an escape (".." at the top) is ENOTCAPABLE.
    const int r = open_beneath(fd->host, t.path, O_PATH | O_DIRECTORY, 0);
    if (r < 0) return resolve_errno(r);
    close(r);
    t.dots = true;
    return kSuccess;
  }
  t.name = t.trailing ? last + "/" : last;
  std::string parent = slash == std::string::npos ? "." : p.substr(0, slash);
  if (parent.empty()) parent = "/";  // an absolute path: refused by open_beneath
  t.parent = open_beneath(fd->host, parent, O_PATH | O_DIRECTORY, 0);
  if (t.parent < 0) return resolve_errno(t.parent);
  return kSuccess;
}

// The whole path opened as O_PATH beneath the directory (following symlinks, also the last one
// unless `follow` is false), for stat-like calls.
int open_whole(const Target& t, bool follow, uint16_t* err) {
  const int r = open_beneath(t.dirfd, t.path, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
  if (r < 0) return *err = resolve_errno(r), -1;
  return r;
}

// Stat-like calls act on the entry itself unless following was asked for, or the path can only
// name a directory ("x/", ".", "..": resolved whole, beneath).
bool resolve_whole(const Target& t, uint32_t lookup) {
  return (lookup & kLookupSymlinkFollow) || t.dots || t.trailing;
}

uint16_t path_open(Context& ctx, Call& c) {
  Fd* dir = ctx.get(c.u32(0));
  if (!dir) return kBadf;
  if (dir->type != kDirectory) return kNotdir;
  const uint32_t lookup = c.u32(1);
  const uint32_t oflags = c.u32(4);
  const uint64_t requested = c.u64(5);
  const uint32_t fdflags = c.u32(7);
  const uint32_t out = c.u32(8);
  uint64_t needed = rights::kPathOpen;
  if (oflags & kOflagCreat) needed |= rights::kPathCreateFile;
  if (oflags & kOflagTrunc) needed |= rights::kPathFilestatSetSize;
  if (uint16_t e = need_rights(dir, needed)) return e;
  std::string path;
  if (uint16_t e = c.path(c.u32(2), c.u32(3), path)) return e;
  if (!c.in(out, 4)) return kFault;
  const bool write = requested & rights::kNeedsWrite;
  const bool read = (requested & rights::kNeedsRead) || !write;
  if ((oflags & kOflagDirectory) && write) return kIsdir;
  int flags = (oflags & kOflagDirectory) ? O_RDONLY | O_DIRECTORY : write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (oflags & kOflagCreat) flags |= O_CREAT;
  if (oflags & kOflagExcl) flags |= O_EXCL;
  if (oflags & kOflagTrunc) flags |= O_TRUNC;
  if (fdflags & 1) flags |= O_APPEND;
  if (fdflags & 2) flags |= O_DSYNC;
  if (fdflags & 4) flags |= O_NONBLOCK;
  if (fdflags & 8) flags |= O_RSYNC;
  if (fdflags & 16) flags |= O_SYNC;
  if (!(lookup & kLookupSymlinkFollow)) flags |= O_NOFOLLOW;
  if (ctx.fds.size() >= ctx.max_fds) return kMfile;
  const int fd = open_beneath(dir->host, path, flags, 0666);
  if (fd < 0) return resolve_errno(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return host_err();
  }
  // What this kind of file supports, as far as the directory passes rights on and the access
  // mode allows; a directory passes on what it inherited.
  const uint8_t type = filetype_from_mode(st.st_mode);
  uint64_t base = supported_rights(type) & dir->rights_inheriting;
  if (!read) base &= ~rights::kNeedsRead;
  if (!write) base &= ~rights::kNeedsWrite;
  const uint64_t inheriting = type == kDirectory ? dir->rights_inheriting : 0;
  auto n = ctx.insert(Fd{fd, type, false, true, {}, base, inheriting});
  if (!n) {
    close(fd);
    return kMfile;
  }
  c.store<uint32_t>(out, *n);
  return kSuccess;
}

uint16_t path_create_directory(Context& ctx, Call& c) {
  Target t;
  if (uint16_t e = target(ctx, c, c.u32(0), c.u32(1), c.u32(2), rights::kPathCreateDirectory, t)) return e;
  if (t.dots) return kExist;
  return mkdirat(t.parent, t.name.c_str(), 0777) != 0 ? host_err() : kSuccess;
}

uint16_t path_remove_directory(Context& ctx, Call& c) {
  Target t;
  if (uint16_t e = target(ctx, c, c.u32(0), c.u32(1), c.u32(2), rights::kPathRemoveDirectory, t)) return e;
  if (t.dots) return t.path.ends_with("..") || t.path.ends_with("../") ? kNotempty : kInval;
  return unlinkat(t.parent, t.name.c_str(), AT_REMOVEDIR) != 0 ? host_err() : kSuccess;
}

uint16_t path_unlink_file(Context& ctx, Call& c) {
  Target t;
  if (uint16_t e = target(ctx, c, c.u32(0), c.u32(1), c.u32(2), rights::kPathUnlinkFile, t)) return e;
  if (t.dots) return kIsdir;
  return unlinkat(t.parent, t.name.c_str(), 0) != 0 ? host_err() : kSuccess;
}

uint16_t path_filestat_get(Context& ctx, Call& c) {
  Target t;
  if (uint16_t e = target(ctx, c, c.u32(0), c.u32(2), c.u32(3), rights::kPathFilestatGet, t)) return e;
  struct stat st;
  if (resolve_whole(t, c.u32(1))) {
    uint16_t err = kSuccess;
    const int fd = open_whole(t, true, &err);
    if (fd < 0) return err;
    const int r = fstat(fd, &st);
    close(fd);
    if (r != 0) return host_err();
  } else if (fstatat(t.parent, t.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return host_err();
  }
  return write_filestat(c, c.u32(4), st);
}

uint16_t path_filestat_set_times(Context& ctx, Call& c) {
  struct timespec ts[2];
  if (uint16_t e = timespecs(c.u64(4), c.u64(5), c.u32(6), ts)) return e;
  Target t;
  if (uint16_t e = target(ctx, c, c.u32(0), c.u32(2), c.u32(3), rights::kPathFilestatSetTimes, t)) return e;
  if (resolve_whole(t, c.u32(1))) {
    uint16_t err = kSuccess;
    const int fd = open_whole(t, true, &err);
    if (fd < 0) return err;
    // O_PATH descriptors cannot be passed to futimens; the /proc path of the descriptor can.
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    const int r = utimensat(AT_FDCWD, proc.c_str(), ts, 0);
    close(fd);
    return r != 0 ? host_err() : kSuccess;
  }
  return utimensat(t.parent, t.name.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0 ? host_err() : kSuccess;
}

// Hard links never follow the source's final symlink (Wasmtime refuses the flag: EINVAL).
uint16_t path_link(Context& ctx, Call& c) {
  if (c.u32(1) & kLookupSymlinkFollow) return kInval;
  Target from, to;
  if (uint16_t e = target(ctx, c, c.u32(0), c.u32(2), c.u32(3), rights::kPathLinkSource, from)) return e;
  if (uint16_t e = target(ctx, c, c.u32(4), c.u32(5), c.u32(6), rights::kPathLinkTarget, to)) return e;
  if (from.dots) return kPerm;  // a directory
  if (to.dots) return kExist;
  return linkat(from.parent, from.name.c_str(), to.parent, to.name.c_str(), 0) != 0 ? host_err() : kSuccess;
}

uint16_t path_rename(Context& ctx, Call& c) {
  Target from, to;
  if (uint16_t e = target(ctx, c, c.u32(0), c.u32(1), c.u32(2), rights::kPathRenameSource, from)) return e;
  if (uint16_t e = target(ctx, c, c.u32(3), c.u32(4), c.u32(5), rights::kPathRenameTarget, to)) return e;
  if (from.dots || to.dots) return kBusy;
  return renameat(from.parent, from.name.c_str(), to.parent, to.name.c_str()) != 0 ? host_err() : kSuccess;
}

uint16_t path_symlink(Context& ctx, Call& c) {
  std::string contents;
  if (uint16_t e = c.path(c.u32(0), c.u32(1), contents)) return e;
  Target t;
  if (uint16_t e = target(ctx, c, c.u32(2), c.u32(3), c.u32(4), rights::kPathSymlink, t)) return e;
  // An absolute link could never be followed inside the sandbox; it would only ever point at
  // the host's files for whoever looks at the directory later.
  if (!contents.empty() && contents[0] == '/') return kNotcapable;
  if (t.dots) return kExist;
  if (t.trailing) {
    // "file/": Linux says EEXIST; Wasmtime (the reference) says ENOTDIR for an existing non-directory.
    struct stat st;
    const std::string entry = t.name.substr(0, t.name.find('/'));
    if (fstatat(t.parent, entry.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode)) return kNotdir;
  }
  return symlinkat(contents.c_str(), t.parent, t.name.c_str()) != 0 ? host_err() : kSuccess;
}

uint16_t path_readlink(Context& ctx, Call& c) {
  Target t;
  if (uint16_t e = target(ctx, c, c.u32(0), c.u32(1), c.u32(2), rights::kPathReadlink, t)) return e;
  const uint32_t buf = c.u32(3), len = c.u32(4), used = c.u32(5);
  if (!c.in(buf, len) || !c.in(used, 4)) return kFault;
  if (t.dots || t.trailing) {
    // Names a directory (the kernel would follow "link/" wherever it points): never a link.
    uint16_t err = kSuccess;
    const int fd = open_whole(t, true, &err);
    if (fd < 0) return err;
    close(fd);
    return kInval;
  }
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
