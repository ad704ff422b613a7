/*
 * A program that traces itself through the guest API: one static ops (in
 * .data) and one malloc'ed ops (DYNAMIC). The heap ops unregisters and frees
 * itself from inside its own callback; the program prints what each saw.
 *
 * Instrument with --notrace 'on_*' so the callbacks are not traced themselves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ftrace.h"

#define NOINLINE __attribute__((noinline))

static int static_hits, heap_hits, heap_unregister_result = 1;
static int32_t last_ip = -2, last_parent = -2;
static struct ftrace_ops *heap_ops;

static void on_static(int32_t ip, int32_t parent_ip) {
  static_hits++;
  last_ip = ip;
  last_parent = parent_ip;
}

static void on_heap(int32_t ip, int32_t parent_ip) {
  (void)ip;
  (void)parent_ip;
  if (++heap_hits == 3) {
    heap_unregister_result = unregister_ftrace_function(heap_ops);
    /* The host promised never to read it again: free it now, and poison it
       first so that a host that did would trip over it. */
    memset(heap_ops, 0xff, sizeof *heap_ops);
    free(heap_ops);
    heap_ops = 0;
  }
}

static int reuse_hits;
static void on_reuse(int32_t ip, int32_t parent_ip) {
  (void)ip;
  (void)parent_ip;
  reuse_hits++;
}

/* static data: core_kernel_data() is true for it */
static struct ftrace_ops static_ops = {on_static, 0, 0};

/* volatile stores keep clang from merging or dropping calls to these */
static volatile int calls;
NOINLINE int leaf(int x) {
  calls++;
  return x * 3 + 1;
}
NOINLINE int work(int n) {
  int s = 0;
  calls++;
  for (int i = 0; i < n; i++) s += leaf(i);
  return s;
}

int main(void) {
  static const char filter[] = "work";
  /* a filter may be set before registering, as with ftrace_set_filter() in the kernel */
  printf("set_filter work: %d\n", ftrace_set_filter(&static_ops, filter, (int)strlen(filter), 1));
  int r = register_ftrace_function(&static_ops);
  printf("register static: %d flags=%u\n", r, static_ops.flags);
  printf("register static again: %d\n", register_ftrace_function(&static_ops));
  printf("set_filter nosuch: %d\n", ftrace_set_filter(&static_ops, "nosuch", 6, 1));
  int w = work(3);
  printf("work(3) = %d: static saw %d entry, last ip=%d parent=%d\n", w, static_hits, (int)last_ip, (int)last_parent);

  heap_ops = malloc(sizeof *heap_ops);
  heap_ops->func = on_heap;
  heap_ops->flags = 0;
  heap_ops->private_ = 0;
  printf("set_filter heap: %d\n", ftrace_set_filter(heap_ops, "work,leaf", 9, 1));
  r = register_ftrace_function(heap_ops);
  printf("register heap: %d flags=%u\n", r, heap_ops->flags);
  /* heap sees work, leaf, leaf: on the third it unregisters and frees itself */
  int total = work(2);
  total += work(2);
  printf("work(2) + work(2) = %d: heap saw %d entries, unregister from its callback returned %d, freed=%s\n",
         total, heap_hits, heap_unregister_result, heap_ops ? "no" : "yes");
  w = work(5);
  printf("work(5) = %d: heap saw %d entries, static saw %d\n", w, heap_hits, static_hits);
  printf("unregister static: %d, again: %d\n", unregister_ftrace_function(&static_ops),
         unregister_ftrace_function(&static_ops));

  /* malloc, set a filter, free without registering; malloc again: the new
     ops (likely at the same address) must not inherit that filter. */
  struct ftrace_ops *first = malloc(sizeof *first);
  first->func = on_reuse;
  first->flags = 0;
  first->private_ = 0;
  printf("set_filter first: %d\n", ftrace_set_filter(first, "leaf", 4, 1));
  free(first);
  struct ftrace_ops *second = malloc(sizeof *second);
  second->func = on_reuse;
  second->flags = 0;
  second->private_ = 0;
  int same = second == first;
  r = register_ftrace_function(second);
  w = work(1);
  printf("second ops at the same address: %s; register: %d; work(1) = %d: it saw %d entries (work and leaf)\n",
         same ? "yes" : "no", r, w, reuse_hits);
  printf("unregister second: %d\n", unregister_ftrace_function(second));
  free(second);
  return 0;
}
