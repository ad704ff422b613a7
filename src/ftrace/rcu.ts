/**
 * Grace periods for a single JavaScript thread: the one place that says what
 * a quiescent point is.
 *
 * The model, in two promises:
 *
 * 1. An ops is unreachable once unregister returns. Every list walk is a
 *    read-side section (readLock/readUnlock, the wasm analogue of
 *    preempt_disable_notrace) and re-checks ENABLED before each call, so an
 *    unregister from inside a callback also stops the walks below it on the
 *    stack; the host never reads a guest's ops struct after unregister
 *    returned. Nothing waits for this: it holds at once.
 *
 * 2. Reclaimers (callRcu, the kernel's call_rcu) run only at a quiescent
 *    point: a moment with no guest frames on the stack, so a reclaimer may
 *    call back into the guest (its `free()`) without re-entering code that
 *    was interrupted, such as the allocator whose prologue fired mcount.
 *    There are two such points:
 *      - the outermost call from the host into the instance returns (host
 *        call depth back to 0: counted by whoever wraps the instance's
 *        entry points, through enterGuest/leaveGuest);
 *      - a microtask: it runs on an empty JavaScript stack.
 *    Never inside mcount, and never synchronously in callRcu.
 *    synchronize() resolves at the next quiescent point.
 *
 * Workers and shared memory (several threads): threads.ts binds an Ftrace
 * to a state shared by the threads, and `crossThread` then publishes the
 * outermost read-side section to the other threads (shared-rcu.ts), so that
 * their grace periods wait for it.
 */
export class GracePeriod {
  /** nesting of read-side sections (list walks) now in flight */
  depth = 0;
  /** calls from the host into the instance now in flight, as reported by enterGuest/leaveGuest */
  hostDepth = 0;
  /** where a throwing reclaimer's error goes: by default re-thrown on its own, from a microtask */
  onError: (error: unknown) => void = (error) =>
    queueMicrotask(() => {
      throw error;
    });
  /** set by threads.ts when the threads share an ftrace state: told when the outermost section starts and ends */
  crossThread: { enter(): void; exit(): void } | null = null;
  private callbacks: (() => void)[] = [];
  private waiters: (() => void)[] = [];
  private flushScheduled = false;

  /** Enter a read-side section (preempt_disable_notrace). */
  readLock(): void {
    if (this.depth++ === 0) this.crossThread?.enter();
  }

  /**
   * Leave it. Deferred work never runs here (guest frames are below every
   * dispatch): at depth 0 it is handed to a microtask, in case a flush found
   * the section still held.
   */
  readUnlock(): void {
    if (--this.depth !== 0) return;
    this.crossThread?.exit();
    if (this.callbacks.length > 0 || this.waiters.length > 0) this.scheduleFlush();
  }

  get inReadSection(): boolean {
    return this.depth > 0;
  }

  /** The host is calling into the instance (an export wrapper's entry). */
  enterGuest(): void {
    this.hostDepth++;
  }

  /** That call returned or threw: at host call depth 0 this is a quiescent point. */
  leaveGuest(): void {
    if (--this.hostDepth === 0 && this.depth === 0) this.quiesce();
  }

  /** Runs `fn` as a call from the host into the instance (enterGuest/leaveGuest around it). */
  callGuest<T>(fn: () => T): T {
    this.enterGuest();
    try {
      return fn();
    } finally {
      this.leaveGuest();
    }
  }

  /**
   * call_rcu: run `cb` at the next quiescent point. Never synchronously:
   * the caller may still hold what cb frees.
   */
  callRcu(cb: () => void): void {
    this.callbacks.push(cb);
    this.scheduleFlush();
  }

  /** synchronize_rcu for TypeScript users: resolves at the next quiescent point. */
  synchronize(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.scheduleFlush();
    });
  }

  /** Deferred callbacks not yet run. */
  get pending(): number {
    return this.callbacks.length;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      // A microtask runs on an empty stack; the checks keep the promise even
      // for an embedder that suspends wasm (JSPI): then leaveGuest flushes.
      if (this.depth === 0 && this.hostDepth === 0) this.quiesce();
    });
  }

  private quiesce(): void {
    if (this.callbacks.length === 0 && this.waiters.length === 0) return;
    // Callbacks may queue more: take the current batch only, the rest waits
    // for its own quiescent point.
    const batch = this.callbacks;
    const waiters = this.waiters;
    this.callbacks = [];
    this.waiters = [];
    for (const resolve of waiters) resolve();
    for (const cb of batch) {
      try {
        cb();
      } catch (e) {
        // One reclaimer's error must not stop the others.
        this.onError(e);
      }
    }
  }
}
