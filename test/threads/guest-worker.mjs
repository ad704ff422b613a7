/**
 * The other thread of test/threads-guest.test.ts: its own instance of the
 * guest module on the shared memory, bound to the shared state with
 * FtraceThread.attach (so the guest API's registrations reach it), calling
 * mid() through callGuest until told to stop, counting its loops.
 */
import { workerData } from 'node:worker_threads';
import { Ftrace, FtraceThread, SharedFtraceState } from '../../dist/ftrace/index.js';

const { module, memory, stateBuffer, ctl } = workerData;
const c = new Int32Array(ctl); // [stop, loops]
const ft = Ftrace.forModule(module);
const thread = new FtraceThread(ft, SharedFtraceState.from(stateBuffer), {});
const instance = new WebAssembly.Instance(module, { env: { memory }, ftrace: thread.imports });
thread.attach(instance);
const mid = instance.exports.mid;
while (Atomics.load(c, 0) === 0) {
  thread.callGuest(() => mid(1));
  Atomics.add(c, 1, 1);
}
thread.close();
