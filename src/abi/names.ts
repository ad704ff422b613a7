/**
 * Names the pass and the host agree on: the imports and exports the pass
 * adds to a module, the parent ip of a call from outside the module, and the
 * display name of a function.
 */

/** parent_ip when the caller is outside the module (JS, the start function). */
export const HOST_IP = 0xffffffff;

/** Names of the imports and exports the pass adds to a module. */
export const ABI = {
  importModule: 'ftrace',
  mcount: 'mcount',
  /** function_graph's exit hook, `mcount_exit(ip: i32)`, when instrumented with exit hooks */
  mcountExit: 'mcount_exit',
  /** exported mutable i32 globals guarding the exit hooks, laid out as the entry guards */
  exitGuardPrefix: '__ftrace_exit_guard_',
  /** exported mutable i64: the caller token, callee_ip << 32 | caller_ip (see instrument/pass.ts) */
  parentGlobal: '__ftrace_parent',
  /** exported mutable i32 globals, one bit per input function index: the mcount guards */
  guardPrefix: '__ftrace_guard_',
  /**
   * The one export the pass adds: `__ftrace_control(index: i32, value: i32)`
   * writes guard word `index` (entry guards 0..guardWords-1, then the exit
   * guards), or resets the caller token when index is -1. The token and the
   * guards stay unexported: a loader that walks `instance.exports`
   * (Emscripten's dynamic linking relocates every exported global, and
   * refuses an i64 one) sees one function. Modules instrumented by earlier
   * builds export the globals above instead; the host takes either.
   */
  control: '__ftrace_control',
} as const;

/** True for the names of the exports the pass adds (`__ftrace_control`; `__ftrace_parent` and the guard globals of older modules). */
export function isAbiExport(name: string): boolean {
  return name === ABI.control || name === ABI.parentGlobal || name.startsWith(ABI.guardPrefix) || name.startsWith(ABI.exitGuardPrefix);
}

/** A module's display names (FtraceMetadata.names), or anything that carries them (a trace's instance info). */
export type FunctionNames = readonly (string | undefined)[] | { readonly names: readonly (string | undefined)[] } | undefined;

/**
 * The display name of `ip`: its name, `func[ip]` when it has none (a
 * stripped module, an unknown instance), `HOST` for HOST_IP. The pass writes
 * the same `func[N]` into the metadata of a function without a name, so the
 * name a reader prints is the name a filter matches.
 */
export function functionName(names: FunctionNames, ip: number): string {
  if (ip === HOST_IP) return 'HOST';
  const list = names === undefined || Array.isArray(names) ? (names as readonly (string | undefined)[] | undefined) : (names as { names: readonly (string | undefined)[] }).names;
  return list?.[ip] ?? `func[${ip}]`;
}
