/**
 * Running instrumented modules under Node: WASI commands (node:wasi) and
 * plain modules with an exported entry point. Node-only; the core stays out
 * of this file's way.
 */
import { WASI } from 'node:wasi';
import { Ftrace } from '../ftrace/ftrace.js';
import type { FtraceMetadata } from '../abi/index.js';
import type { TraceArray } from '../tracers/trace-array.js';

export interface RunOptions {
  /** argv[1..] of the program (argv[0] is `programName`) */
  args: string[];
  programName: string;
  env?: Record<string, string | undefined>;
  /** guest path -> host path */
  preopens?: Record<string, string>;
  /** the trace array that traces the module (its tracer, clock and buffer) */
  trace: TraceArray;
  /** SHA-256 of the original module, recorded with the instance */
  moduleHash?: string;
  /** its code section's layout (abi codeLayout), kept in the data file for `--symbols` */
  codeLayout?: string;
  /** runs once the module is added to the trace array, before instantiation (set filters here) */
  beforeInstantiate?: () => void;
  /** the import object as it will be instantiated with, to wrap (record checks for Ctrl-C there) */
  wrapImports?: (imports: WebAssembly.Imports) => WebAssembly.Imports;
  /** call this export with these arguments instead of running a WASI `_start` */
  invoke?: { name: string; args: string[] };
}

export interface RunResult {
  exitCode: number;
  /** what `invoke` returned, when it was used */
  returned?: unknown;
  metadata: FtraceMetadata;
}

/** A failure of the traced program itself (a trap, a missing import), as opposed to ours. */
export class ProgramError extends Error {
  override name = 'ProgramError';
}

export async function runModule(binary: Uint8Array, opts: RunOptions): Promise<RunResult> {
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(binary as Uint8Array<ArrayBuffer>);
  } catch (e) {
    if (e instanceof WebAssembly.CompileError) throw new ProgramError(`this engine rejects the module: ${e.message.replace(/^WebAssembly\.compile\(\): /, '')}`);
    throw e;
  }
  const ft = Ftrace.forModule(module);
  const metadata = ft.metadata;
  const isWasi = WebAssembly.Module.imports(module).some((i) => i.module.startsWith('wasi_'));
  const wasi = isWasi
    ? new WASI({
        version: 'preview1',
        args: [opts.programName, ...opts.args],
        env: Object.fromEntries(Object.entries(opts.env ?? {}).filter((e): e is [string, string] => e[1] !== undefined)),
        preopens: opts.preopens ?? {},
        returnOnExit: true,
      })
    : undefined;
  // Registered before instantiation, so that the start function is traced too.
  const traced = opts.trace.addInstance(ft, opts.programName, {
    ...(opts.moduleHash ? { moduleHash: opts.moduleHash } : {}),
    ...(opts.codeLayout ? { codeLayout: opts.codeLayout } : {}),
  });
  opts.beforeInstantiate?.();
  const traceImports = opts.trace.importsFor(traced, wasi ? (wasi.getImportObject() as WebAssembly.Imports) : {});
  const imports = opts.wrapImports ? opts.wrapImports(traceImports) : traceImports;
  const missing = WebAssembly.Module.imports(module).filter((i) => !(imports[i.module] && i.name in imports[i.module]!));
  if (missing.length > 0) {
    const list = missing.slice(0, 4).map((i) => `${i.module}.${i.name}`).join(', ');
    throw new ProgramError(`the module imports ${list}${missing.length > 4 ? ', ...' : ''}, which this runner cannot provide`);
  }
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, imports);
  } catch (e) {
    throw new ProgramError(`instantiation failed: ${(e as Error).message}`);
  }
  opts.trace.attach(traced, instance);
  try {
    if (opts.invoke) {
      const fn = instance.exports[opts.invoke.name];
      if (typeof fn !== 'function') throw new ProgramError(`the module has no exported function '${opts.invoke.name}'`);
      const args = opts.invoke.args.map(parseArg);
      const returned = ft.callGuest(() => (fn as (...a: unknown[]) => unknown)(...args));
      return { exitCode: 0, returned, metadata };
    }
    if (!wasi) throw new ProgramError('the module is not a WASI command: name an export to call with --invoke');
    if (typeof instance.exports['_start'] !== 'function') {
      throw new ProgramError('the module has no _start export: name an export to call with --invoke');
    }
    return { exitCode: ft.callGuest(() => wasi.start(instance)), metadata };
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) throw new ProgramError(`the program trapped: ${e.message}`);
    throw e;
  }
}

/** Numbers as JS numbers; integers beyond 2^53 or with an `n` suffix as BigInt (for i64 params). */
function parseArg(s: string): number | bigint {
  if (/^-?\d+n$/.test(s)) return BigInt(s.slice(0, -1));
  const n = Number(s);
  if (Number.isNaN(n)) throw new ProgramError(`argument '${s}' is not a number`);
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) return BigInt(s);
  return n;
}
