#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "atoll/atoll.h"
#include "commands.h"
#include "support/process.h"

namespace atl::cli {

Config engine_config(const CodegenFlags& flags);

Config engine_config(const CodegenFlags& flags) {
  Config c;
  c.opt_level = flags.opt_level;
  c.bounds = flags.bounds == "explicit" ? BoundsChecks::Explicit : BoundsChecks::GuardPages;
  c.target_cpu = flags.target_cpu;
  c.epoch_interruption = flags.epoch_interruption;
  c.consume_fuel = flags.consume_fuel;
  return c;
}

// Writes through a temporary file and a rename, so a failed write (a full disk, say) never
// leaves a truncated artifact behind under the final name.
static Result<void> write_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) return make_error(ErrorKind::Io, "cannot create " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = n < 0 ? errno : ENOSPC;
      close(fd);
      unlink(tmp.c_str());
      return make_error(ErrorKind::Io, "cannot write " + path + ": " + std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  fchmod(fd, 0644);
  if (fsync(fd) != 0 || close(fd) != 0) {
    const int e = errno;
    unlink(tmp.c_str());
    return make_error(ErrorKind::Io, "cannot write " + path + ": " + std::strerror(e));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    unlink(tmp.c_str());
    return make_error(ErrorKind::Io, "cannot create " + path + ": " + std::strerror(e));
  }
  return {};
}

int compile(const std::string& input, std::string output, const CodegenFlags& flags) {
  auto bytes = read_file(input);
  if (!bytes.ok()) {
    std::fprintf(stderr, "atoll: %s\n", bytes.error().message.c_str());
    return 1;
  }
  if (output.empty()) {
    const size_t dot = input.rfind('.');
    output = (dot == std::string::npos || input.find('/', dot) != std::string::npos ? input : input.substr(0, dot)) + ".atoll";
  }
  Engine engine(engine_config(flags));
  auto artifact = atl::compile(engine, *bytes);
  if (!artifact.ok()) {
    std::fprintf(stderr, "%s: %s\n", input.c_str(), artifact.error().to_string().c_str());
    return 1;
  }
  auto written = write_atomically(output, *artifact);
  if (!written.ok()) {
    std::fprintf(stderr, "atoll: %s\n", written.error().message.c_str());
    return 1;
  }
  return 0;
}

}  // namespace atl::cli
