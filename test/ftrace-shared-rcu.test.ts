/**
 * Grace periods across threads (src/ftrace/shared-rcu.ts), in process: the
 * reader table and its ThreadReaders on this thread, and, where a second
 * real thread is needed (a reader leaving its section while this thread's
 * writer blocks, a writer asleep on this thread's reader, a wait cycle), a
 * tiny Worker that plays the other thread on the table's words directly
 * (PEER below: the reader/writer protocol in plain JS). The code under test
 * runs on this thread, so `npm run mutate` sees it.
 *
 * Orderings are asserted with a shared clock (each side stamps its events),
 * never with wall time; the Worker's own waits have a 5 s deadline so that a
 * broken writer fails the test instead of hanging it.
 */
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FtraceError } from '../src/ftrace/ops.js';
import { canBlock, EAGAIN, EDEADLK, ReaderTable, readerTableBytes, type ThreadReader } from '../src/ftrace/shared-rcu.js';

/** The table's words as every thread sees them: 4 header words (0: writers asleep), then per thread [seq, alive, waitingOn + 1, spare]. */
const HEADER = 4;
const slotAt = (t: number) => HEADER + t * 4;
const SEQ = 0;
const ALIVE = 1;
const WAITING_ON = 2;

function table(maxThreads: number): ReaderTable {
  return new ReaderTable(new SharedArrayBuffer(readerTableBytes(maxThreads)), 0, maxThreads);
}

/** Lets the event loop turn a few times (timers and I/O included). */
async function turns(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
}

/** Whether `p` has settled by now (after a few turns of the event loop). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await turns();
  return done;
}

/**
 * A copy of shared-rcu.ts of its own (a query no import used before), whose
 * canBlock() has not answered yet: it caches its answer for the module's
 * life, which in a test process may span many runs.
 */
async function freshModule(): Promise<typeof import('../src/ftrace/shared-rcu.js')> {
  return (await import(/* @vite-ignore */ `../src/ftrace/shared-rcu.js?fresh-${Date.now()}-${Math.floor(Math.random() * 1e9)}`)) as typeof import('../src/ftrace/shared-rcu.js');
}

// ------------------------------------------------------------------ the other thread

/** ctl words: 0 the clock, 1.. signals and results. */
const CLOCK = 0;
const READY = 1;
const GO = 2;
const RESULT = 3;
const RESULT2 = 4;
const STAMP = 5;
const ROUND = 6;

/**
 * The other thread's side of the protocol, in plain JS on the words (what
 * shared-rcu.ts does, written out once more). `script` runs with these in
 * scope; a wait that passes its deadline stamps ctl[RESULT] = -1.
 */
const PEER = `
const { workerData } = require('node:worker_threads');
const words = new Int32Array(workerData.buffer, 0, ${HEADER} + workerData.maxThreads * 4);
const ctl = new Int32Array(workerData.ctl);
const nap = new Int32Array(new SharedArrayBuffer(4));
const slot = (t) => ${HEADER} + t * 4;
const deadline = () => Date.now() + 5000;
function until(cond) {
  const end = deadline();
  while (!cond()) {
    if (Date.now() > end) { Atomics.store(ctl, ${RESULT}, -1); return false; }
    Atomics.wait(nap, 0, 0, 1);
  }
  return true;
}
function join() {
  for (let t = 0; t < workerData.maxThreads; t++) {
    if (Atomics.compareExchange(words, slot(t) + ${ALIVE}, 0, 1) === 0) {
      if (words[slot(t)] & 1) Atomics.add(words, slot(t), 1);
      return t;
    }
  }
  throw new Error('table full');
}
const enter = (t) => Atomics.add(words, slot(t), 1);
function exit(t) {
  Atomics.add(words, slot(t), 1);
  if (Atomics.load(words, 0) !== 0) Atomics.notify(words, slot(t));
}
const stamp = () => Atomics.add(ctl, ${CLOCK}, 1);
function signal(i, v = 1) { Atomics.store(ctl, i, v); Atomics.notify(ctl, i); }
const awaitSignal = (i) => until(() => Atomics.load(ctl, i) !== 0);
/** until a writer sleeps on some reader's word */
const writerAsleep = () => until(() => Atomics.load(words, 0) !== 0);
/** whether me, waiting on target, is in a cycle: the chain of waitingOn words comes back to me */
function cycle(me, target) {
  let cur = target;
  for (let hops = 0; hops < workerData.maxThreads; hops++) {
    const next = Atomics.load(words, slot(cur) + ${WAITING_ON}) - 1;
    if (next < 0) return false;
    if (next === me) return true;
    cur = next;
  }
  return false;
}
/** me, from inside its own section, waits for target to leave the section it is in (started() once it shows it): 'waited', 'EDEADLK', 'idle' or 'stuck' */
function waitFromInside(me, target, started) {
  const at = slot(target);
  const seq = Atomics.load(words, at);
  if (!(seq & 1)) return 'idle';
  const end = deadline();
  Atomics.store(words, slot(me) + ${WAITING_ON}, target + 1);
  try {
    if (cycle(me, target)) return 'EDEADLK';
    started();
    while (Atomics.load(words, at) === seq) {
      if (cycle(me, target)) return 'EDEADLK';
      if (Date.now() > end) return 'stuck';
      Atomics.wait(words, at, seq, 1);
    }
    return 'waited';
  } finally {
    Atomics.store(words, slot(me) + ${WAITING_ON}, 0);
  }
}
`;

interface Peer {
  ctl: Int32Array;
  /** blocks until the peer signalled ctl[i] (5 s at most) */
  awaitSignal(i: number): number;
  signal(i: number, v?: number): void;
  stamp(): number;
  /** resolves when the Worker has ended; rejects with its error */
  done: Promise<void>;
}

const workers: Worker[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

function peer(t: ReaderTable, script: string): Peer {
  const ctl = new Int32Array(new SharedArrayBuffer(16 * 4));
  const worker = new Worker(`${PEER}\n${script}`, { eval: true, workerData: { buffer: t.words.buffer, maxThreads: t.maxThreads, ctl: ctl.buffer } });
  workers.push(worker);
  const done = new Promise<void>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', () => resolve());
  });
  return {
    ctl,
    awaitSignal(i) {
      for (let n = 0; n < 1000 && Atomics.load(ctl, i) === 0; n++) Atomics.wait(ctl, i, 0, 5);
      const v = Atomics.load(ctl, i);
      if (v === 0) throw new Error(`the peer never signalled ${i}`);
      return v;
    },
    signal(i, v = 1) {
      Atomics.store(ctl, i, v);
      Atomics.notify(ctl, i);
    },
    stamp: () => Atomics.add(ctl, CLOCK, 1),
    done,
  };
}

// ------------------------------------------------------------------ one thread

describe('the reader table', () => {
  it('holds exactly maxThreads readers in readerTableBytes(maxThreads) bytes; one more is EAGAIN', () => {
    expect(readerTableBytes(3)).toBe((4 + 3 * 4) * 4);
    expect(() => new ReaderTable(new SharedArrayBuffer(readerTableBytes(3) - 4), 0, 3)).toThrow(RangeError);
    // at an offset inside a larger buffer (SharedFtraceState puts it after the description)
    const buffer = new SharedArrayBuffer(64 + readerTableBytes(3));
    const at = new ReaderTable(buffer, 64, 3);
    const readers = [at.join(), at.join(), at.join()];
    expect(readers.map((r) => r.id)).toEqual([0, 1, 2]);
    expect(() => at.join()).toThrow(new FtraceError('more than 3 threads share this ftrace state', EAGAIN));
    expect(new Int32Array(buffer, 0, 16).every((w) => w === 0)).toBe(true);
  });

  it('a closed reader\'s slot is taken by the next join; closing twice does not free it from its new owner', () => {
    const rt = table(2);
    const a = rt.join();
    const b = rt.join();
    a.close();
    const c = rt.join();
    expect(c.id).toBe(a.id);
    a.close();
    b.close();
    b.close();
    expect(rt.join().id).toBe(b.id);
    expect(() => rt.join()).toThrow(new FtraceError('more than 2 threads share this ftrace state', EAGAIN));
  });

  it('a slot its last thread left odd (gone inside a section) starts outside a section for the next one', async () => {
    const rt = table(2);
    const a = rt.join();
    Atomics.store(rt.words, slotAt(1) + SEQ, 7);
    const b = rt.join();
    expect(b.id).toBe(1);
    a.synchronize(false); // b is not inside a section: no wait
    b.enter();
    const p = a.synchronizeAsync();
    expect(await settled(p)).toBe(false);
    b.exit();
    await p;
  });

  it('Node\'s main thread may block', async () => {
    expect(canBlock()).toBe(true);
    expect((await freshModule()).canBlock()).toBe(true);
  });
});

describe('grace periods on one thread', () => {
  it('nobody inside a section, or only idle and closed readers: synchronize returns at once', async () => {
    const rt = table(4);
    const a = rt.join();
    a.synchronize(false);
    await a.synchronizeAsync();
    const idle = rt.join();
    const gone = rt.join();
    gone.enter();
    gone.close(); // leaves its section as it goes
    a.synchronize(true);
    await a.synchronizeAsync();
    expect(idle.id).not.toBe(gone.id);
  });

  it('a writer inside its own section does not wait for itself', async () => {
    const rt = table(2);
    const a = rt.join();
    rt.join();
    a.enter();
    a.synchronize(true);
    await a.synchronizeAsync();
    a.exit();
  });

  it('the async grace period ends only when the reader inside a section leaves it', async () => {
    const rt = table(3);
    const a = rt.join();
    const b = rt.join();
    const idle = rt.join();
    b.enter();
    const order: string[] = [];
    const p = a.synchronizeAsync().then(() => order.push('grace period over'));
    expect(await settled(p)).toBe(false);
    setTimeout(() => {
      order.push('b leaves');
      b.exit();
    }, 0);
    await p;
    expect(order).toEqual(['b leaves', 'grace period over']);
    expect(idle.id).toBe(2);
  });

  it('a reader that left and entered another section no longer holds it up', async () => {
    const rt = table(2);
    const a = rt.join();
    const b = rt.join();
    b.enter();
    const p = a.synchronizeAsync();
    b.exit();
    b.enter(); // a new section, begun after the grace period started
    await p;
    // and again after many sections (the word wraps around as an int32)
    for (let i = 0; i < 5; i++) {
      b.exit();
      b.enter();
    }
    const q = a.synchronizeAsync();
    expect(await settled(q)).toBe(false);
    b.exit();
    await q;
  });

  it('a reader closed inside its section, or whose slot is marked dead, is not waited for', async () => {
    const rt = table(3);
    const a = rt.join();
    const b = rt.join();
    b.enter();
    const p = a.synchronizeAsync();
    expect(await settled(p)).toBe(false);
    b.close();
    await p;
    // a thread gone without closing, its slot marked dead by its owner's host: odd, but not alive
    const c = rt.join();
    c.enter();
    const q = a.synchronizeAsync();
    expect(await settled(q)).toBe(false);
    Atomics.store(rt.words, slotAt(c.id) + ALIVE, 0);
    await q;
    a.synchronize(false);
    await a.synchronizeAsync();
  });

  it('a reader pays an Atomics.notify at exit only while a writer sleeps (the cost the file comment promises)', async () => {
    const rt = table(2);
    const a = rt.join();
    const b = rt.join();
    const notify = vi.spyOn(Atomics, 'notify');
    try {
      b.enter();
      b.exit();
      expect(notify).not.toHaveBeenCalled();
      b.enter();
      const p = a.synchronizeAsync();
      b.exit(); // a sleeps on b: wake it
      expect(notify).toHaveBeenCalledTimes(1);
      await p;
      b.enter();
      b.exit(); // the grace period is over: nobody sleeps
      expect(notify).toHaveBeenCalledTimes(1);
    } finally {
      notify.mockRestore();
    }
  });

  it('without Atomics.waitAsync the async grace period polls with timers', async () => {
    const rt = table(2);
    const a = rt.join();
    const b = rt.join();
    const waitAsync = Object.getOwnPropertyDescriptor(Atomics, 'waitAsync');
    delete (Atomics as { waitAsync?: unknown }).waitAsync; // an engine without it
    try {
      b.enter();
      const order: string[] = [];
      const p = a.synchronizeAsync().then(() => order.push('grace period over'));
      expect(await settled(p)).toBe(false);
      order.push('b leaves');
      b.exit();
      await p;
      expect(order).toEqual(['b leaves', 'grace period over']);
    } finally {
      if (waitAsync) Object.defineProperty(Atomics, 'waitAsync', waitAsync);
    }
  });

  it('with Atomics.waitAsync the reader\'s exit wakes the writer: no timer is needed (browsers throttle them)', async () => {
    const rt = table(2);
    const a = rt.join();
    const b = rt.join();
    b.enter();
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'setImmediate'] });
    try {
      const p = a.synchronizeAsync();
      b.exit();
      await p;
    } finally {
      vi.useRealTimers();
    }
  });

  it('from inside a section, a wait cycle is EDEADLK: directly, or through a third thread', () => {
    const rt = table(4);
    const a = rt.join();
    const b = rt.join();
    const c = rt.join();
    rt.join();
    a.enter();
    b.enter();
    // b waits (from inside its section) on a, which now waits on b
    Atomics.store(rt.words, slotAt(b.id) + WAITING_ON, a.id + 1);
    expect(() => a.synchronize(true)).toThrow(new FtraceError('threads 0 and 1 wait for each other\'s grace period from inside ops callbacks: the ops is unregistered but not yet safe to free', EDEADLK));
    // b waits on c, c on a
    c.enter();
    Atomics.store(rt.words, slotAt(b.id) + WAITING_ON, c.id + 1);
    Atomics.store(rt.words, slotAt(c.id) + WAITING_ON, a.id + 1);
    expect(() => a.synchronize(true)).toThrow(expect.objectContaining({ errno: EDEADLK, message: expect.stringContaining('threads 0 and 1') }));
    // the same for a thread other than 0
    a.exit();
    c.exit();
    Atomics.store(rt.words, slotAt(b.id) + WAITING_ON, 0);
    Atomics.store(rt.words, slotAt(c.id) + WAITING_ON, 0);
    c.enter();
    Atomics.store(rt.words, slotAt(b.id) + WAITING_ON, c.id + 1);
    expect(() => c.synchronize(true)).toThrow(expect.objectContaining({ errno: EDEADLK, message: expect.stringContaining('threads 2 and 1') }));
  });
});

describe('a thread that may not block (a browser\'s main thread)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('synchronize refuses with EAGAIN before waiting, returns when nobody is inside a section; the async form works', async () => {
    // a copy of the module of its own (the query), whose canBlock() finds Atomics.wait refused
    const cannot = () => {
      throw new TypeError('Atomics.wait cannot be called in this context');
    };
    vi.spyOn(Atomics, 'wait').mockImplementation(cannot);
    const fresh = await freshModule();
    expect(fresh.canBlock()).toBe(false);
    const rt = new fresh.ReaderTable(new SharedArrayBuffer(fresh.readerTableBytes(3)), 0, 3);
    const a: ThreadReader = rt.join();
    const b: ThreadReader = rt.join();
    // nobody inside a section but a dead slot's leftover: nothing to wait for
    Atomics.store(rt.words, slotAt(2) + SEQ, 5);
    a.enter();
    a.synchronize(true);
    a.exit();
    b.enter();
    let error: unknown = null;
    try {
      a.synchronize(false);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ errno: EAGAIN, message: 'this thread cannot block (a browser main thread): wait for the grace period with the async form' });
    const p = a.synchronizeAsync();
    expect(await settled(p)).toBe(false);
    b.exit();
    await p;
  });
});

// ------------------------------------------------------------------ two threads

describe('grace periods with another thread', () => {
  it('synchronize blocks until a reader on another thread leaves its section', async () => {
    const rt = table(3);
    const a = rt.join();
    const other = peer(
      rt,
      `const me = join(); enter(me); signal(${READY}, me + 1);
       writerAsleep();                       // the writer has seen us inside and gone to sleep
       signal(${STAMP}, stamp() + 1); exit(me);`,
    );
    const me = other.awaitSignal(READY) - 1;
    expect(me).toBe(1);
    a.synchronize(false);
    const returned = other.stamp();
    await other.done;
    expect(Atomics.load(other.ctl, RESULT)).toBe(0);
    expect(Atomics.load(other.ctl, STAMP) - 1).toBeLessThan(returned);
  });

  it('a reader whose slot is marked dead while the writer sleeps on it is not waited for', async () => {
    const rt = table(2);
    const a = rt.join();
    const other = peer(
      rt,
      `const me = join(); enter(me); signal(${READY});
       writerAsleep();
       Atomics.store(words, slot(me) + ${ALIVE}, 0);   // gone, its section never left
       if (!awaitSignal(${GO})) exit(me);              // a writer that keeps waiting: let it go, the test fails`,
    );
    other.awaitSignal(READY);
    a.synchronize(false);
    other.signal(GO);
    await other.done;
    expect(Atomics.load(other.ctl, RESULT)).toBe(0);
  });

  it('a writer inside its section shows whom it waits on while asleep, and no one once it returned', async () => {
    const rt = table(3);
    const a = rt.join();
    a.enter();
    // The peer (1) is inside a section; it waits on its own thread z (2) and z on it: a cycle
    // without a, which a's check must walk past. Then, not publishing anything itself, it
    // watches for a asleep on it: a cycle the peer must see (EDEADLK), and it leaves.
    const other = peer(
      rt,
      `const me = join(); const z = join(); enter(me);
       Atomics.store(words, slot(me) + ${WAITING_ON}, z + 1);
       Atomics.store(words, slot(z) + ${WAITING_ON}, me + 1);
       signal(${READY});
       writerAsleep();
       const first = until(() => cycle(me, 0));
       Atomics.store(words, slot(me) + ${WAITING_ON}, 0);
       Atomics.store(words, slot(z) + ${WAITING_ON}, 0);
       exit(me);
       signal(${RESULT}, first ? 1 : 2);
       awaitSignal(${GO});
       enter(me);
       const second = waitFromInside(me, 0, () => signal(${ROUND}));   // a's section goes on, its grace period is over: no cycle
       signal(${ROUND});
       exit(me);
       signal(${RESULT2}, second === 'waited' ? 1 : 2);`,
    );
    other.awaitSignal(READY);
    a.synchronize(true);
    expect(other.awaitSignal(RESULT)).toBe(1);
    other.signal(GO);
    other.awaitSignal(ROUND);
    a.exit();
    await other.done;
    expect(Atomics.load(other.ctl, RESULT2)).toBe(1);
  });

  it('a writer outside any section never reports a cycle, and shows none', async () => {
    const rt = table(2);
    const a = rt.join();
    // x inside a section, still showing a wait on a from an earlier section of a's
    const other = peer(
      rt,
      `const x = join(); enter(x);
       Atomics.store(words, slot(x) + ${WAITING_ON}, 0 + 1);
       signal(${READY});
       writerAsleep();                        // a sleeps on x
       let sawCycle = false;
       for (let i = 0; i < 20; i++) { if (cycle(x, 0)) sawCycle = true; Atomics.wait(nap, 0, 0, 1); }
       Atomics.store(words, slot(x) + ${WAITING_ON}, 0);
       exit(x);
       signal(${RESULT2}, sawCycle ? 2 : 1);`,
    );
    other.awaitSignal(READY);
    a.synchronize(false);
    await other.done;
    expect([Atomics.load(other.ctl, RESULT), Atomics.load(other.ctl, RESULT2)]).toEqual([0, 1]);
  });

  /**
   * The peer is a writer asleep on a's word (Atomics.wait, 3 s): a's exit
   * (or close) must wake it. If it was not asleep yet when a left (it saw
   * the word change: "not-equal"), another round.
   */
  async function wakesSleepingWriter(leave: (r: ThreadReader) => void, rejoin: boolean) {
    const rt = table(2);
    let a = rt.join();
    const other = peer(
      rt,
      `for (let round = 1; ; round++) {
         until(() => Atomics.load(ctl, ${ROUND}) === round);
         const at = slot(0);
         const seq = Atomics.load(words, at);
         Atomics.add(words, 0, 1);
         signal(${READY}, round);
         const r = Atomics.wait(words, at, seq, 3000);
         Atomics.sub(words, 0, 1);
         signal(${RESULT}, r === 'ok' ? 1 : r === 'not-equal' ? 2 : 3);
         if (r !== 'not-equal' || round === 50) break;
         until(() => Atomics.load(ctl, ${RESULT}) === 0);
       }`,
    );
    let result = 0;
    for (let round = 1; round <= 50; round++) {
      if (rejoin && round > 1) a = rt.join();
      a.enter();
      Atomics.store(other.ctl, RESULT, 0);
      other.signal(ROUND, round);
      while (Atomics.load(other.ctl, READY) !== round) Atomics.wait(other.ctl, READY, Atomics.load(other.ctl, READY), 5);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(round, 20)); // give it time to fall asleep
      leave(a);
      result = other.awaitSignal(RESULT);
      if (result !== 2) break;
    }
    await other.done;
    expect(result).toBe(1);
  }

  it('a reader leaving its section wakes a writer asleep on it', async () => {
    await wakesSleepingWriter((r) => r.exit(), false);
  });

  it('a reader closed inside its section wakes a writer asleep on it', async () => {
    await wakesSleepingWriter((r) => r.close(), true);
  });
});
