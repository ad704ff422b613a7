/**
 * One ftrace state for every thread of a shared-memory program.
 *
 * JavaScript threads share no objects, only SharedArrayBuffers, so the state
 * that is shared is a *description*: which ops are registered (by a numeric
 * key the program chooses, e.g. the address of the ops struct in shared
 * linear memory), whether each is DYNAMIC, and its filter and notrace text.
 * Each thread keeps its own Ftrace (its instance, its guards, its callbacks)
 * and binds it to the shared state with an FtraceThread; a `resolve(key)`
 * the thread supplies turns a key into that thread's local ops.
 *
 * How a change reaches every thread: a writer (register, unregister, a
 * filter change, on any thread) bumps a generation number in the buffer.
 * Each thread's dispatcher (the mcount/mcount_exit this binding wraps) loads
 * the generation at every dispatch, inside its read-side section, and when
 * it moved re-reads the description and applies it to its own Ftrace, which
 * re-patches that thread's guards. So a change reaches a thread at its next
 * dispatch, at its next callGuest(), or when it calls sync(). A thread whose
 * guards are all off does not dispatch: a newly registered ops reaches it at
 * its next callGuest()/sync() (or its next dispatch of a function some ops
 * already wanted).
 *
 * Grace periods (shared-rcu.ts): unregister() of a DYNAMIC ops returns only
 * when every other thread that was inside a read-side section (and so could
 * hold the ops in a walk's list) has left it; the ops is then unreachable
 * from every thread and may be freed at once, the promise of the kernel's
 * synchronize_sched() in unregister_ftrace_function(). On the calling
 * thread the single-thread model (rcu.ts) holds as before. Where a thread
 * may not block (a browser's main thread) unregister() of a DYNAMIC ops
 * throws before changing anything; unregisterAsync() is the form to use.
 *
 * The description is a seqlock: writers serialise on a lock word and make
 * the generation odd while they write (a few stores); a reader that sees it
 * odd, or moved while reading, reads again. It may not go on with its old
 * view: that view can still hold an ops whose unregister (an earlier
 * writer's) has returned. So a dispatcher spins while a writer is inside
 * its write, which is short unless the writer's thread is descheduled.
 */
import { FilterSpec } from '../abi/filter-spec.js';
import { Ftrace } from './ftrace.js';
import { EINVAL, FTRACE_OPS_FL_DYNAMIC, FTRACE_OPS_FL_ENABLED, FtraceError, type FtraceOps } from './ops.js';
import { KIND_GUEST, createSharedGuestApi, type SharedGuestApi } from './guest-threads.js';
import { EAGAIN, ReaderTable, canBlock, readerTableBytes, type ThreadReader } from './shared-rcu.js';

// Header words.
const LOCK = 0;
const GENERATION = 1;
const SERIAL = 2;
const MAX_OPS = 3;
const MAX_THREADS = 4;
const TEXT_BYTES = 5;
const HEADER_WORDS = 8;
// Words per ops slot.
const SLOT_WORDS = 10;
const S_USED = 0;
const S_KEY = 1;
const S_FLAGS = 2;
const S_REG_SERIAL = 3;
const S_FILTER_SERIAL = 4;
const S_FILTER_LEN = 5;
const S_NOTRACE_LEN = 6;
/** KIND_HOST: resolved by the thread's resolve(key); KIND_GUEST: a struct at address key, its callback at S_FUNC in each thread's table */
const S_KIND = 7;
const S_FUNC = 8;
/** The index of word `field` of slot `s` in SharedFtraceState.slots. */
const slotWord = (s: number, field: number) => s * SLOT_WORDS + field;
export const KIND_HOST = 0;
export { KIND_GUEST };

export interface SharedStateOptions {
  /** ops registered at once (default 32) */
  maxOps?: number;
  /** threads bound at once (default 64) */
  maxThreads?: number;
  /** bytes of filter text, and of notrace text, per ops (default 1024) */
  textBytes?: number;
}

/** The shared description: create it on one thread, send `buffer` to the others, `SharedFtraceState.from(buffer)` there. */
export class SharedFtraceState {
  readonly header: Int32Array;
  readonly slots: Int32Array;
  readonly text: Uint8Array;
  readonly readers: ReaderTable;

  private constructor(readonly buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_WORDS);
    const maxOps = this.header[MAX_OPS]!;
    const textAt = textOffset(maxOps);
    this.slots = new Int32Array(buffer, HEADER_WORDS * 4, maxOps * SLOT_WORDS);
    this.text = new Uint8Array(buffer, textAt, maxOps * 2 * this.header[TEXT_BYTES]!);
    this.readers = new ReaderTable(buffer, align4(textAt + this.text.byteLength), this.header[MAX_THREADS]!);
  }

  static create(options: SharedStateOptions = {}): SharedFtraceState {
    const maxOps = options.maxOps ?? 32;
    const maxThreads = options.maxThreads ?? 64;
    const textBytes = align4(options.textBytes ?? 1024);
    const buffer = new SharedArrayBuffer(stateBytes(maxOps, maxThreads, textBytes));
    const header = new Int32Array(buffer, 0, HEADER_WORDS);
    header[MAX_OPS] = maxOps;
    header[MAX_THREADS] = maxThreads;
    header[TEXT_BYTES] = textBytes;
    return new SharedFtraceState(buffer);
  }

  /** The state another thread created (its `buffer`, posted to this thread): a buffer of any other size is refused. */
  static from(buffer: SharedArrayBuffer): SharedFtraceState {
    const header = buffer instanceof SharedArrayBuffer && buffer.byteLength >= HEADER_WORDS * 4 ? new Int32Array(buffer, 0, HEADER_WORDS) : null;
    if (header === null || buffer.byteLength !== stateBytes(header[MAX_OPS]!, header[MAX_THREADS]!, header[TEXT_BYTES]!)) {
      throw new TypeError('not a shared ftrace state buffer');
    }
    return new SharedFtraceState(buffer);
  }

  get generation(): number {
    return Atomics.load(this.header, GENERATION);
  }

  get textBytes(): number {
    return this.header[TEXT_BYTES]!;
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function textOffset(maxOps: number): number {
  return (HEADER_WORDS + maxOps * SLOT_WORDS) * 4;
}

/** The buffer's size: header, slots, the text of each slot (filter and notrace), the reader table. */
function stateBytes(maxOps: number, maxThreads: number, textBytes: number): number {
  return align4(textOffset(maxOps) + maxOps * 2 * textBytes) + readerTableBytes(maxThreads);
}

/** One registered ops as the description holds it. */
interface SlotView {
  key: number;
  kind: number;
  func: number;
  flags: number;
  regSerial: number;
  filterSerial: number;
  filter: string;
  notrace: string;
}

/** What a thread made of one slot. */
interface LocalOps {
  ops: FtraceOps;
  regSerial: number;
  filterSerial: number;
}

export interface FtraceThreadOptions {
  /**
   * This thread's ops for a shared key, called when the key's registration
   * first reaches the thread (once per registration). The ops must not be
   * registered; DYNAMIC is set from the registration.
   */
  resolve?(key: number): FtraceOps;
  /**
   * Whether this thread may block in Atomics.wait (default: found out with
   * canBlock(); false on a browser's main thread). False makes unregister()
   * of a DYNAMIC ops throw EAGAIN: only unregisterAsync() waits.
   */
  blocking?: boolean;
  /**
   * TEST ONLY: unregister does not wait for the other threads. The thread
   * stress test turns it on to show what the wait is for; never use it.
   */
  skipGracePeriodForTest?: boolean;
}

export interface SharedRegisterOptions {
  /** the ops may be freed once unregistered: always called through the list walk, and unregister waits for every thread */
  dynamic?: boolean;
  /** set_ftrace_filter text (default: every function) */
  filter?: string;
  /** set_ftrace_notrace text */
  notrace?: string;
  /** for KIND_GUEST: the callback's index in the guest's function table (each thread calls its own table's) */
  func?: number;
}

/** The local map's key: kind and key together (a guest's address may equal a host key). */
const localKey = (kind: number, key: number) => kind * 0x1_0000_0000 + (key >>> 0);

/** Binds one thread's Ftrace to a shared state (see the file comment). Close it before the thread ends. */
export class FtraceThread {
  readonly reader: ThreadReader;
  private seen = -1;
  /** this thread's view holds a DYNAMIC ops: dispatch inside a published read-side section */
  private holdsDynamic = false;
  private readonly local = new Map<number, LocalOps>();
  private readonly resolve: ((key: number) => FtraceOps) | undefined;
  /** the guest API's imports on this thread, sharing what the guest registers (guest-threads.ts) */
  private readonly guestSide: SharedGuestApi;
  private readonly skipWait: boolean;
  private readonly blocking: boolean;

  constructor(
    readonly ft: Ftrace,
    readonly state: SharedFtraceState,
    options: FtraceThreadOptions,
  ) {
    this.resolve = options.resolve;
    this.skipWait = options.skipGracePeriodForTest === true;
    this.blocking = options.blocking ?? canBlock();
    if (ft.rcu.crossThread !== null) throw new FtraceError('this Ftrace is already bound to a shared state', EINVAL);
    this.reader = state.readers.join();
    ft.rcu.crossThread = this.reader;
    this.guestSide = createSharedGuestApi(this);
    this.sync();
  }

  /**
   * Ftrace.attach() for this thread's instance, plus what the shared guest
   * API needs of it (its memory and function table). Use it instead of
   * ft.attach when the guest registers ops itself.
   */
  attach(instance: WebAssembly.Instance): void {
    this.ft.attach(instance);
    this.guestSide.attach(instance);
    // guest ops this thread could not call without a table: apply the description again
    this.seen = -1;
    this.sync();
  }

  /**
   * The dispatcher for the instance: the Ftrace's own hook, after applying a
   * newer generation. While this thread's view holds a DYNAMIC ops the
   * dispatch is one read-side section (published to the other threads: two
   * Atomics.store) that loads the generation first. While it holds only
   * static ops nothing it could call is ever freed, so one Atomics.load of
   * the generation is all. A change is applied inside the section, and the
   * dispatch that follows stays inside it: applying may bring in a DYNAMIC
   * ops, which a writer could unregister and free the moment the section
   * ended. (The list walk still publishes its own section, as in the kernel.)
   */
  readonly mcount = (ip: number, parentIp: number): void => {
    if (!this.holdsDynamic && Atomics.load(this.state.header, GENERATION) === this.seen) {
      this.ft.mcount(ip, parentIp);
      return;
    }
    const rcu = this.ft.rcu;
    rcu.readLock();
    try {
      if (Atomics.load(this.state.header, GENERATION) !== this.seen && !this.applyMidDispatch(ip)) return;
      this.ft.mcount(ip, parentIp);
    } finally {
      rcu.readUnlock();
    }
  };

  readonly mcountExit = (ip: number): void => {
    if (!this.holdsDynamic && Atomics.load(this.state.header, GENERATION) === this.seen) {
      this.ft.mcountExit(ip);
      return;
    }
    const rcu = this.ft.rcu;
    rcu.readLock();
    try {
      if (Atomics.load(this.state.header, GENERATION) !== this.seen && !this.applyMidDispatch(ip)) return;
      this.ft.mcountExit(ip);
    } finally {
      rcu.readUnlock();
    }
  };

  /**
   * Applies a change that reached this thread at a dispatch of `ip`; false
   * when the dispatch must go no further. The call came through a guard set
   * for the old description, and a direct call trusts the guards
   * (Ftrace.mcount): so the one direct ops is tested here. (A list walk tests
   * each ops itself.)
   */
  private applyMidDispatch(ip: number): boolean {
    this.apply();
    return this.ft.mode !== 'direct' || Ftrace.opsTest(this.ft.registered[0]!, ip);
  }

  /** The `ftrace` import module for this thread's instance: the Ftrace's, with the dispatch hooks wrapped and the guest API shared. */
  get imports(): Ftrace['imports'] {
    return { ...this.ft.imports, ...this.guestSide.imports, mcount: this.mcount, mcount_exit: this.mcountExit };
  }

  /** Applies the shared description now if it changed. */
  sync(): void {
    const rcu = this.ft.rcu;
    rcu.readLock();
    try {
      if (Atomics.load(this.state.header, GENERATION) !== this.seen) this.apply();
    } finally {
      rcu.readUnlock();
    }
  }

  /** A call from the host into the instance (Ftrace.callGuest), after taking up any change. */
  callGuest<T>(fn: () => T): T {
    this.sync();
    return this.ft.callGuest(fn);
  }

  // ------------------------------------------------------------------ writers

  /**
   * register_ftrace_function() for every thread: EBUSY when `key` is
   * registered already. `kind` KIND_GUEST is the guest API's (key: the
   * struct's address, options.func: its callback).
   */
  register(key: number, options: SharedRegisterOptions = {}, kind = KIND_HOST): void {
    const filter = options.filter ?? '';
    const notrace = options.notrace ?? '';
    this.checkText(filter);
    this.checkText(notrace);
    this.write(() => {
      if (this.find(key, kind) >= 0) throw new FtraceError(`ops ${key} is already registered`, 16);
      const s = this.freeSlot();
      const slots = this.state.slots;
      slots[slotWord(s, S_KEY)] = key;
      slots[slotWord(s, S_KIND)] = kind;
      slots[slotWord(s, S_FUNC)] = options.func ?? 0;
      slots[slotWord(s, S_FLAGS)] = options.dynamic ? FTRACE_OPS_FL_DYNAMIC : 0;
      slots[slotWord(s, S_REG_SERIAL)] = this.nextSerial();
      this.writeText(s, filter, notrace);
      Atomics.store(slots, slotWord(s, S_USED), 1);
    });
    this.sync();
  }

  /**
   * unregister_ftrace_function() for every thread. For a DYNAMIC ops it
   * returns only after every other thread has left the read-side section it
   * was in, so the caller may free the ops at once. On a thread that cannot
   * block it throws FtraceError(EAGAIN) before changing anything when a
   * wait could be needed: use unregisterAsync() there. From inside an ops
   * callback, a wait cycle with another thread doing the same throws
   * EDEADLK (the ops is unregistered then, but not yet safe to free).
   */
  unregister(key: number, kind = KIND_HOST): void {
    const dynamic = this.unpublish(key, kind, !this.blocking);
    if (dynamic && !this.skipWait) this.reader.synchronize(this.ft.rcu.inReadSection);
  }

  /** unregister() that never blocks: resolves when the ops may be freed. */
  async unregisterAsync(key: number, kind = KIND_HOST): Promise<void> {
    const dynamic = this.unpublish(key, kind, false);
    if (dynamic && !this.skipWait) await this.reader.synchronizeAsync();
  }

  /** ftrace_set_filter() for every thread; text that matches nothing in this thread's module is an FtraceError (EINVAL). */
  setFilter(key: number, text: string, reset = true, kind = KIND_HOST): void {
    this.changeText(key, kind, text, reset, 'filter');
  }

  /** ftrace_set_notrace() for every thread. */
  setNotrace(key: number, text: string, reset = true, kind = KIND_HOST): void {
    this.changeText(key, kind, text, reset, 'notrace');
  }

  /** Whether `key` (of `kind`) is registered in the shared state now. */
  isRegistered(key: number, kind = KIND_HOST): boolean {
    return this.find(key, kind) >= 0;
  }

  /** Whether this thread may block (the option, or canBlock()). */
  get mayBlock(): boolean {
    return this.blocking;
  }

  /** A grace period across threads, never blocking: resolves once every thread then inside a read-side section has left it. */
  synchronizeAsync(): Promise<void> {
    return this.reader.synchronizeAsync();
  }

  /**
   * call_rcu across threads: `cb` runs on this thread, after a grace period
   * across all threads, at this thread's next quiescent point (rcu.ts).
   */
  callRcu(cb: () => void): void {
    void this.reader.synchronizeAsync().then(() => this.ft.callRcu(cb));
  }

  /** The host keys registered in the shared state now. */
  get registeredKeys(): number[] {
    return this.readAll()
      .views.filter((s) => s.kind === KIND_HOST)
      .map((s) => s.key);
  }

  /** Unbinds: this thread's ops are unregistered locally and its reader slot freed. Call it outside any dispatch. */
  close(): void {
    for (const l of this.local.values()) if (l.ops.flags & FTRACE_OPS_FL_ENABLED) this.ft.unregister(l.ops);
    this.local.clear();
    this.ft.rcu.crossThread = null;
    this.reader.close();
  }

  // ------------------------------------------------------------------ internals

  /**
   * Takes the registration out of the description; returns whether it was
   * DYNAMIC (read under the lock: the registration it removed, not one an
   * earlier read saw). `refuseDynamic`: a DYNAMIC one is left in place and
   * FtraceError(EAGAIN) thrown (a thread that cannot wait for it).
   */
  private unpublish(key: number, kind: number, refuseDynamic: boolean): boolean {
    const dynamic = this.write(() => {
      const s = this.find(key, kind);
      if (s < 0) throw new FtraceError(`ops ${key} is not registered`, EINVAL);
      const dynamic = (this.state.slots[slotWord(s, S_FLAGS)]! & FTRACE_OPS_FL_DYNAMIC) !== 0;
      if (dynamic && refuseDynamic && !this.skipWait) {
        throw new FtraceError(`ops ${key} is DYNAMIC and this thread cannot block for the grace period: use unregisterAsync()`, EAGAIN);
      }
      Atomics.store(this.state.slots, slotWord(s, S_USED), 0);
      return dynamic;
    });
    // This thread's own walks stop at once (rcu.ts's model: they re-check ENABLED).
    this.sync();
    return dynamic;
  }

  private changeText(key: number, kind: number, text: string, reset: boolean, which: 'filter' | 'notrace'): void {
    const spec = FilterSpec.parse(text);
    const missing = spec.unmatched([this.ft.filterUniverse])[0];
    if (missing) throw new FtraceError(`'${missing.text}' matches no function`, EINVAL);
    this.write(() => {
      const s = this.find(key, kind);
      if (s < 0) throw new FtraceError(`ops ${key} is not registered`, EINVAL);
      const v = this.readSlot(s);
      const old = which === 'filter' ? v.filter : v.notrace;
      const next = reset || old === '' ? spec.text : `${old} ${spec.text}`;
      this.checkText(next);
      this.writeText(s, which === 'filter' ? next : v.filter, which === 'notrace' ? next : v.notrace);
      this.state.slots[slotWord(s, S_FILTER_SERIAL)] = this.nextSerial();
    });
    this.sync();
  }

  private checkText(text: string): void {
    if (new TextEncoder().encode(text).length > this.state.textBytes) {
      throw new FtraceError(`filter text over ${this.state.textBytes} bytes cannot be shared (SharedFtraceState textBytes)`, EINVAL);
    }
  }

  /** Runs `fn` as the one writer, with the generation odd meanwhile (the seqlock); returns what it returns. */
  private write<T>(fn: () => T): T {
    const header = this.state.header;
    const blocking = this.blocking;
    while (Atomics.compareExchange(header, LOCK, 0, 1) !== 0) {
      if (blocking) Atomics.wait(header, LOCK, 1, 1);
    }
    Atomics.add(header, GENERATION, 1);
    try {
      return fn();
    } finally {
      Atomics.add(header, GENERATION, 1);
      Atomics.store(header, LOCK, 0);
      Atomics.notify(header, LOCK, 1);
    }
  }

  private nextSerial(): number {
    return Atomics.add(this.state.header, SERIAL, 1) + 1;
  }

  private find(key: number, kind: number): number {
    const slots = this.state.slots;
    const n = this.state.header[MAX_OPS]!;
    key |= 0;
    for (let s = 0; s < n; s++) {
      if (Atomics.load(slots, slotWord(s, S_USED)) === 1 && slots[slotWord(s, S_KEY)] === key && slots[slotWord(s, S_KIND)] === kind) return s;
    }
    return -1;
  }

  private freeSlot(): number {
    const slots = this.state.slots;
    const n = this.state.header[MAX_OPS]!;
    for (let s = 0; s < n; s++) if (Atomics.load(slots, slotWord(s, S_USED)) === 0) return s;
    throw new FtraceError(`more than ${n} ops registered in the shared state`, EAGAIN);
  }

  /** Slot s's text: its filter's bytes, then its notrace's, textBytes each. */
  private writeText(s: number, filter: string, notrace: string): void {
    const size = this.state.textBytes;
    const f = new TextEncoder().encode(filter);
    const n = new TextEncoder().encode(notrace);
    this.state.text.set(f, 2 * s * size);
    this.state.text.set(n, (2 * s + 1) * size);
    this.state.slots[slotWord(s, S_FILTER_LEN)] = f.length;
    this.state.slots[slotWord(s, S_NOTRACE_LEN)] = n.length;
  }

  private readSlot(s: number): SlotView {
    const slots = this.state.slots;
    const word = (field: number) => slots[slotWord(s, field)]!;
    const size = this.state.textBytes;
    const text = this.state.text;
    // slice() copies out of the shared buffer: TextDecoder refuses shared views in browsers.
    const decode = (from: number, len: number) => new TextDecoder().decode(text.slice(from, from + Math.min(len, size)));
    return {
      key: word(S_KEY),
      kind: word(S_KIND),
      func: word(S_FUNC),
      flags: word(S_FLAGS),
      regSerial: word(S_REG_SERIAL),
      filterSerial: word(S_FILTER_SERIAL),
      filter: decode(2 * s * size, word(S_FILTER_LEN)),
      notrace: decode((2 * s + 1) * size, word(S_NOTRACE_LEN)),
    };
  }

  /**
   * A consistent read of the description and the generation it is of. It
   * spins while a writer is busy (a write is a few stores): going on with
   * an older view is safe only against the writer now busy (its grace
   * period will wait for us), not against earlier writers whose grace
   * periods already ended.
   */
  private readAll(): { generation: number; views: SlotView[] } {
    const header = this.state.header;
    const n = header[MAX_OPS]!;
    for (;;) {
      const g = Atomics.load(header, GENERATION);
      if (g & 1) continue;
      const views: SlotView[] = [];
      for (let s = 0; s < n; s++) if (Atomics.load(this.state.slots, slotWord(s, S_USED)) === 1) views.push(this.readSlot(s));
      if (Atomics.load(header, GENERATION) === g) return { generation: g, views };
    }
  }

  /** Brings this thread's Ftrace in line with the description (inside a read-side section). */
  private apply(): void {
    const { generation, views } = this.readAll();
    const byKey = new Map(views.map((v) => [localKey(v.kind, v.key), v]));
    const ft = this.ft;
    for (const [key, l] of this.local) {
      const v = byKey.get(key);
      if (v && v.regSerial === l.regSerial) continue;
      if (l.ops.flags & FTRACE_OPS_FL_ENABLED) ft.unregister(l.ops);
      this.local.delete(key);
    }
    for (const v of views) {
      const key = localKey(v.kind, v.key);
      let l = this.local.get(key);
      if (!l) {
        // No ops on this thread (no resolve for host keys, no instance yet for a guest's): it does not run here.
        const ops = v.kind === KIND_GUEST ? this.guestSide.resolve(v.key >>> 0, v.func) : (this.resolve?.(v.key) ?? null);
        if (ops === null) continue;
        if (ops.flags & FTRACE_OPS_FL_ENABLED) throw new FtraceError(`resolve(${v.key}) returned a registered ops`, EINVAL);
        ops.flags = (ops.flags & ~FTRACE_OPS_FL_DYNAMIC) | (v.flags & FTRACE_OPS_FL_DYNAMIC);
        l = { ops, regSerial: v.regSerial, filterSerial: -1 };
        this.local.set(key, l);
      }
      if (l.filterSerial === v.filterSerial) continue;
      l.filterSerial = v.filterSerial;
      const filter = FilterSpec.parse(v.filter);
      // A filter that selects nothing in this thread's module: the ops must not run here (an empty hash means everything).
      const wanted = !ft.resolveFilter(filter).selectsNothing;
      const on = (l.ops.flags & FTRACE_OPS_FL_ENABLED) !== 0;
      if (on && !wanted) ft.unregister(l.ops);
      if (!wanted) continue;
      ft.setFilter(l.ops, filter, true);
      ft.setNotrace(l.ops, FilterSpec.parse(v.notrace), true);
      if (!on) ft.register(l.ops);
    }
    this.seen = generation;
    let dynamic = false;
    for (const l of this.local.values()) if (l.ops.flags & FTRACE_OPS_FL_DYNAMIC) dynamic = true;
    this.holdsDynamic = dynamic;
  }
}

export { EAGAIN };
