/**
 * A module Web Worker for test/threads-browser.test.ts: the same part as
 * hold-worker.mjs plays in Node. It binds its own Ftrace to the page's
 * shared state, dispatches until the page's ops reaches it, and holds that
 * ops' callback (a read-side section) until the page releases it. A Worker
 * may block in Atomics.wait; the page's main thread may not.
 */
import { Ftrace, FtraceThread, SharedFtraceState, createOps, canBlock } from '/dist/ftrace/index.js';

self.onmessage = ({ data: { bytes, stateBuffer, flags, F } }) => {
  const f = new Int32Array(flags);
  const module = new WebAssembly.Module(bytes);
  const ft = Ftrace.forModule(module);
  const thread = new FtraceThread(ft, SharedFtraceState.from(stateBuffer), {
    resolve: () =>
      createOps(() => {
        Atomics.add(f, F.CALLS, 1);
        Atomics.store(f, F.INSIDE, 1);
        Atomics.wait(f, F.RELEASE, 0, 20_000);
        Atomics.store(f, F.LEFT, 1);
      }),
  });
  f[F.WORKER_CAN_BLOCK] = canBlock() ? 1 : 2;
  const ip = ft.metadata.traced[0];
  while (Atomics.load(f, F.CALLS) === 0) thread.mcount(ip, -1);
  thread.close();
};
