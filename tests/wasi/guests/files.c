// An ordinary C program (files, directories, links, args, environment, clocks, random, exit
// code) whose output must be the same natively and under `atoll run`. It works in its current
// directory: natively a fresh temporary directory, under atoll a fresh directory granted as ".".
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char* err_name(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EISDIR: return "EISDIR";
    case ENOTDIR: return "ENOTDIR";
    case EBADF: return "EBADF";
    default: return "other";
  }
}
static int cmp(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

int main(int argc, char** argv) {
  printf("args:");
  for (int i = 1; i < argc; ++i) printf(" [%s]", argv[i]);
  printf("\nGREETING=%s\n", getenv("GREETING") ? getenv("GREETING") : "(unset)");

  printf("mkdir work: %d\n", mkdir("work", 0755));
  FILE* f = fopen("work/a.txt", "w");
  for (int i = 0; i < 100; ++i) fprintf(f, "line %03d\n", i);
  fclose(f);
  struct stat st;
  stat("work/a.txt", &st);
  printf("size %lld regular %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
  char line[64];
  f = fopen("work/a.txt", "r");
  fseek(f, 90, SEEK_SET);
  printf("at 90: %s", fgets(line, sizeof line, f));
  printf("tell %ld\n", ftell(f));
  fclose(f);
  f = fopen("work/a.txt", "a");
  fputs("tail\n", f);
  fclose(f);
  stat("work/a.txt", &st);
  printf("appended size %lld\n", (long long)st.st_size);
  printf("truncate %d\n", truncate("work/a.txt", 10));
  stat("work/a.txt", &st);
  printf("truncated size %lld\n", (long long)st.st_size);

  printf("rename %d\n", rename("work/a.txt", "work/b.txt"));
  printf("old name: %d %s\n", access("work/a.txt", F_OK), err_name(errno));
  printf("symlink %d\n", symlink("b.txt", "work/link"));
  char target[64] = {0};
  printf("readlink %zd %s\n", readlink("work/link", target, sizeof target - 1), target);
  lstat("work/link", &st);
  printf("lstat is link %d\n", S_ISLNK(st.st_mode));
  stat("work/link", &st);
  printf("stat through link: size %lld\n", (long long)st.st_size);
  printf("link %d\n", link("work/b.txt", "work/hard"));
  stat("work/b.txt", &st);
  printf("nlink %lu\n", (unsigned long)st.st_nlink);

  mkdir("work/sub", 0755);
  for (int i = 3; i > 0; --i) {
    char name[32];
    snprintf(name, sizeof name, "work/sub/x%d", i);
    close(open(name, O_CREAT | O_WRONLY, 0644));
  }
  DIR* d = opendir("work/sub");
  char* names[16];
  int n = 0;
  for (struct dirent* e; (e = readdir(d)) && n < 16;) {
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof names[0], cmp);
  printf("listing:");
  for (int i = 0; i < n; ++i) {
    printf(" %s", names[i]);
    free(names[i]);
  }
  printf("\n");
  printf("rmdir non-empty: %d %s\n", rmdir("work/sub"), err_name(errno));
  for (int i = 1; i <= 3; ++i) {
    char name[32];
    snprintf(name, sizeof name, "work/sub/x%d", i);
    unlink(name);
  }
  printf("rmdir empty: %d\n", rmdir("work/sub"));
  printf("unlink dir: %d %s\n", unlink("work"), err_name(errno));

  int fd = open("work/c.bin", O_CREAT | O_EXCL | O_RDWR, 0644);
  printf("excl again: %d %s\n", open("work/c.bin", O_CREAT | O_EXCL | O_RDWR, 0644), err_name(errno));
  printf("pwrite %zd\n", pwrite(fd, "0123456789", 10, 5));
  char buf[16] = {0};
  printf("pread %zd [%.4s]\n", pread(fd, buf, 4, 8), buf);
  printf("lseek end %lld\n", (long long)lseek(fd, 0, SEEK_END));
  printf("ftruncate %d fsync %d\n", ftruncate(fd, 3), fsync(fd));
  struct timeval tv[2] = {{1234567890, 0}, {1234567890, 0}};
  printf("utimes %d\n", utimes("work/c.bin", tv));
  fstat(fd, &st);
  printf("mtime %lld size %lld\n", (long long)st.st_mtime, (long long)st.st_size);
  close(fd);
  printf("read closed fd: %zd %s\n", read(fd, buf, 1), err_name(errno));

  struct timespec t1, t2;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  clock_gettime(CLOCK_MONOTONIC, &t2);
  printf("monotonic ok %d\n", t2.tv_sec > t1.tv_sec || (t2.tv_sec == t1.tv_sec && t2.tv_nsec >= t1.tv_nsec));
  printf("realtime ok %d\n", time(NULL) > 1600000000);
  unsigned char rnd[16] = {0};
  int any = 0;
  getentropy(rnd, sizeof rnd);
  for (int i = 0; i < 16; ++i) any |= rnd[i];
  printf("random ok %d\n", any != 0);
  printf("missing file: %d %s\n", fopen("nope/x", "r") == NULL, err_name(errno));
  return 7;
}
