// libsystemd (sd_notify, socket activation), loaded with dlopen the first time `atoll serve`
// needs it rather than linked: linking it made every atoll process, `atoll run` included, load
// it and six libraries it depends on (libgcrypt, liblzma, libzstd, liblz4, libcap, libgpg-error),
// about 0.7 ms of a 3.3 ms warm run of a WASI hello world.
#pragma once

namespace atl::server::systemd {

// sd_notify(0, state): 0 when libsystemd is not installed (nothing to notify without it).
int notify(const char* state);
// sd_listen_fds_with_names(1, names); -ENOSYS when systemd passed sockets (LISTEN_FDS) but
// libsystemd is not installed, 0 when it passed none.
int listen_fds_with_names(char*** names);
// sd_is_socket; only called for descriptors listen_fds_with_names returned.
int is_socket(int fd, int family, int type, int listening);

}  // namespace atl::server::systemd
