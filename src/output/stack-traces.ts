/**
 * Stack traces in a trace: a STACK event (the function a stacktrace trigger
 * fired on; depth = the number of frames) followed by that many STACK_FRAME
 * events (its callers, innermost first). The instant-event outputs (Chrome,
 * Perfetto) write one event per stack trace, once its frames are in.
 *
 * No Node APIs: this runs in browsers too.
 */
import { EVENT_STACK, EVENT_STACK_FRAME, type TraceEvent } from '../ring/event.js';

export class StackTraces {
  private stack: { ev: TraceEvent; frames: number[]; remaining: number } | null = null;

  /** `emit` gets the STACK event and the ips of its callers (a frame whose STACK was overwritten in the ring is dropped) */
  constructor(private readonly emit: (ev: TraceEvent, callers: number[]) => void) {}

  /** Takes a STACK or STACK_FRAME event (true), or ends the stack trace in progress (false: the caller handles `ev`). */
  feed(ev: TraceEvent): boolean {
    if (ev.type === EVENT_STACK_FRAME) {
      const s = this.stack;
      if (s && s.ev.instance === ev.instance && s.remaining > 0) {
        s.frames.push(ev.ip);
        if (--s.remaining === 0) this.flush();
      }
      return true;
    }
    this.flush();
    if (ev.type !== EVENT_STACK) return false;
    this.stack = { ev, frames: [], remaining: ev.depth };
    if (ev.depth <= 0) this.flush();
    return true;
  }

  /** Writes the stack trace in progress, even one cut short. */
  flush(): void {
    const s = this.stack;
    if (!s) return;
    this.stack = null;
    this.emit(s.ev, s.frames);
  }
}
