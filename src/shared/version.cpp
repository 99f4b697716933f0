// The one source file of libatoll.so itself (the rest is the static libraries, whole): the
// library's version, for embedders that load it at run time and want to check what they got.
#include "atoll/atoll.h"

extern "C" ATOLL_API const char* atoll_version(void) { return ATOLL_VERSION_STRING; }
