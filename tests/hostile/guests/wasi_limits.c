// Finding 8: a guest cannot hold more descriptors than its cap (EMFILE), and the flags it sets
// on the host's stdio stay its own. Run with --dir box (containing "file").
#include <fcntl.h>

#include "check.h"

int main(void) {
  __wasi_fd_t fd;
  int opened = 0;
  __wasi_errno_t last = 0;
  for (int i = 0; i < 100000; ++i) {
    last = __wasi_path_open(DIR, 0, "file", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    if (last != 0) break;
    ++opened;
  }
  printf("opened %d descriptors\n", opened);
  CHECK("opening stops at the cap with EMFILE", last == __WASI_ERRNO_MFILE && opened > 0 && opened < 100000);
  CHECK("closing one makes room for one", __wasi_fd_close(fd) == 0 &&
                                              __wasi_path_open(DIR, 0, "file", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd) == 0 &&
                                              __wasi_path_open(DIR, 0, "file", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd) ==
                                                  __WASI_ERRNO_MFILE);
  __wasi_fdstat_t st;
  for (__wasi_fd_t s = 0; s < 3; ++s) {
    char name[64];
    snprintf(name, sizeof name, "fd %u: NONBLOCK|APPEND recorded", s);
    CHECK(name, __wasi_fd_fdstat_set_flags(s, __WASI_FDFLAGS_NONBLOCK | __WASI_FDFLAGS_APPEND) == 0 &&
                    __wasi_fd_fdstat_get(s, &st) == 0 &&
                    st.fs_flags == (__WASI_FDFLAGS_NONBLOCK | __WASI_FDFLAGS_APPEND));
  }
  fflush(stdout);
  return failures ? 1 : 0;
}
