// libFuzzer target: atoll serve's TOML configuration (server/config.cpp). Never a crash; a
// configuration that parses has routes, each with a path starting with / and a module.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = atl::server::parse_config(text, "fuzz.toml", "/base");
  if (!c.ok()) {
    if (c.error().message.rfind("fuzz.toml", 0) != 0) __builtin_trap();  // errors name the file
    return 0;
  }
  if (c->routes.empty()) __builtin_trap();
  for (const auto& r : c->routes) {
    if (r.path.empty() || r.path[0] != '/' || r.module.empty()) __builtin_trap();
  }
  return 0;
}
