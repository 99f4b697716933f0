// The `spectest` host module the official scripts import: print functions (no-ops), globals
// holding 666, a funcref table of 10..20 elements and a memory of 1..2 pages.
#pragma once

#include <map>
#include <string>

#include "runtime/objects.h"

namespace atl::wast {

std::map<std::string, runtime::Extern> make_spectest(runtime::BoundsMode mode);

}  // namespace atl::wast
