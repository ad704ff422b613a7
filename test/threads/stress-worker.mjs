/**
 * One dispatching thread of test/threads-stress.test.ts: a real
 * worker_threads Worker with its own instance of the instrumented module
 * and its own Ftrace, bound to the shared state. It calls traced functions
 * until its counter ops has seen its share of dispatches and the test
 * thread has done its share of unregister + free cycles. Every DYNAMIC ops
 * it is told about checks, on each call, that its struct in the shared heap
 * is still live and of the registration it was made for (poisoned once
 * freed, re-stamped when reused): a call after free is a violation. The
 * static counter ops must see every function entry exactly once, however
 * the list changes around it.
 * Runs the built dist/ (npm run build).
 */
import { workerData } from 'node:worker_threads';
import { Ftrace, FtraceThread, SharedFtraceState, createOps } from '../../dist/ftrace/index.js';

const { module, stateBuffer, heap, results, index, target, minCycles, batch, spin, counterKey, filters, LIVE, R } = workerData;
const heapWords = new Int32Array(heap);
const res = new Int32Array(results);
const mine = R.PER_WORKER + index * R.WORKER_WORDS;

let dispatched = 0;
let dynamicCalls = 0;
/** what the counter must have seen: every function entry of every run(), nested ones included */
let entries = 0;
const ft = Ftrace.forModule(module);
const thread = new FtraceThread(ft, SharedFtraceState.from(stateBuffer), {
  resolve(key) {
    if (key === counterKey) return createOps(() => void dispatched++, { name: 'counter' });
    // key = struct index | epoch << 8: the host never reads the struct; the callback, like a guest's, does.
    const at = (key & 0xff) * 2;
    const epoch = key >>> 8;
    return createOps(
      () => {
        const before = Atomics.load(heapWords, at) === LIVE && Atomics.load(heapWords, at + 1) === epoch;
        // some work with the struct in hand: widens the window a missing grace period leaves open
        let x = 0;
        for (let i = 0; i < spin; i++) x += Atomics.load(heapWords, at + 1);
        const after = Atomics.load(heapWords, at) === LIVE && Atomics.load(heapWords, at + 1) === epoch;
        if (!before || !after || x !== spin * epoch) {
          const n = Atomics.add(res, R.VIOLATIONS, 1);
          if (n < 3) {
            const now = Atomics.load(heapWords, at) === LIVE ? `live, epoch ${Atomics.load(heapWords, at + 1)}` : 'poisoned';
            console.log(`Worker ${index}: call of ops ${key} (struct ${at / 2}, epoch ${epoch}) ${before ? 'freed during the call' : 'after its free'}: struct now ${now}`);
          }
        }
        // now and then a nested walk: the callback calls traced wasm (its own ops is busy, the others run)
        if ((++dynamicCalls & 255) === 0) {
          run(2);
          entries += 1 + 2 * 2;
        }
      },
      { name: `dyn@${key}` },
    );
  },
});
const instance = new WebAssembly.Instance(module, { ftrace: thread.imports });
ft.attach(instance);
const run = instance.exports.run;

Atomics.add(res, R.READY, 1);
Atomics.notify(res, R.READY);
while (Atomics.load(res, R.GO) === 0) Atomics.wait(res, R.GO, 0, 50);

// This thread writes too, now and then: a filter change on an ops the test thread may be unregistering meanwhile.
let refilters = 0;
let rounds = 0;
while (dispatched < target || Atomics.load(res, R.CYCLES) < minCycles) {
  thread.callGuest(() => run(batch));
  entries += 1 + 2 * batch;
  if ((++rounds & 3) === 0) {
    const keys = thread.registeredKeys.filter((k) => k !== counterKey);
    if (keys.length > 0) {
      try {
        thread.setFilter(keys[rounds % keys.length], filters[(rounds >> 2) % filters.length]);
        refilters++;
      } catch (e) {
        if (!/is not registered/.test(e.message)) throw e;
      }
    }
  }
}

res[mine] = dispatched;
res[mine + 1] = dynamicCalls;
res[mine + 2] = entries;
res[mine + 3] = refilters;
thread.close();
Atomics.add(res, R.DONE, 1);
Atomics.notify(res, R.DONE);
