// The bundled example guest: an ordinary C program for wasm32-wasi. It greets, then writes and
// reads back a file in the one directory it was granted.
//   clang-19 --target=wasm32-wasi --sysroot=/usr -O2 examples/hello/hello.c -o hello.wasm
//   mkdir -p data && build/atoll run --dir data::. hello.wasm world
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  const char* who = argc > 1 ? argv[1] : "lagoon";
  printf("hello from an atoll, %s!\n", who);
  FILE* f = fopen("guestbook.txt", "a");
  if (!f) {
    perror("guestbook.txt (grant a directory with --dir DIR::.)");
    return 1;
  }
  fprintf(f, "%s was here\n", who);
  fclose(f);
  f = fopen("guestbook.txt", "r");
  char line[128];
  int visits = 0;
  while (fgets(line, sizeof line, f)) ++visits;
  fclose(f);
  printf("the guestbook in the granted directory has %d entr%s\n", visits, visits == 1 ? "y" : "ies");
  FILE* outside = fopen("../escape.txt", "w");
  printf("writing outside the granted directory: %s\n", outside ? "allowed (bug!)" : "refused");
  return outside ? 1 : 0;
}
