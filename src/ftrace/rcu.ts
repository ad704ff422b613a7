/**
 * Grace periods for a single JavaScript thread, tied to the dispatch depth.
 *
 * The kernel's list walk runs with preemption disabled, so "every CPU has
 * scheduled once" (synchronize_sched) proves that no walk that could have
 * seen an ops is still running. Here the read-side section is the host's
 * dispatch: the list function raises `depth` while it walks, and a grace
 * period has passed whenever depth is back to 0 (the quiescent state).
 *
 * Inside a callback (depth > 0) nobody can wait: the walk that called us is
 * below us on the stack. Unregister therefore makes the ops unreachable at
 * once (ENABLED cleared, which every walk checks before calling) and defers
 * only what may wait - the reclaimer queue - to the next quiescent point.
 */
export class GracePeriod {
  /** nesting of read-side sections (list walks) now in flight */
  depth = 0;
  private callbacks: (() => void)[] = [];
  private waiters: (() => void)[] = [];
  private flushScheduled = false;

  /** Enter a read-side section (preempt_disable_notrace). */
  readLock(): void {
    this.depth++;
  }

  /** Leave it; at depth 0 this is a quiescent point and deferred work runs. */
  readUnlock(): void {
    if (--this.depth === 0 && (this.callbacks.length > 0 || this.waiters.length > 0)) this.quiesce();
  }

  get inReadSection(): boolean {
    return this.depth > 0;
  }

  /**
   * call_rcu: run `cb` after a grace period, at the next quiescent point.
   * Never synchronously: even at depth 0 the caller may still hold what cb frees.
   */
  callRcu(cb: () => void): void {
    this.callbacks.push(cb);
    if (this.depth === 0) this.scheduleFlush();
  }

  /**
   * synchronize_rcu for TypeScript users: resolves once no read-side section
   * that was in flight when it was called can still be running.
   */
  synchronize(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
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
      if (this.depth === 0) this.quiesce();
    });
  }

  private quiesce(): void {
    // Callbacks may register more (or dispatch, raising depth again): take
    // the current batch only, the rest waits for its own quiescent point.
    const batch = this.callbacks;
    const waiters = this.waiters;
    this.callbacks = [];
    this.waiters = [];
    for (const resolve of waiters) resolve();
    for (const cb of batch) {
      try {
        cb();
      } catch (e) {
        // Never unwind into the wasm frames below a dispatch: report it on its own.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }
}
