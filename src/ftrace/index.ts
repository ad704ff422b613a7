/**
 * The ftrace core: ops, hashes and globs, the dispatcher (direct vs list),
 * grace periods, and the guest API. No Node APIs: it runs in browsers too.
 * What it shares with the pass (metadata, ABI names, globs) is in src/abi.
 */
export { Ftrace, FilterError } from './ftrace.js';
export type { DispatchMode, FtraceOptions, AvailableFunction, EnabledFunction, FtraceStats } from './ftrace.js';
export { createOps, FtraceError, FTRACE_OPS_FL_ENABLED, FTRACE_OPS_FL_DYNAMIC, FTRACE_OPS_FL_INITIALIZED, EBUSY, EINVAL, ENODEV } from './ops.js';
export type { FtraceOps, FtraceFunc, OpsOptions } from './ops.js';
export { FtraceHash, applyFilterText } from './hash.js';
export type { FilterUniverse } from './hash.js';
export { GracePeriod } from './rcu.js';
export { createGuestApi, GUEST_OPS_SIZE } from './guest.js';
export type { GuestApi, GuestImports } from './guest.js';
export { availableFilterFunctions, enabledFunctions } from './views.js';
export { SharedFtraceState, FtraceThread, KIND_HOST, KIND_GUEST } from './threads.js';
export type { SharedStateOptions, FtraceThreadOptions, SharedRegisterOptions } from './threads.js';
export { canBlock, EDEADLK, EAGAIN } from './shared-rcu.js';
