// Finding 3: "." and "..", empty and trailing-slash last components never reach above the
// preopened directory, in any path_* function. Run with the preopen at box/, where box/sub is a
// directory, box/file a file and box/out a symlink to ../outside; the runner checks that nothing
// outside box/ changed.
#include "check.h"

static __wasi_errno_t stat_of(__wasi_fd_t dir, __wasi_lookupflags_t flags, const char* path, __wasi_filestat_t* st) {
  return __wasi_path_filestat_get(dir, flags, path, st);
}

static const char* kEscapes[] = {"..", "../", "sub/../..", "sub/../../", "./..", "sub/..//..", "../outside",
                                 "out/.", "out/..", "/", "/etc", "sub/../../outside/secret"};
#define N (sizeof kEscapes / sizeof kEscapes[0])

int main(void) {
  __wasi_filestat_t st;
  for (size_t i = 0; i < N; ++i) {
    const char* p = kEscapes[i];
    char name[96];
#define ESC(what, call)                                                      \
  do {                                                                       \
    const __wasi_errno_t r = (call);                                         \
    snprintf(name, sizeof name, "%s(\"%s\") is refused", what, p);           \
    CHECK(name, r == __WASI_ERRNO_NOTCAPABLE || r == __WASI_ERRNO_PERM);     \
  } while (0)
    ESC("path_filestat_get", stat_of(DIR, 0, p, &st));
    ESC("path_filestat_get follow", stat_of(DIR, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, p, &st));
    ESC("path_filestat_set_times", __wasi_path_filestat_set_times(DIR, 0, p, 0, 1000000000ull, __WASI_FSTFLAGS_MTIM));
    ESC("path_filestat_set_times follow",
        __wasi_path_filestat_set_times(DIR, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, p, 0, 1000000000ull, __WASI_FSTFLAGS_MTIM));
    ESC("path_create_directory", __wasi_path_create_directory(DIR, p));
    ESC("path_remove_directory", __wasi_path_remove_directory(DIR, p));
    ESC("path_unlink_file", __wasi_path_unlink_file(DIR, p));
    ESC("path_rename from", __wasi_path_rename(DIR, p, DIR, "renamed"));
    ESC("path_rename to", __wasi_path_rename(DIR, "file", DIR, p));
    ESC("path_link to", __wasi_path_link(DIR, 0, "file", DIR, p));
    ESC("path_symlink at", __wasi_path_symlink("file", DIR, p));
    char buf[64];
    __wasi_size_t n;
    ESC("path_readlink", __wasi_path_readlink(DIR, p, (uint8_t*)buf, sizeof buf, &n));
    __wasi_fd_t fd;
    ESC("path_open", __wasi_path_open(DIR, 0, p, 0, 0, 0, 0, &fd));
  }
  // "out/" names the symlink's target for stat-like calls (refused: it is outside) and the
  // symlink itself, which is not a directory, for the rest (Linux's errnos; nothing outside
  // changes, which the runner checks).
  CHECK("stat \"out/\" is refused", stat_of(DIR, 0, "out/", &st) == __WASI_ERRNO_NOTCAPABLE);
  CHECK("set_times \"out/\" is refused",
        __wasi_path_filestat_set_times(DIR, 0, "out/", 0, 1000000000ull, __WASI_FSTFLAGS_MTIM) == __WASI_ERRNO_NOTCAPABLE);
  CHECK("mkdir \"out/\" is EEXIST", __wasi_path_create_directory(DIR, "out/") == __WASI_ERRNO_EXIST);
  CHECK("rmdir \"out/\" is ENOTDIR", __wasi_path_remove_directory(DIR, "out/") == __WASI_ERRNO_NOTDIR);
  CHECK("unlink \"out/\" fails", __wasi_path_unlink_file(DIR, "out/") != 0);
  CHECK("rename \"out/\" fails", __wasi_path_rename(DIR, "out/", DIR, "x") != 0);
  {
    char b[8];
    __wasi_size_t n;
    __wasi_fd_t fd;
    CHECK("readlink \"out/\" is refused", __wasi_path_readlink(DIR, "out/", (uint8_t*)b, sizeof b, &n) == __WASI_ERRNO_NOTCAPABLE);
    CHECK("open \"out/\" is refused", __wasi_path_open(DIR, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "out/", 0, 0, 0, 0, &fd) ==
                                           __WASI_ERRNO_NOTCAPABLE);
  }
  // The same names inside the sandbox work, with Linux's answers.
  CHECK("stat \".\"", stat_of(DIR, 0, ".", &st) == 0 && st.filetype == __WASI_FILETYPE_DIRECTORY);
  CHECK("stat \"sub/..\" is the preopen", stat_of(DIR, 0, "sub/..", &st) == 0 && st.filetype == __WASI_FILETYPE_DIRECTORY);
  CHECK("stat \"sub/\"", stat_of(DIR, 0, "sub/", &st) == 0 && st.filetype == __WASI_FILETYPE_DIRECTORY);
  CHECK("stat \"file/\" is ENOTDIR", stat_of(DIR, 0, "file/", &st) == __WASI_ERRNO_NOTDIR);
  CHECK("stat \"\" is ENOENT", stat_of(DIR, 0, "", &st) == __WASI_ERRNO_NOENT);
  CHECK("set_times \"sub/..\"", __wasi_path_filestat_set_times(DIR, 0, "sub/..", 0, 0, __WASI_FSTFLAGS_MTIM_NOW) == 0);
  CHECK("mkdir \"sub/..\" is EEXIST", __wasi_path_create_directory(DIR, "sub/..") == __WASI_ERRNO_EXIST);
  CHECK("mkdir \"new/\"", __wasi_path_create_directory(DIR, "new/") == 0);
  CHECK("rmdir \"new/.\" is EINVAL", __wasi_path_remove_directory(DIR, "new/.") == __WASI_ERRNO_INVAL);
  CHECK("rmdir \"new/\"", __wasi_path_remove_directory(DIR, "new/") == 0);
  CHECK("rmdir \"file/\" is ENOTDIR", __wasi_path_remove_directory(DIR, "file/") == __WASI_ERRNO_NOTDIR);
  CHECK("unlink \"sub/..\" is EISDIR", __wasi_path_unlink_file(DIR, "sub/..") == __WASI_ERRNO_ISDIR);
  CHECK("unlink \"file/\" is ENOTDIR", __wasi_path_unlink_file(DIR, "file/") == __WASI_ERRNO_NOTDIR);
  CHECK("unlink \"sub/\" is EISDIR", __wasi_path_unlink_file(DIR, "sub/") == __WASI_ERRNO_ISDIR);
  CHECK("link to \"l/\" is ENOENT", __wasi_path_link(DIR, 0, "file", DIR, "l/") == __WASI_ERRNO_NOENT);
  CHECK("link from \"file/\" is ENOTDIR", __wasi_path_link(DIR, 0, "file/", DIR, "l") == __WASI_ERRNO_NOTDIR);
  CHECK("link following symlinks is EINVAL",
        __wasi_path_link(DIR, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "file", DIR, "l") == __WASI_ERRNO_INVAL);
  CHECK("symlink at \"dangling/\" is ENOENT", __wasi_path_symlink("x", DIR, "dangling/") == __WASI_ERRNO_NOENT);
  CHECK("symlink at \"file/\" is ENOTDIR", __wasi_path_symlink("x", DIR, "file/") == __WASI_ERRNO_NOTDIR);
  CHECK("symlink at \"sub/\" is EEXIST", __wasi_path_symlink("x", DIR, "sub/") == __WASI_ERRNO_EXIST);
  CHECK("symlink with an absolute target is refused", __wasi_path_symlink("/etc/passwd", DIR, "abs") != 0 &&
                                                          stat_of(DIR, 0, "abs", &st) == __WASI_ERRNO_NOENT);
  char buf[64];
  __wasi_size_t n;
  CHECK("readlink \"out\" reads the link", __wasi_path_readlink(DIR, "out", (uint8_t*)buf, sizeof buf, &n) == 0 &&
                                               n == 10 && memcmp(buf, "../outside", 10) == 0);
  CHECK("readlink \"sub/\" is EINVAL", __wasi_path_readlink(DIR, "sub/", (uint8_t*)buf, sizeof buf, &n) == __WASI_ERRNO_INVAL);
  CHECK("rename \"sub/..\" is EBUSY", __wasi_path_rename(DIR, "sub/..", DIR, "x") == __WASI_ERRNO_BUSY);
  CHECK("rename \"file/\" is ENOTDIR", __wasi_path_rename(DIR, "file/", DIR, "x") == __WASI_ERRNO_NOTDIR);
  CHECK("rename \"sub/\" to \"sub2/\"", __wasi_path_rename(DIR, "sub/", DIR, "sub2/") == 0 &&
                                            __wasi_path_rename(DIR, "sub2", DIR, "sub") == 0);
  static char huge[(1 << 20) + 1];
  memset(huge, 'a', 1 << 20);
  CHECK("a megabyte path is ENAMETOOLONG", __wasi_path_create_directory(DIR, huge) == __WASI_ERRNO_NAMETOOLONG);
  __wasi_fd_t fd;
  CHECK("open \"file/\" is ENOTDIR", __wasi_path_open(DIR, 0, "file/", 0, 0, 0, 0, &fd) == __WASI_ERRNO_NOTDIR);
  CHECK("open \"sub/\"", __wasi_path_open(DIR, 0, "sub/", 0, 0, 0, 0, &fd) == 0 && __wasi_fd_close(fd) == 0);
  fflush(stdout);
  return failures ? 1 : 0;
}
