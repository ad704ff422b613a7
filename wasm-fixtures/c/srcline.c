/* Built with DWARF (-g): the fixture whose functions `--srcline` shows as file:line.
 * usage: srcline [N]  -> prints the clamped sum of the Collatz lengths of 1..N (default N = 6) */
// clang: -O1 -g -gdwarf-5
#include <stdio.h>
#include <stdlib.h>

#include "srcline_util.h"

#define NOINLINE __attribute__((noinline))

NOINLINE static int collatz_step(int n) {
  return n % 2 == 0 ? n / 2 : 3 * n + 1;
}

NOINLINE static int collatz_length(int n) {
  int steps = 0;
  while (n != 1) {
    n = collatz_step(n);
    steps++;
  }
  return steps;
}

NOINLINE static int sum_lengths(int n) {
  int sum = 0;
  for (int i = 1; i <= n; i++) sum += clamp(collatz_length(i), 0, 10);
  return sum;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 6;
  printf("clamped collatz lengths 1..%d: %d\n", n, sum_lengths(n));
  return 0;
}
