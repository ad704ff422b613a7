/**
 * The instrument pass in a Worker, for asynchronous compiles: the page asks,
 * the worker (instrument-worker.ts, with its own binaryen.js, started on the
 * first module and kept) instruments, the page's main thread stays free. A
 * worker that cannot start or dies rejects with WorkerFailure (the
 * interceptor then instruments on its own thread, if it can). Browser-safe.
 */
import type { InstrumentOptions, InstrumentResult } from '../instrument/pass.js';
import { WorkerFailure, type AsyncInstrumenter } from './instrumenter.js';

/**
 * What the worker answers to request `id`; `ready` first, once its module
 * (binaryen.js's top-level await included) has run: a message posted to a
 * module worker before that is lost, so requests wait for it.
 */
export type WorkerReply = { id: number; result: InstrumentResult | null } | { id: number; error: string } | { ready: true };
export interface WorkerRequest {
  id: number;
  bytes: Uint8Array;
  options: InstrumentOptions;
}

/** `start` makes the worker (`new Worker(new URL(...), { type: 'module' })`), once, on the first module. */
export function workerInstrumenter(start: () => Worker): AsyncInstrumenter {
  let worker: Worker | undefined;
  let failed: string | undefined;
  let next = 0;
  let ready = false;
  const queued: WorkerRequest[] = [];
  const waiting = new Map<number, { resolve: (r: InstrumentResult | null) => void; reject: (e: unknown) => void }>();
  const fail = (why: string): void => {
    failed = why;
    worker?.terminate();
    for (const w of waiting.values()) w.reject(new WorkerFailure(why));
    waiting.clear();
  };
  return (bytes, options) =>
    new Promise((resolve, reject) => {
      if (failed) return reject(new WorkerFailure(failed));
      if (!worker) {
        try {
          worker = start();
        } catch (e) {
          fail(`the instrumenting worker did not start: ${e instanceof Error ? e.message : String(e)}`);
          return reject(new WorkerFailure(failed!));
        }
        const w = worker;
        worker.onmessage = (ev: MessageEvent<WorkerReply>) => {
          const reply = ev.data;
          if ('ready' in reply) {
            ready = true;
            for (const r of queued) w.postMessage(r);
            queued.length = 0;
            return;
          }
          const p = waiting.get(reply.id);
          if (!p) return;
          waiting.delete(reply.id);
          if ('error' in reply) p.reject(new Error(reply.error));
          else p.resolve(reply.result);
        };
        worker.onerror = (ev) => fail(`the instrumenting worker failed: ${ev.message || 'it could not be loaded'}`);
      }
      const request: WorkerRequest = { id: next++, bytes, options };
      waiting.set(request.id, { resolve, reject });
      if (ready) worker.postMessage(request);
      else queued.push(request);
    });
}
