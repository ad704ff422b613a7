/**
 * Grace periods across threads: userspace RCU's model on a SharedArrayBuffer.
 *
 * Every thread that dispatches joins a table of reader slots. A reader slot
 * holds a sequence word: odd while the thread is inside its outermost
 * read-side section (a list walk, or a dispatch of a thread bound by
 * threads.ts), even outside. Nested sections do not touch it.
 *
 * A writer that has unpublished something (cleared an ops from the shared
 * list, bumped the generation) calls synchronize(): for every other thread
 * whose word is odd it waits until the word changes, i.e. until that thread
 * has left the section it was in. A section entered after the writer read
 * the word started after the unpublish (all Atomics are sequentially
 * consistent: the reader stores its odd word, then loads the generation), so
 * it cannot hold what was removed. This is synchronize_rcu() of urcu's
 * "memory barrier" flavour, with the per-thread counter reduced to a parity.
 *
 * Readers pay two Atomics.store per outermost section, plus one load to see
 * whether a writer sleeps on them (then Atomics.notify). Writers spin for a
 * while, then sleep in Atomics.wait, or, where a thread may not block (a
 * browser's main thread), poll: synchronizeAsync() uses Atomics.waitAsync
 * where the engine has it, timers otherwise, and synchronize() refuses to
 * run there (canBlock()).
 *
 * Deadlock: a thread that waits from inside its own read-side section (an
 * unregister from an ops callback) cannot be waited for by another thread
 * doing the same. Each waiter publishes whom it waits on; a writer inside a
 * section that finds itself in such a cycle throws EDEADLK instead of
 * hanging (the ops is unregistered, but not yet safe to free).
 */
import { FtraceError } from './ops.js';

export const EDEADLK = 35;
export const EAGAIN = 11;

/** Int32 words per reader slot: seq, alive, waitingOn (thread id + 1, or 0), spare. */
const SLOT_WORDS = 4;
const SEQ = 0;
const ALIVE = 1;
const WAITING_ON = 2;
/** Header words: the number of writers asleep on some reader's seq (readers notify when it is not 0). */
const SLEEPERS = 0;
const HEADER_WORDS = 4;

/** Spins before a writer sleeps: read-side sections are a walk over a few callbacks, microseconds. */
const SPINS = 2000;
/** A sleeping writer re-checks at least this often (ms), in case a notify was missed by a dying thread. */
const SLEEP_MS = 20;

let blockable: boolean | undefined;

/** Whether this thread may block in Atomics.wait (false on a browser's main thread). */
export function canBlock(): boolean {
  if (blockable === undefined) {
    try {
      // Throws where the agent cannot suspend, whatever the value; elsewhere "not-equal" at once.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      blockable = true;
    } catch {
      blockable = false;
    }
  }
  return blockable;
}

/** Bytes a reader table for `maxThreads` threads needs. */
export function readerTableBytes(maxThreads: number): number {
  return (HEADER_WORDS + maxThreads * SLOT_WORDS) * 4;
}

/** The readers of one shared ftrace state: a region of a SharedArrayBuffer. */
export class ReaderTable {
  readonly words: Int32Array;
  readonly maxThreads: number;

  constructor(buffer: SharedArrayBuffer, byteOffset: number, maxThreads: number) {
    this.words = new Int32Array(buffer, byteOffset, HEADER_WORDS + maxThreads * SLOT_WORDS);
    this.maxThreads = maxThreads;
  }

  /** Takes a free slot for the calling thread. */
  join(): ThreadReader {
    for (let t = 0; t < this.maxThreads; t++) {
      if (Atomics.compareExchange(this.words, aliveAt(t), 0, 1) === 0) return new ThreadReader(this, t);
    }
    throw new FtraceError(`more than ${this.maxThreads} threads share this ftrace state`, EAGAIN);
  }
}

function slot(t: number): number {
  return HEADER_WORDS + t * SLOT_WORDS;
}
/** The indices of thread t's words. */
function seqAt(t: number): number {
  return slot(t) + SEQ;
}
function aliveAt(t: number): number {
  return slot(t) + ALIVE;
}
function waitingOnAt(t: number): number {
  return slot(t) + WAITING_ON;
}

/** One thread's reader slot: its read-side sections, and its grace periods as a writer. */
export class ThreadReader {
  private seq = 0;
  private readonly seqIndex: number;
  private closed = false;

  constructor(
    private readonly table: ReaderTable,
    /** this thread's index in the table */
    readonly id: number,
  ) {
    this.seqIndex = seqAt(id);
    this.seq = Atomics.load(table.words, this.seqIndex);
    if (this.seq & 1) this.seq++;
    Atomics.store(table.words, this.seqIndex, this.seq);
  }

  /** The outermost read-side section starts: other threads' grace periods now wait for us. */
  enter(): void {
    this.seq = (this.seq + 1) | 0;
    Atomics.store(this.table.words, this.seqIndex, this.seq);
  }

  /** It ends: a quiescent point for this thread. */
  exit(): void {
    const words = this.table.words;
    this.seq = (this.seq + 1) | 0;
    Atomics.store(words, this.seqIndex, this.seq);
    if (Atomics.load(words, SLEEPERS) !== 0) Atomics.notify(words, this.seqIndex);
  }

  /** Leaves the table; the slot may be reused by another thread. Call it outside any section. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const words = this.table.words;
    if (this.seq & 1) this.exit();
    Atomics.store(words, aliveAt(this.id), 0);
  }

  /** The other threads now inside a read-side section, with the word each showed. */
  private snapshot(): { t: number; seq: number }[] {
    const words = this.table.words;
    const busy: { t: number; seq: number }[] = [];
    for (let t = 0; t < this.table.maxThreads; t++) {
      if (t === this.id || Atomics.load(words, aliveAt(t)) === 0) continue;
      const s = Atomics.load(words, seqAt(t));
      if (s & 1) busy.push({ t, seq: s });
    }
    return busy;
  }

  /**
   * synchronize_rcu(): returns once every other thread that was inside a
   * read-side section when it was called has left it. Blocks; throws
   * FtraceError(EAGAIN) on a thread that may not block, before waiting.
   * `insideSection`: the caller is itself inside a read-side section (then a
   * wait cycle between such threads throws EDEADLK).
   */
  synchronize(insideSection: boolean): void {
    const busy = this.snapshot();
    if (busy.length === 0) return;
    if (!canBlock()) {
      throw new FtraceError('this thread cannot block (a browser main thread): wait for the grace period with the async form', EAGAIN);
    }
    const words = this.table.words;
    for (const { t, seq } of busy) {
      const at = seqAt(t);
      let spins = 0;
      while (Atomics.load(words, at) === seq) {
        if (Atomics.load(words, aliveAt(t)) === 0) break;
        if (++spins < SPINS) continue;
        if (insideSection) this.checkCycle(t);
        Atomics.store(words, waitingOnAt(this.id), insideSection ? t + 1 : 0);
        Atomics.add(words, SLEEPERS, 1);
        try {
          Atomics.wait(words, at, seq, SLEEP_MS);
        } finally {
          Atomics.sub(words, SLEEPERS, 1);
          Atomics.store(words, waitingOnAt(this.id), 0);
        }
      }
    }
  }

  /** The same grace period without blocking: resolves once every thread then inside a section has left it. */
  async synchronizeAsync(): Promise<void> {
    const words = this.table.words;
    for (const { t, seq } of this.snapshot()) {
      const at = seqAt(t);
      while (Atomics.load(words, at) === seq && Atomics.load(words, aliveAt(t)) !== 0) {
        Atomics.add(words, SLEEPERS, 1);
        try {
          await sleepOn(words, at, seq);
        } finally {
          Atomics.sub(words, SLEEPERS, 1);
        }
      }
    }
  }

  /** Follows who waits on whom from thread t; throws when the chain comes back to us. */
  private checkCycle(t: number): void {
    const words = this.table.words;
    let cur = t;
    for (let hops = 0; hops < this.table.maxThreads; hops++) {
      const next = Atomics.load(words, waitingOnAt(cur)) - 1;
      if (next < 0) return;
      if (next === this.id) {
        throw new FtraceError(`threads ${this.id} and ${t} wait for each other's grace period from inside ops callbacks: the ops is unregistered but not yet safe to free`, EDEADLK);
      }
      cur = next;
    }
  }
}

type WaitAsync = (ta: Int32Array, index: number, value: number, timeout?: number) => { async: boolean; value: Promise<string> | string };

/** Resolves when words[at] may have changed: Atomics.waitAsync where the engine has it, a timer otherwise. */
function sleepOn(words: Int32Array, at: number, value: number): Promise<unknown> {
  const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
  if (waitAsync) {
    const r = waitAsync(words, at, value, SLEEP_MS);
    return r.async ? (r.value as Promise<string>) : Promise.resolve();
  }
  return new Promise((resolve) => setTimeout(resolve, 1));
}
