/*
 * ftrace.h: the wasm-ftrace guest API, for C programs compiled to wasm32.
 *
 * A program that includes this imports register_ftrace_function & co. from
 * module "ftrace"; the wasm-ftrace host (Ftrace in src/ftrace) provides them.
 * Link with -Wl,--export-table so the host can find the callbacks.
 *
 * Callbacks run for every traced function entry; build them notrace
 * (instrument with --notrace 'my_callback*') or accept that their own
 * entries are dropped while they run (ft.stats.recursionMissed).
 */
#ifndef WASM_FTRACE_H
#define WASM_FTRACE_H

#include <stdint.h>

#define FTRACE_OPS_FL_ENABLED (1u << 0) /* registered; written by the host */
#define FTRACE_OPS_FL_DYNAMIC (1u << 2) /* not in static data: always called through the list function */
#define FTRACE_OPS_FL_INITIALIZED (1u << 8) /* the host holds state for it; written by the host */

#define FTRACE_EFAULT 14 /* an ops or a text not inside linear memory */
#define FTRACE_EBUSY 16
#define FTRACE_EINVAL 22 /* null or unaligned ops, func not a (int32_t, int32_t) -> void in the table, negative len, bad glob */

/* ip: the traced function's index in the module; parent_ip: its caller's, or -1 (HOST). */
typedef void (*ftrace_func_t)(int32_t ip, int32_t parent_ip);

/* A new ops starts with flags 0 (static, calloc, or set by hand): the host
   keys what it keeps for an ops by its address and INITIALIZED, so one
   malloc'ed where a freed one was starts clean. */
struct ftrace_ops {
  ftrace_func_t func;  /* offset 0: a table index in wasm32 */
  uint32_t flags;      /* offset 4 */
  uint32_t private_;   /* offset 8: the program's own */
};

#define FTRACE_IMPORT(name) __attribute__((import_module("ftrace"), import_name(#name)))

/* 0 on success, -FTRACE_EBUSY if already registered, -FTRACE_EINVAL for a bad ops
   (null, unaligned, or a func of another type), -FTRACE_EFAULT for one outside memory. */
FTRACE_IMPORT(register_ftrace_function) int register_ftrace_function(struct ftrace_ops *ops);
/* After it returns the host never reads *ops again: free() it at once if you like. */
FTRACE_IMPORT(unregister_ftrace_function) int unregister_ftrace_function(struct ftrace_ops *ops);
/* buf/len: one or more globs separated by spaces or commas; reset != 0 replaces, 0 appends.
   -FTRACE_EINVAL for a glob that matches nothing or len < 0, -FTRACE_EFAULT for ops or buf
   outside memory. */
FTRACE_IMPORT(ftrace_set_filter) int ftrace_set_filter(struct ftrace_ops *ops, const char *buf, int len, int reset);
FTRACE_IMPORT(ftrace_set_notrace) int ftrace_set_notrace(struct ftrace_ops *ops, const char *buf, int len, int reset);

#endif
