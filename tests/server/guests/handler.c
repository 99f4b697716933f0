// A WAGI handler with one behaviour per path, for tests/server/serve_test.sh.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char** environ;
static int counter;          // state that must not survive into the next request
static char scratch[4096];

static void header(const char* type) { printf("Content-Type: %s\n\n", type); }

int main(int argc, char** argv) {
  const char* path = getenv("PATH_INFO");
  if (!path) path = "/";
  if (!strcmp(path, "/env")) {
    header("text/plain");
    for (char** e = environ; *e; ++e) printf("%s\n", *e);
    for (int i = 0; i < argc; ++i) printf("argv[%d]=%s\n", i, argv[i]);
  } else if (!strcmp(path, "/echo")) {
    header("application/octet-stream");
    char buf[4096];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) fwrite(buf, 1, (size_t)n, stdout);
  } else if (!strcmp(path, "/binary")) {
    header("application/octet-stream");
    for (int i = 0; i < 256; ++i) putchar(i);
  } else if (!strcmp(path, "/status")) {
    printf("Status: 418 I'm a teapot\nX-Custom: yes\nContent-Length: 99999\nTransfer-Encoding: chunked\n"
           "Connection: upgrade\nContent-Type: text/plain\n\nshort and stout\n");
  } else if (!strcmp(path, "/interim")) {
    printf("Status: 101 Switching Protocols\nUpgrade: h2c\n\n");
  } else if (!strcmp(path, "/nocontent")) {
    printf("Status: 204 No Content\nContent-Type: text/plain\n\nignored body\n");
  } else if (!strcmp(path, "/redirect")) {
    printf("Location: /elsewhere\n\n");
  } else if (!strcmp(path, "/noheader")) {
    printf("just text, no header block\n");
  } else if (!strcmp(path, "/trap")) {
    fprintf(stderr, "about to trap\n");
    fflush(stderr);
    __builtin_trap();
  } else if (!strcmp(path, "/loop")) {
    volatile unsigned x = 0;
    for (;;) x++;
  } else if (!strcmp(path, "/sleep")) {
    // QUERY_STRING "ms=N": sleeps N ms (poll_oneoff on a clock), then says how long it slept.
    const char* q = getenv("QUERY_STRING");
    long ms = q && !strncmp(q, "ms=", 3) ? atol(q + 3) : 100;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    usleep((useconds_t)(ms * 1000));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    header("text/plain");
    printf("slept %ld ms\n", (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
  } else if (!strcmp(path, "/read")) {
    // QUERY_STRING: a file to print (only what the route's dirs grant is there).
    const char* q = getenv("QUERY_STRING");
    FILE* f = q ? fopen(q, "r") : NULL;
    header("text/plain");
    if (!f) {
      printf("missing %s\n", q ? q : "");
    } else {
      char buf[256];
      size_t n = fread(buf, 1, sizeof buf, f);
      fwrite(buf, 1, n, stdout);
      fclose(f);
    }
  } else if (!strcmp(path, "/bomb")) {
    static char* volatile keep;  // the compiler must not drop the allocations
    for (;;) {
      char* p = malloc(1 << 20);
      if (!p) __builtin_trap();  // out of memory past the limit: a trap
      memset(p, 1, 1 << 20);
      keep = p;
    }
  } else if (!strcmp(path, "/big")) {
    header("text/plain");
    for (int i = 0; i < 100000; ++i) printf("%08d this line makes the response too large\n", i);
  } else if (!strcmp(path, "/state")) {
    header("text/plain");
    FILE* f = fopen("/scratch/left-over", "r");
    printf("counter %d scratch '%s' file %s\n", counter, scratch, f ? "present" : "absent");
    if (f) fclose(f);
    counter++;
    strcpy(scratch, "dirty");
    f = fopen("/scratch/left-over", "w");
    if (f) fclose(f);
  } else {
    header("text/plain");
    printf("hello from %s\n", argv[0]);
  }
  return 0;
}
