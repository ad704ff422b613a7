/**
 * Matching ENTRY and EXIT events into calls: the one call matcher that the
 * profile, folded stacks, Chrome JSON, Perfetto and the viewer share.
 *
 * No Node APIs: this runs in browsers too.
 */
import { EVENT_ENTRY, EVENT_EXIT, type TraceEvent, type TraceStream } from '../ring/event.js';

/** One call on an instance's stack, as walkCalls() reconstructs it. */
export interface CallFrame {
  readonly instance: number;
  readonly ip: number;
  readonly depth: number;
  /** ts of the ENTRY; for an EXIT whose ENTRY is not in the trace, exit ts - duration */
  readonly start: number;
  /** the open call at depth - 1 that made this one, or null when it is not in the trace */
  readonly parent: CallFrame | null;
  /** every caller down to depth 0 is in the trace, so the stack of names is exact */
  readonly known: boolean;
  /** false for a call known only by its EXIT (its ENTRY was overwritten) */
  readonly entered: boolean;
  /** time of direct children that completed, plus children of children that never returned */
  childTime: number;
}

/** Why a call ended without its EXIT: a trap unwound it, or the trace ends first. */
export type LostReason = 'unwound' | 'end';

export interface CallVisitor {
  /** an ENTRY opened `frame` */
  enter?(frame: CallFrame, event: TraceEvent): void;
  /** an EXIT closed `frame` (frame.entered is false when its ENTRY is not in the trace); self = duration - childTime */
  exit?(frame: CallFrame, event: TraceEvent, self: number): void;
  /** `frame` will never see its EXIT; `ts` is when that became known (the next event that proves it, or the last ts) */
  lost?(frame: CallFrame, ts: number, reason: LostReason): void;
  /** any other event (MARKER, STACK, STACK_FRAME), in trace order */
  other?(event: TraceEvent): void;
}

interface WalkState {
  stack: CallFrame[];
  /** child time of calls at depth k whose frame is not open (their ENTRY was overwritten) */
  orphan: Map<number, number>;
}

/**
 * Replays a trace's ENTRY/EXIT events as properly nested calls, per
 * instance, tolerating what a ring buffer and traps leave behind:
 * - an EXIT with no open call (its ENTRY was overwritten): reported as a
 *   call with entered = false, its children's time still attributed to it;
 * - calls that never return (a trap unwound them, the tracer repaired its
 *   shadow stack and wrote nothing): closed as `lost` as soon as an ENTRY at
 *   their depth or above, or an EXIT of a caller, shows they are gone;
 * - calls still open at the end: closed as `lost` at the last timestamp.
 * Every `enter` is followed by exactly one `exit` or `lost` for the same
 * frame, and frames close innermost first.
 */
export function walkCalls(trace: TraceStream, visitor: CallVisitor): void {
  const states = new Map<number, WalkState>();
  const stateOf = (id: number): WalkState => {
    let st = states.get(id);
    if (!st) {
      st = { stack: [], orphan: new Map() };
      states.set(id, st);
    }
    return st;
  };
  const credit = (st: WalkState, depth: number, parent: CallFrame | null, time: number): void => {
    if (parent) parent.childTime += time;
    else if (depth > 0) st.orphan.set(depth - 1, (st.orphan.get(depth - 1) ?? 0) + time);
  };
  const dropOrphans = (st: WalkState, fromDepth: number): void => {
    if (st.orphan.size === 0) return; // the common case: nothing was ever overwritten
    for (const k of [...st.orphan.keys()]) if (k >= fromDepth) st.orphan.delete(k);
  };
  /** closes frames from the top while `pred` holds */
  const unwind = (st: WalkState, pred: (f: CallFrame) => boolean, ts: number, reason: LostReason): void => {
    for (let top = st.stack.at(-1); top && pred(top); top = st.stack.at(-1)) {
      st.stack.pop();
      // The lost call's own time is unknown; what its children took still belongs to its caller.
      credit(st, top.depth, top.parent, top.childTime);
      visitor.lost?.(top, ts, reason);
    }
  };
  const parentAt = (st: WalkState, depth: number): CallFrame | null => {
    const top = st.stack.at(-1);
    return top && top.depth === depth - 1 ? top : null;
  };

  let lastTs = -Infinity;
  for (const ev of trace.events) {
    if (ev.ts > lastTs) lastTs = ev.ts;
    if (ev.type === EVENT_ENTRY) {
      const st = stateOf(ev.instance);
      unwind(st, (f) => f.depth >= ev.depth, ev.ts, 'unwound');
      dropOrphans(st, ev.depth);
      const parent = parentAt(st, ev.depth);
      const frame: CallFrame = {
        instance: ev.instance,
        ip: ev.ip,
        depth: ev.depth,
        start: ev.ts,
        parent,
        known: ev.depth === 0 || (parent !== null && parent.known),
        entered: true,
        childTime: 0,
      };
      st.stack.push(frame);
      visitor.enter?.(frame, ev);
    } else if (ev.type === EVENT_EXIT) {
      const st = stateOf(ev.instance);
      let at = -1;
      for (let i = st.stack.length - 1; i >= 0; i--) {
        const f = st.stack[i]!;
        if (f.ip === ev.ip && f.depth === ev.depth) {
          at = i;
          break;
        }
        if (f.depth < ev.depth) break;
      }
      let frame: CallFrame;
      if (at >= 0) {
        const target = st.stack[at]!;
        unwind(st, (f) => f !== target, ev.ts, 'unwound');
        st.stack.pop();
        frame = target;
      } else {
        unwind(st, (f) => f.depth >= ev.depth, ev.ts, 'unwound');
        const parent = parentAt(st, ev.depth);
        frame = {
          instance: ev.instance,
          ip: ev.ip,
          depth: ev.depth,
          start: ev.ts - ev.duration,
          parent,
          known: ev.depth === 0 || (parent !== null && parent.known),
          entered: false,
          childTime: st.orphan.get(ev.depth) ?? 0,
        };
      }
      dropOrphans(st, ev.depth);
      credit(st, frame.depth, frame.parent, ev.duration);
      visitor.exit?.(frame, ev, ev.duration - frame.childTime);
    } else {
      visitor.other?.(ev);
    }
  }
  for (const st of states.values()) unwind(st, () => true, lastTs, 'end');
}
