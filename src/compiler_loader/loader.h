// What the loader tells its users beyond atl::compile (atoll.h).
#pragma once

#include <string>

namespace atl::compiler_loader {

// Which compiler plugin a compile would load, as "SIZE-MTIME_NS-INODE" of its file (or "none"):
// part of the CLI's cache key, so artifacts another build of the compiler made (before an
// upgrade, in a rebuilt tree) are not reused. One stat; the plugin is not loaded.
std::string plugin_identity();

}  // namespace atl::compiler_loader
