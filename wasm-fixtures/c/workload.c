/*
 * A call-heavy C workload for the hook-overhead benchmark: a sort (qsort
 * with a comparator through a function pointer, and a merge sort), a hash
 * (small helpers per block), and a tiny bytecode interpreter (a handler per
 * opcode through a table, recursive CALL). `run(n)` does all three and
 * returns a checksum; main() prints run(1) so the module is also a WASI
 * command the differential tests can check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))
#define EXPORT(name) __attribute__((export_name(name)))

static uint32_t rng_state = 12345;
NOINLINE static uint32_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

/* ---- sort ---- */
#define N_SORT 2000
static int32_t data[N_SORT], tmp[N_SORT];

NOINLINE static int cmp_int(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

NOINLINE static void merge(int32_t *a, int lo, int mid, int hi) {
  int i = lo, j = mid, k = lo;
  while (i < mid && j < hi) tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
  while (i < mid) tmp[k++] = a[i++];
  while (j < hi) tmp[k++] = a[j++];
  for (k = lo; k < hi; k++) a[k] = tmp[k];
}

NOINLINE static void merge_sort(int32_t *a, int lo, int hi) {
  if (hi - lo < 2) return;
  int mid = (lo + hi) / 2;
  merge_sort(a, lo, mid);
  merge_sort(a, mid, hi);
  merge(a, lo, mid, hi);
}

NOINLINE static uint32_t bench_sort(void) {
  for (int i = 0; i < N_SORT; i++) data[i] = (int32_t)(rng() % 100000);
  qsort(data, N_SORT, sizeof data[0], cmp_int);
  uint32_t sum = (uint32_t)data[0] + (uint32_t)data[N_SORT - 1];
  for (int i = 0; i < N_SORT; i++) data[i] = (int32_t)(rng() % 100000);
  merge_sort(data, 0, N_SORT);
  return sum + (uint32_t)data[N_SORT / 2];
}

/* ---- hash ---- */
NOINLINE static uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }
NOINLINE static uint32_t mix_block(uint32_t h, uint32_t k) {
  k *= 0xcc9e2d51u;
  k = rotl(k, 15);
  k *= 0x1b873593u;
  h ^= k;
  h = rotl(h, 13);
  return h * 5 + 0xe6546b64u;
}
NOINLINE static uint32_t fmix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  return h ^ (h >> 16);
}
NOINLINE static uint32_t bench_hash(void) {
  uint32_t h = 0;
  for (int i = 0; i < 4000; i++) h = mix_block(h, rng());
  return fmix(h);
}

/* ---- interpreter: fib(n) as bytecode ---- */
enum { OP_ARG, OP_CONST, OP_LT, OP_JZ, OP_SUB, OP_ADD, OP_CALL, OP_RET };
typedef struct { int op, a; } insn;
static const insn prog[] = {
  {OP_ARG, 0}, {OP_CONST, 2}, {OP_LT, 0}, {OP_JZ, 6}, {OP_ARG, 0}, {OP_RET, 0},
  {OP_ARG, 0}, {OP_CONST, 1}, {OP_SUB, 0}, {OP_CALL, 0},
  {OP_ARG, 0}, {OP_CONST, 2}, {OP_SUB, 0}, {OP_CALL, 0}, {OP_ADD, 0}, {OP_RET, 0},
};
typedef struct { int stack[64]; int sp; int arg; int pc; } frame;
typedef void (*handler)(frame *, int);
static int run_vm(int arg);
NOINLINE static void h_arg(frame *f, int a) { (void)a; f->stack[f->sp++] = f->arg; }
NOINLINE static void h_const(frame *f, int a) { f->stack[f->sp++] = a; }
NOINLINE static void h_lt(frame *f, int a) { (void)a; f->sp--; f->stack[f->sp - 1] = f->stack[f->sp - 1] < f->stack[f->sp]; }
NOINLINE static void h_jz(frame *f, int a) { if (!f->stack[--f->sp]) f->pc = a - 1; }
NOINLINE static void h_sub(frame *f, int a) { (void)a; f->sp--; f->stack[f->sp - 1] -= f->stack[f->sp]; }
NOINLINE static void h_add(frame *f, int a) { (void)a; f->sp--; f->stack[f->sp - 1] += f->stack[f->sp]; }
NOINLINE static void h_call(frame *f, int a) { (void)a; f->stack[f->sp - 1] = run_vm(f->stack[f->sp - 1]); }
static const handler handlers[] = {h_arg, h_const, h_lt, h_jz, h_sub, h_add, h_call};
NOINLINE static int run_vm(int arg) {
  frame f = {.sp = 0, .arg = arg, .pc = 0};
  for (;; f.pc++) {
    const insn *i = &prog[f.pc];
    if (i->op == OP_RET) return f.stack[--f.sp];
    handlers[i->op](&f, i->a);
  }
}
NOINLINE static uint32_t bench_interp(void) { return (uint32_t)run_vm(16); }

EXPORT("run") uint32_t run(int n) {
  uint32_t sum = 0;
  for (int i = 0; i < n; i++) sum += bench_sort() ^ bench_hash() ^ bench_interp();
  return sum;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1;
  printf("run(%d) = %u\n", n, run(n));
  return 0;
}
