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
  c.features = flags.features;
  c.compile_timeout_ms = static_cast<uint32_t>(flags.compile_timeout_s * 1000);
  c.compile_memory_limit = flags.compile_memory_mib << 20;
  return c;
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
  auto written = write_file_atomically(output, *artifact);
  if (!written.ok()) {
    std::fprintf(stderr, "atoll: %s\n", written.error().message.c_str());
    return 1;
  }
  return 0;
}

}  // namespace atl::cli
