/**
 * The page's side of test/threads-browser.test.ts, run on a page's main
 * thread: it registers a DYNAMIC ops in a shared state, starts a module
 * Worker (browser-worker.mjs) that holds that ops' callback, then tries the
 * sync unregister (which must refuse) and the async one (which must wait
 * for the Worker). Returns what it saw. `noWaitAsync` removes
 * Atomics.waitAsync first, as on engines that lack it.
 */
import { Ftrace, FtraceThread, SharedFtraceState, createOps, canBlock } from '/dist/ftrace/index.js';

export async function run(bytes, options = {}) {
  // an engine without Atomics.waitAsync (Firefox before 145): the async grace period polls on a timer
  if (options.noWaitAsync) delete Atomics.waitAsync;
  const F = { INSIDE: 0, RELEASE: 1, LEFT: 2, CALLS: 3, WORKER_CAN_BLOCK: 4 };
  const flags = new Int32Array(new SharedArrayBuffer(20));
  const binary = new Uint8Array(bytes);
  const ft = Ftrace.forModule(new WebAssembly.Module(binary));
  const state = SharedFtraceState.create();
  const main = new FtraceThread(ft, state, { resolve: () => createOps(() => {}) });
  main.register(1, { dynamic: true });
  const worker = new Worker('/test/threads/browser-worker.mjs', { type: 'module' });
  worker.postMessage({ bytes: binary, stateBuffer: state.buffer, flags: flags.buffer, F });
  while (Atomics.load(flags, F.INSIDE) === 0) await new Promise((r) => setTimeout(r, 5));
  let syncError = null;
  try {
    main.unregister(1);
  } catch (e) {
    syncError = { errno: e.errno, message: e.message };
  }
  const keysAfterRefusal = main.registeredKeys;
  let settled = false;
  const done = main.unregisterAsync(1).then(() => (settled = true));
  const keysAfterAsync = main.registeredKeys;
  await new Promise((r) => setTimeout(r, 50));
  const settledWhileInside = settled;
  Atomics.store(flags, F.RELEASE, 1);
  Atomics.notify(flags, F.RELEASE);
  await done;
  const result = {
    isolated: globalThis.crossOriginIsolated,
    mainCanBlock: canBlock(),
    workerCanBlock: flags[F.WORKER_CAN_BLOCK],
    hasWaitAsync: typeof Atomics.waitAsync === 'function',
    syncError,
    keysAfterRefusal,
    keysAfterAsync,
    settledWhileInside,
    leftWhenResolved: Atomics.load(flags, F.LEFT),
  };
  main.close();
  worker.terminate();
  return result;
}
