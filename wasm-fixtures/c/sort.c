/* qsort with a comparator called through a function pointer, and a
 * hand-written recursive merge sort; both must agree.
 * usage: sort [N [SEED]]  (defaults: N = 200, SEED = 1) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static unsigned lcg_state;

NOINLINE static unsigned next_rand(void) {
  lcg_state = lcg_state * 1103515245u + 12345u;
  return (lcg_state >> 8) & 0xffff;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

NOINLINE static void merge(int *a, int *tmp, int lo, int mid, int hi) {
  int i = lo, j = mid, k = lo;
  while (i < mid && j < hi) tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
  while (i < mid) tmp[k++] = a[i++];
  while (j < hi) tmp[k++] = a[j++];
  memcpy(a + lo, tmp + lo, (size_t)(hi - lo) * sizeof(int));
}

NOINLINE static void merge_sort(int *a, int *tmp, int lo, int hi) {
  if (hi - lo < 2) return;
  int mid = lo + (hi - lo) / 2;
  merge_sort(a, tmp, lo, mid);
  merge_sort(a, tmp, mid, hi);
  merge(a, tmp, lo, mid, hi);
}

NOINLINE static unsigned checksum(const int *a, int n) {
  unsigned h = 0;
  for (int i = 0; i < n; i++) h = h * 31u + (unsigned)a[i];
  return h;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200;
  lcg_state = argc > 2 ? (unsigned)atoi(argv[2]) : 1u;
  if (n < 1) n = 1;
  int *a = malloc((size_t)n * sizeof(int));
  int *b = malloc((size_t)n * sizeof(int));
  int *tmp = malloc((size_t)n * sizeof(int));
  if (!a || !b || !tmp) return 2;
  for (int i = 0; i < n; i++) a[i] = b[i] = (int)next_rand() - 32768;

  qsort(a, (size_t)n, sizeof(int), cmp_int);
  merge_sort(b, tmp, 0, n);

  int same = memcmp(a, b, (size_t)n * sizeof(int)) == 0;
  printf("n=%d min=%d max=%d median=%d checksum=%08x %s\n", n, a[0], a[n - 1], a[n / 2], checksum(a, n),
         same ? "agree" : "DISAGREE");
  free(tmp);
  free(b);
  free(a);
  return same ? 0 : 1;
}
