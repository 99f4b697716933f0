// A WAGI handler for `atoll serve`: the request arrives in environment variables (and the body on
// stdin); the response is a CGI header block, a blank line and the body, on stdout.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  const char* path = getenv("PATH_INFO");
  const char* query = getenv("QUERY_STRING");
  printf("Content-Type: text/plain\n\n");
  printf("hello from a fresh sandbox: %s %s%s%s\n", getenv("REQUEST_METHOD"), path ? path : "/",
         query && *query ? "?" : "", query ? query : "");
  return 0;
}
