/* A few functions, printf, and exit code 3.
 * usage: hello [NAME [N]]  -> greets NAME (default "world"), prints 1^2 + ... + N^2 (default N = 4) */
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

NOINLINE static int square(int x) { return x * x; }

NOINLINE static int sum_squares(int n) {
  int s = 0;
  for (int i = 1; i <= n; i++) s += square(i);
  return s;
}

NOINLINE static void greet(const char *who) { printf("hello, %s\n", who); }

int main(int argc, char **argv) {
  greet(argc > 1 ? argv[1] : "world");
  int n = argc > 2 ? atoi(argv[2]) : 4;
  printf("sum of squares 1..%d = %d\n", n, sum_squares(n));
  return 3;
}
