/**
 * Keeping a page's whole trace, not just the ring buffer's last window.
 *
 * The ring's onFull hook drains it into chunks kept in memory (a copy of
 * each drained run, 31 bytes an event), as `record` drains it to a file,
 * until the chunks reach a memory budget (default 128 MiB, about 4.3 M
 * events). Past the budget the ring's own policy applies again (overwrite
 * the oldest, or stop), and the console says so, once: events are never
 * lost without a word. With no budget (0) the console still says so the
 * first time the ring fills. read() is the chunks, then the ring.
 * Browser-safe.
 */
import { EVENT_MARKER, type TraceData, type TraceEvent } from '../ring/event.js';
import type { RingColumns } from '../ring/ring-buffer.js';
import type { TraceArray } from '../tracers/trace-array.js';

export const DEFAULT_MEMORY_KB = 128 * 1024;
/** ts, duration (f64), ip, parent, depth (u32), instance (u16), type (u8) */
const BYTES_PER_EVENT = 31;

export class TraceSpill {
  /** drained runs, oldest first (copies: they outlive the ring's arrays) */
  chunks: RingColumns[] = [];
  /** memory the chunks take (marker texts counted at 2 bytes a unit) */
  bytes = 0;
  /** events in the chunks */
  events = 0;
  private warned = false;
  private readonly hook = (): void => this.onFull();

  constructor(
    private readonly tr: TraceArray,
    /** bytes; 0: keep nothing beyond the ring */
    readonly budget: number,
    private readonly warn: (message: string) => void,
  ) {
    tr.ring.onFull = this.hook;
  }

  /** Moves what the ring holds into the chunks, budget or not (save() wants everything). */
  drain(): void {
    this.tr.ring.drainColumns((c) => this.keep(c));
  }

  /** Chunks and ring, as one trace. */
  read(): TraceData {
    const data = this.tr.read();
    if (this.events === 0) return data;
    const events: TraceEvent[] = [];
    for (const c of this.chunks) toEvents(c, events);
    for (const e of data.events) events.push(e);
    return { ...data, events, entries: events.length };
  }

  /** Forgets the chunks, and is the ring's hook again. */
  reset(): void {
    this.chunks = [];
    this.bytes = 0;
    this.events = 0;
    this.warned = false;
    this.tr.ring.onFull = this.hook;
  }

  /** The ring's hook: runs inside the traced program, so it never throws. */
  private onFull(): void {
    const ring = this.tr.ring;
    if (this.bytes + ring.entries * BYTES_PER_EVENT <= this.budget) {
      try {
        this.drain();
        return;
      } catch {
        // (out of memory): fall through to the ring's own policy
      }
    }
    ring.onFull = null;
    if (this.warned) return;
    this.warned = true;
    const what = ring.mode === 'overwrite' ? 'overwrites its oldest events' : 'drops new events';
    this.warn(
      this.budget > 0
        ? `wasm-ftrace: the trace reached its memory budget (${Math.round(this.budget / 1024)} KiB, ${this.events} events kept); from now on the ring buffer ${what}. ` +
            'wasmFtrace.save() keeps what there is; a bigger budget: memoryKb (data-memory-kb)'
        : `wasm-ftrace: the ring buffer is full and ${what}: events are being lost (memoryKb is 0, nothing is kept beyond the ring)`,
    );
  }

  private keep(c: RingColumns): void {
    const n = c.count;
    const markers = new Map(c.markers);
    let textBytes = 0;
    for (const t of markers.values()) textBytes += 2 * t.length;
    this.chunks.push({
      count: n,
      firstSeq: c.firstSeq,
      type: c.type.slice(0, n),
      instance: c.instance.slice(0, n),
      ip: c.ip.slice(0, n),
      parent: c.parent.slice(0, n),
      depth: c.depth.slice(0, n),
      ts: c.ts.slice(0, n),
      duration: c.duration.slice(0, n),
      markers,
    });
    this.events += n;
    this.bytes += n * BYTES_PER_EVENT + textBytes;
  }
}

/** A kept run as event objects (datafile/decode.ts has the same for a file's columns; importing it would pull the file format into the runtime). */
function toEvents(c: RingColumns, out: TraceEvent[]): void {
  for (let i = 0; i < c.count; i++) {
    const type = c.type[i]! as TraceEvent['type'];
    const ev: TraceEvent = { type, instance: c.instance[i]!, ip: c.ip[i]!, parent: c.parent[i]!, depth: c.depth[i]!, ts: c.ts[i]!, duration: c.duration[i]!, seq: c.firstSeq + i };
    if (type === EVENT_MARKER) ev.text = c.markers.get(i) ?? '';
    out.push(ev);
  }
}
