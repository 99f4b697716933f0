// A WASI command for tests/capi/extensions.c: writes its arguments, one variable and its stdin
// to /out/result.txt, then exits with status 7.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  FILE* f = fopen("/out/result.txt", "w");
  if (!f) return 1;
  for (int i = 0; i < argc; ++i) fprintf(f, "%s;", argv[i]);
  const char* v = getenv("COLOR");
  fprintf(f, "COLOR=%s;", v ? v : "(none)");
  int c;
  while ((c = getchar()) != EOF) fputc(c, f);
  fclose(f);
  exit(7);
}
