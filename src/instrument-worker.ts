/**
 * The instrumenting worker (dist/browser/instrument-worker.js, a module
 * Worker): the pass with its own binaryen.js, off the page's main thread.
 * The full browser library starts it for asynchronous compiles
 * (worker-pass.ts); it answers each request with the pass's result, or the
 * error's one-line message.
 */
import { instrument } from './instrument/pass.js';
import { instrumentSelecting } from './runtime/module-cache.js';
import type { WorkerReply, WorkerRequest } from './runtime/worker-pass.js';

const scope = globalThis as unknown as { onmessage: ((ev: MessageEvent<WorkerRequest>) => void) | null; postMessage(m: WorkerReply, transfer?: Transferable[]): void };

scope.onmessage = (ev) => {
  const { id, bytes, options } = ev.data;
  try {
    const result = instrumentSelecting(instrument, bytes, options);
    if (result) scope.postMessage({ id, result }, [result.binary.buffer as ArrayBuffer]);
    else scope.postMessage({ id, result: null });
  } catch (e) {
    scope.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
};
scope.postMessage({ ready: true });
