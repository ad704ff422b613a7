/* Part of the srcline fixture: a function defined in a header, so that its
 * source location names another file than srcline.c. */
#ifndef SRCLINE_UTIL_H
#define SRCLINE_UTIL_H

__attribute__((noinline)) static int clamp(int v, int lo, int hi) {
  if (v < lo) return lo;
  if (v > hi) return hi;
  return v;
}

#endif
