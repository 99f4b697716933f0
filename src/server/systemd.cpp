#include "server/systemd.h"

#include <dlfcn.h>
#include <systemd/sd-daemon.h>  // declarations only: the functions come from dlopen

#include <cerrno>
#include <cstdlib>

namespace atl::server::systemd {
namespace {

struct Library {
  decltype(&sd_notify) notify = nullptr;
  decltype(&sd_listen_fds_with_names) listen_fds_with_names = nullptr;
  decltype(&sd_is_socket) is_socket = nullptr;

  Library() {
    void* h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!h) return;
    auto* n = reinterpret_cast<decltype(&sd_notify)>(dlsym(h, "sd_notify"));
    auto* l = reinterpret_cast<decltype(&sd_listen_fds_with_names)>(dlsym(h, "sd_listen_fds_with_names"));
    auto* s = reinterpret_cast<decltype(&sd_is_socket)>(dlsym(h, "sd_is_socket"));
    if (!n || !l || !s) return;  // not the library we know: as if absent (kept loaded)
    notify = n;
    listen_fds_with_names = l;
    is_socket = s;
  }
};

const Library& library() {
  static const Library lib;
  return lib;
}

}  // namespace

int notify(const char* state) {
  const Library& lib = library();
  return lib.notify ? lib.notify(0, state) : 0;
}

int listen_fds_with_names(char*** names) {
  *names = nullptr;
  const Library& lib = library();
  if (lib.listen_fds_with_names) return lib.listen_fds_with_names(1, names);
  return std::getenv("LISTEN_FDS") ? -ENOSYS : 0;
}

int is_socket(int fd, int family, int type, int listening) {
  const Library& lib = library();
  return lib.is_socket ? lib.is_socket(fd, family, type, listening) : -ENOSYS;
}

}  // namespace atl::server::systemd
