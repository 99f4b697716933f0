// gdb_test.sh debugs this guest through GDB's JIT interface: it breaks on atoll_checksum by name,
// checks the source line it stops at and main's frame below it, breaks on the line marked
// @second by file:line, and steps with `next`. The call goes through a volatile pointer so that
// neither clang nor atoll inlines it: the breakpoint is on the function's own code.
#include <stdio.h>

__attribute__((noinline)) int atoll_checksum(const char *s) {  // @begin
  unsigned h = 2166136261u;
  unsigned n = 0;
  for (; *s; ++s) {
    h = (h ^ (unsigned char)*s) * 16777619u;  // @second
    ++n;
  }
  return (int)((h ^ n) & 0x7fffffff);
}  // @end

int (*volatile checksum_fn)(const char *) = atoll_checksum;

int main(int argc, char **argv) {
  printf("%d\n", checksum_fn(argc > 1 ? argv[1] : "atoll"));  // @call
  return 0;
}
