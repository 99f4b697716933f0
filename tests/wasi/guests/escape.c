// Every way out of the sandbox, through the raw WASI calls (so nothing in wasi-libc can stop it
// first). Run with one preopen (fd 3) containing: inside.txt, sub/, link_out -> ../outside,
// abs_link -> /etc, and with ../outside/secret.txt next to the preopened directory.
// Prints one line per attempt: the call and the WASI errno it got (76 = ENOTCAPABLE).
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define DIR 3
static const __wasi_rights_t kRead = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK;

static void report(const char* what, __wasi_errno_t e) { printf("%-44s errno %u\n", what, (unsigned)e); }

static __wasi_errno_t try_open(const char* path, __wasi_lookupflags_t follow) {
  __wasi_fd_t fd;
  __wasi_errno_t e = __wasi_path_open(DIR, follow, path, 0, kRead, kRead, 0, &fd);
  if (e == 0) (void)!__wasi_fd_close(fd);
  return e;
}

int main(void) {
  __wasi_filestat_t st;
  report("open inside.txt", try_open("inside.txt", 0));
  report("open sub/../inside.txt", try_open("sub/../inside.txt", 0));
  report("open ../outside/secret.txt", try_open("../outside/secret.txt", 0));
  report("open sub/../../outside/secret.txt", try_open("sub/../../outside/secret.txt", 0));
  report("open /etc/passwd", try_open("/etc/passwd", 0));
  report("open link_out/secret.txt (follow)", try_open("link_out/secret.txt", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW));
  report("open link_out/secret.txt (nofollow)", try_open("link_out/secret.txt", 0));
  report("open abs_link/passwd (follow)", try_open("abs_link/passwd", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW));
  report("open link_out (follow)", try_open("link_out", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW));
  report("stat link_out (follow)", __wasi_path_filestat_get(DIR, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link_out", &st));
  report("stat link_out (nofollow: the link itself)", __wasi_path_filestat_get(DIR, 0, "link_out", &st));
  report("stat ../outside", __wasi_path_filestat_get(DIR, 0, "../outside", &st));
  report("mkdir ../escaped", __wasi_path_create_directory(DIR, "../escaped"));
  report("mkdir link_out/escaped", __wasi_path_create_directory(DIR, "link_out/escaped"));
  report("unlink ../outside/secret.txt", __wasi_path_unlink_file(DIR, "../outside/secret.txt"));
  report("unlink link_out/secret.txt", __wasi_path_unlink_file(DIR, "link_out/secret.txt"));
  report("rmdir ../outside", __wasi_path_remove_directory(DIR, "../outside"));
  report("rename inside.txt -> ../moved.txt", __wasi_path_rename(DIR, "inside.txt", DIR, "../moved.txt"));
  report("rename ../outside/secret.txt -> stolen.txt", __wasi_path_rename(DIR, "../outside/secret.txt", DIR, "stolen.txt"));
  report("rename inside.txt -> link_out/moved.txt", __wasi_path_rename(DIR, "inside.txt", DIR, "link_out/moved.txt"));
  report("link ../outside/secret.txt -> hard.txt", __wasi_path_link(DIR, 0, "../outside/secret.txt", DIR, "hard.txt"));
  report("link link_out/secret.txt -> hard.txt", __wasi_path_link(DIR, 0, "link_out/secret.txt", DIR, "hard.txt"));
  report("link (follow) link_out -> hard", __wasi_path_link(DIR, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link_out", DIR, "hard"));
  report("link inside.txt -> ../hard.txt", __wasi_path_link(DIR, 0, "inside.txt", DIR, "../hard.txt"));
  report("symlink x -> ../planted", __wasi_path_symlink("x", DIR, "../planted"));
  report("symlink ../outside -> new_link (created)", __wasi_path_symlink("../outside", DIR, "new_link"));
  report("open new_link/secret.txt (follow)", try_open("new_link/secret.txt", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW));
  char buf[64];
  __wasi_size_t n = 0;
  report("readlink ../outside", __wasi_path_readlink(DIR, "../outside", (uint8_t*)buf, sizeof buf, &n));
  report("set times ../outside/secret.txt", __wasi_path_filestat_set_times(DIR, 0, "../outside/secret.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  report("fd 0..2 are stdio, fd 4 is nothing", __wasi_fd_close(4));
  __wasi_prestat_t pre;
  report("prestat of stdout (not a preopen)", __wasi_fd_prestat_get(1, &pre));
  return 0;
}
