/**
 * The guest API on threads (src/ftrace/guest-threads.ts): a wasm guest on
 * shared memory registers a malloc'ed ops on one thread, and a Worker
 * running its own instance of the same module calls the guest's callback
 * (through its own table); a filter set before register travels with it;
 * unregister_ftrace_function returns only after the Worker has left the
 * callback it was in, and no thread calls the ops after that. The Worker
 * runs the built dist/ (npm run build).
 */
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { Ftrace, FtraceThread, SharedFtraceState } from '../src/ftrace/index.js';
import { instrument } from '../src/index.js';
import { watToBinary as wat } from '../src/bench/build.js';

// ip: the three imports are 0..2, then leaf 3, mid 4, cb 5
const IP = { leaf: 3, mid: 4 };
const A = { COUNT: 64, MASK: 68, HOLD: 72, INSIDE: 76, RELEASE: 80, LEFT: 84, TEXT: 200, OPS: 1024, STATIC_OPS: 32 };
const module = new WebAssembly.Module(
  instrument(
    wat(`(module
      (import "env" "memory" (memory 1 1 shared))
      (import "ftrace" "register_ftrace_function" (func $reg (param i32) (result i32)))
      (import "ftrace" "unregister_ftrace_function" (func $unreg (param i32) (result i32)))
      (import "ftrace" "ftrace_set_filter" (func $setf (param i32 i32 i32 i32) (result i32)))
      (export "memory" (memory 0))
      (table (export "__indirect_function_table") 2 funcref)
      (elem (i32.const 1) $cb)
      ;; static data: 32..48 (a static ops could live here)
      (data (i32.const 32) "static ops here.")
      (func $leaf (export "leaf") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func $mid (export "mid") (param i32) (result i32) (call $leaf (local.get 0)))
      ;; the callback: sets bit ip of the mask, counts; when HOLD is 1 it says INSIDE, waits on RELEASE (200 ms), says LEFT
      (func $cb (param $ip i32) (param $parent i32)
        (drop (i32.atomic.rmw.or (i32.const ${A.MASK}) (i32.shl (i32.const 1) (local.get $ip))))
        (drop (i32.atomic.rmw.add (i32.const ${A.COUNT}) (i32.const 1)))
        (if (i32.eq (i32.atomic.load (i32.const ${A.HOLD})) (i32.const 1))
          (then
            (i32.atomic.store (i32.const ${A.INSIDE}) (i32.const 1))
            (drop (memory.atomic.wait32 (i32.const ${A.RELEASE}) (i32.const 0) (i64.const 200000000)))
            (i32.atomic.store (i32.const ${A.LEFT}) (i32.const 1)))))
      (func (export "reg") (param i32) (result i32) (call $reg (local.get 0)))
      (func (export "unreg") (param i32) (result i32) (call $unreg (local.get 0)))
      (func (export "filter") (param i32 i32 i32) (result i32) (call $setf (local.get 0) (local.get 1) (local.get 2) (i32.const 1))))`),
  ).binary as Uint8Array<ArrayBuffer>,
);

let worker: Worker | null = null;
afterAll(async () => {
  await worker?.terminate();
});

describe('the guest API on threads', () => {
  it('an ops the guest registers on one thread is called by another; unregister waits for it; then nobody calls it', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const words = new Int32Array(memory.buffer);
    const bytes = new Uint8Array(memory.buffer);
    const state = SharedFtraceState.create();
    const ft = Ftrace.forModule(module);
    const thread = new FtraceThread(ft, state, {});
    const instance = new WebAssembly.Instance(module, { env: { memory }, ftrace: thread.imports });
    thread.attach(instance);
    const guest = instance.exports as Record<string, (...a: number[]) => number>;

    const ctl = new Int32Array(new SharedArrayBuffer(8)); // [stop, loops]
    worker = new Worker(new URL('./threads/guest-worker.mjs', import.meta.url), { workerData: { module, memory, stateBuffer: state.buffer, ctl: ctl.buffer } });
    let error: unknown = null;
    worker.on('error', (e) => (error = e));
    const waitFor = (what: string, cond: () => boolean) => {
      for (let i = 0; i < 2000 && !cond(); i++) {
        if (error) throw error;
        Atomics.wait(ctl, 1, Atomics.load(ctl, 1), 5);
      }
      if (!cond()) throw new Error(`timed out waiting for ${what}`);
    };
    waitFor('the Worker to loop', () => Atomics.load(ctl, 1) > 10);

    // a malloc'ed ops (outside static data): func = table slot 1 ($cb), flags 0; its filter set before register
    words[A.OPS / 4] = 1;
    words[A.OPS / 4 + 1] = 0;
    bytes.set(new TextEncoder().encode('mid'), A.TEXT);
    expect(guest['filter']!(A.OPS, A.TEXT, 3)).toBe(0);
    expect(guest['reg']!(A.OPS)).toBe(0);
    expect(words[A.OPS / 4 + 1]).toBe(1 | 4 | 256); // ENABLED | DYNAMIC | INITIALIZED
    expect(guest['reg']!(A.OPS)).toBe(-16); // EBUSY

    // the Worker calls the guest's callback, through its own table, for mid only
    waitFor('calls on the Worker', () => Atomics.load(words, A.COUNT / 4) >= 50);
    expect(Atomics.load(words, A.MASK / 4)).toBe(1 << IP.mid);

    // the Worker holds the callback; unregister returns only after it left
    Atomics.store(words, A.HOLD / 4, 1);
    waitFor('the Worker inside the callback', () => Atomics.load(words, A.INSIDE / 4) === 1);
    expect(Atomics.load(words, A.LEFT / 4)).toBe(0);
    expect(guest['unreg']!(A.OPS)).toBe(0);
    expect(Atomics.load(words, A.LEFT / 4)).toBe(1);
    expect(words[A.OPS / 4 + 1]! & (1 | 256)).toBe(0); // ENABLED and INITIALIZED cleared, DYNAMIC kept
    Atomics.store(words, A.HOLD / 4, 0);

    // free(): poison the struct; no thread calls the ops any more
    words[A.OPS / 4] = 0x7eadbeef;
    const count = Atomics.load(words, A.COUNT / 4);
    const loops = Atomics.load(ctl, 1);
    waitFor('the Worker to go on', () => Atomics.load(ctl, 1) > loops + 200);
    expect(Atomics.load(words, A.COUNT / 4)).toBe(count);
    expect(guest['unreg']!(A.OPS)).toBe(-22); // EINVAL: not registered

    // a static ops (in the data segment) is not DYNAMIC, and its unregister does not wait
    words[A.STATIC_OPS / 4] = 1;
    words[A.STATIC_OPS / 4 + 1] = 0;
    expect(guest['reg']!(A.STATIC_OPS)).toBe(0);
    expect(words[A.STATIC_OPS / 4 + 1]).toBe(1 | 256);
    expect(guest['unreg']!(A.STATIC_OPS)).toBe(0);

    Atomics.store(ctl, 0, 1);
    thread.close();
  });
});
