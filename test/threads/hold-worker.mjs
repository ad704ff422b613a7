/**
 * A Worker for test/threads.test.ts: binds its own Ftrace to the shared
 * state, dispatches until the ops registered by the test thread reaches it,
 * and holds that ops' callback (a read-side section) until the test thread
 * releases it or holdMs pass; LEFT is set as the callback returns.
 */
import { workerData } from 'node:worker_threads';
import { Ftrace, FtraceThread, SharedFtraceState, createOps } from '../../dist/ftrace/index.js';

const { module, stateBuffer, flags, holdMs, F } = workerData;
const f = new Int32Array(flags);
const ft = Ftrace.forModule(module);
const thread = new FtraceThread(ft, SharedFtraceState.from(stateBuffer), {
  resolve: () =>
    createOps(() => {
      Atomics.add(f, F.CALLS, 1);
      Atomics.store(f, F.INSIDE, 1);
      Atomics.notify(f, F.INSIDE);
      Atomics.wait(f, F.RELEASE, 0, holdMs);
      Atomics.store(f, F.LEFT, 1);
    }),
});
const ip = ft.metadata.traced[0];
while (Atomics.load(f, F.CALLS) === 0) thread.mcount(ip, -1);
thread.close();
