/**
 * A Worker for test/threads.test.ts's wait-cycle case: its ops (key = 10 +
 * index) is called in a dispatch; inside that callback (a read-side
 * section) it waits until the other Worker is inside its own, then
 * unregisters the other Worker's DYNAMIC ops. Each then waits for the
 * other's section: the grace period must throw EDEADLK rather than hang.
 * It reports what its unregister did in out[index]: 1 returned, 2 EDEADLK,
 * 3 another error.
 */
import { workerData } from 'node:worker_threads';
import { Ftrace, FtraceThread, SharedFtraceState, createOps, EDEADLK } from '../../dist/ftrace/index.js';

const { module, stateBuffer, flags, index } = workerData;
const f = new Int32Array(flags); // [arrived, out0, out1]
const ft = Ftrace.forModule(module);
let done = false;
const thread = new FtraceThread(ft, SharedFtraceState.from(stateBuffer), {
  resolve: (key) =>
    createOps(() => {
      if (key !== 10 + index || done) return;
      done = true;
      Atomics.add(f, 0, 1);
      while (Atomics.load(f, 0) < 2) Atomics.wait(f, 0, 1, 5);
      try {
        thread.unregister(10 + (1 - index));
        Atomics.store(f, 1 + index, 1);
      } catch (e) {
        Atomics.store(f, 1 + index, e.errno === EDEADLK ? 2 : 3);
      }
      Atomics.notify(f, 1 + index);
    }),
});
const ip = ft.metadata.traced[0];
while (!done) thread.mcount(ip, -1);
thread.close();
