/**
 * The trace ring buffer: fixed-size event records in typed arrays allocated
 * once, a single producer (JavaScript runs one thread), and two kinds of
 * reader as in ftrace: `read()` is the `trace` file (non-consuming) and
 * `consume()` is `trace_pipe` (takes the oldest events away).
 *
 * Record layout, struct-of-arrays over one ArrayBuffer (31 bytes a record):
 *
 *   offset (x capacity)  array         field
 *   0                    Float64Array  ts
 *   8                    Float64Array  duration
 *   16                   Uint32Array   ip        (HOST_IP 0xFFFFFFFF fits; -1 from an i32 reads back as it)
 *   20                   Uint32Array   parent
 *   24                   Uint32Array   depth
 *   28                   Uint16Array   instance  (ids 0..65535)
 *   30                   Uint8Array    type      (EVENT_*)
 *
 * The widest arrays come first, so every view is aligned with no padding.
 * A record's sequence number is not stored: records are held in sequence
 * order, so the one in the k-th held position has `firstSeq + k`.
 *
 * The writer's state is three numbers: `tail` (the next slot), `count` and
 * `seqEnd` (the next sequence number). The oldest slot and most counters are
 * derived from them, so `write` updates as little as it can:
 *   head = tail - count (mod capacity)
 *   firstSeq = seqEnd - count
 *   written = accepted + dropped, where accepted = seqEnd - seqBase (seqEnd at the last reset)
 *   overrun = accepted - entries - consumed
 *
 * Memory bound: the records take exactly `capacity * 31` bytes, never more
 * than `sizeKb` KiB, whatever the number of events written. Marker texts live
 * in a side table (slot -> string) whose entries leave with their record
 * (overwritten, consumed, reset); their total is charged against a text
 * budget of `markerKb` KiB (default: sizeKb, at least 1) at 2 bytes a UTF-16 unit plus
 * MARKER_OVERHEAD_BYTES a marker. As in the kernel, where a long marker
 * takes more of the buffer, a marker that does not fit the budget pushes out
 * the oldest records (overwrite mode) or is dropped (stop mode). So the
 * buffer holds at most about sizeKb + markerKb KiB, plus a few hundred
 * bytes of object.
 *
 * The hot path (`write`) allocates nothing, creates no closure or object and
 * stays small so that V8 inlines it into the tracer's callback.
 *
 * Streaming (a recorder writing a data file): `onFull` is called when a
 * write finds the buffer full (or a marker finds the text budget spent),
 * before anything is overwritten or dropped; a hook that empties the buffer
 * with `drainColumns` lets the write go into the freed room, so nothing is
 * lost however long the recording. `drainColumns` hands out the records as
 * typed-array views, never as event objects, and counts them as consumed.
 */
import { EVENT_MARKER, type EventType, type TraceClock, type TraceData, type TraceEvent, type TraceInstanceInfo } from './event.js';

/** What a full buffer does with a new event: drop the oldest (ftrace's default `overwrite` option) or the newest. */
export type RingMode = 'overwrite' | 'stop';

export interface RingBufferOptions {
  /** Size of the record arrays in KiB (ftrace's buffer_size_kb); default 1408, ftrace's per-cpu default. */
  sizeKb?: number;
  /** When full: 'overwrite' drops the oldest record (default), 'stop' refuses the new one. */
  mode?: RingMode;
  /** Budget for marker texts in KiB (see MARKER_OVERHEAD_BYTES); default: sizeKb, at least 1. */
  markerKb?: number;
}

export const RING_DEFAULT_SIZE_KB = 1408;
/** Bytes per record: ts, duration (f64), ip, parent, depth (u32), instance (u16), type (u8). */
export const RING_BYTES_PER_RECORD = 8 + 8 + 4 + 4 + 4 + 2 + 1;
/** Longest marker text kept, in UTF-16 code units (the kernel's TRACE_MARKER_MAX_SIZE is 4096 bytes). */
export const TRACE_MARKER_MAX = 4096;
/** Appended to a marker text that was cut short; counted in TRACE_MARKER_MAX. */
export const TRACE_MARKER_TRUNCATED = '\u2026';
/** What a marker costs the text budget besides its text: an estimate of the side table entry and string header. */
export const MARKER_OVERHEAD_BYTES = 64;

/** Whether `mode` is 'stop' (else 'overwrite'); a RangeError for any other value. */
function stopsWhenFull(mode: unknown): boolean {
  if (mode !== 'overwrite' && mode !== 'stop') throw new RangeError(`ring buffer mode must be 'overwrite' or 'stop', not '${String(mode)}'`);
  return mode === 'stop';
}

/**
 * Cuts `text` to at most `max` UTF-16 units, the last being
 * TRACE_MARKER_TRUNCATED, without splitting a surrogate pair. The result is
 * a fresh flat string: it does not keep a long original alive.
 */
export function truncateMarkerText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < 1) return '';
  let cut = max - 1;
  const last = text.charCodeAt(cut - 1);
  if (cut > 0 && last >= 0xd800 && last <= 0xdbff) cut--;
  const s = text.slice(0, cut) + TRACE_MARKER_TRUNCATED;
  // A slice of a long string may be a view that holds all of it, and so may a
  // concatenation until V8 flattens it; reading a character flattens it.
  s.charCodeAt(0);
  return s;
}

/**
 * Records as `drainColumns` hands them out: one contiguous run of the
 * buffer, oldest first, as views of the ring's own arrays. The views are
 * valid only while the sink runs: copy what must outlive it.
 */
export interface RingColumns {
  /** records in this run */
  count: number;
  /** sequence number of the first record (the k-th has firstSeq + k) */
  firstSeq: number;
  type: Uint8Array;
  instance: Uint16Array;
  ip: Uint32Array;
  parent: Uint32Array;
  depth: Uint32Array;
  ts: Float64Array;
  duration: Float64Array;
  /** marker texts by record index in this run (a MARKER without an entry has text '') */
  markers: ReadonlyMap<number, string>;
}

/** EVENT_MARKER as a module-local constant for the hot path: bundlers and test runners may turn an imported binding into a property read or a getter call. */
const MARKER: number = EVENT_MARKER;
/** What write does when the buffer is full (RingBuffer.whenFull): one field for the hot path to test. */
const FULL_OVERWRITE = 0;
const FULL_STOP = 1;
const FULL_HOOK = 2;
const NO_MARKERS: Map<number, string> = new Map();

export class RingBuffer {
  /** The size asked for, in KiB. */
  readonly sizeKb: number;
  /** Records the buffer holds when full: floor(sizeKb * 1024 / bytesPerRecord). */
  readonly capacity: number;
  readonly bytesPerRecord = RING_BYTES_PER_RECORD;
  /** Bytes of the record arrays: capacity * bytesPerRecord <= sizeKb * 1024. */
  readonly bytes: number;
  /** The marker text budget in bytes. */
  readonly markerBudget: number;
  /** Longest marker text kept (TRACE_MARKER_MAX, less when the text budget is smaller). */
  readonly markerMaxChars: number;

  private readonly tsA: Float64Array;
  private readonly durationA: Float64Array;
  private readonly ipA: Uint32Array;
  private readonly parentA: Uint32Array;
  private readonly depthA: Uint32Array;
  private readonly instanceA: Uint16Array;
  private readonly typeA: Uint8Array;
  /** marker text by slot; an entry leaves with its record */
  private readonly markers = new Map<number, string>();

  private stopWhenFull: boolean;
  /** FULL_OVERWRITE, FULL_STOP or FULL_HOOK (an onFull hook is set): the mode and the hook in one field */
  private whenFull: number = FULL_OVERWRITE;
  private hook: (() => void) | null = null;
  private inOnFull = false;
  /** slot the next record goes to */
  private tail = 0;
  private count = 0;
  /** sequence number of the next record accepted */
  private seqEnd = 0;
  /** seqEnd at the last reset */
  private seqBase = 0;
  private nDropped = 0;
  private nConsumed = 0;
  private nMarkerBytes = 0;
  /** counters as the last consume() saw them, for pipeLost */
  private pipeOverrunMark = 0;
  private pipeDroppedMark = 0;
  private nPipeLost = 0;

  constructor(options: RingBufferOptions = {}) {
    const sizeKb = options.sizeKb ?? RING_DEFAULT_SIZE_KB;
    const stop = stopsWhenFull(options.mode ?? 'overwrite');
    const markerKb = options.markerKb ?? Math.max(sizeKb, 1);
    const capacity = Math.floor((sizeKb * 1024) / RING_BYTES_PER_RECORD);
    if (!Number.isFinite(sizeKb) || capacity < 1) {
      throw new RangeError(`ring buffer size ${sizeKb} KiB holds no record of ${RING_BYTES_PER_RECORD} bytes`);
    }
    const markerBudget = Math.floor(markerKb * 1024);
    if (!Number.isFinite(markerKb) || markerBudget < MARKER_OVERHEAD_BYTES) {
      throw new RangeError(`marker budget ${markerKb} KiB is less than one marker (${MARKER_OVERHEAD_BYTES} bytes)`);
    }
    this.sizeKb = sizeKb;
    this.capacity = capacity;
    this.bytes = capacity * RING_BYTES_PER_RECORD;
    this.markerBudget = markerBudget;
    this.markerMaxChars = Math.min(TRACE_MARKER_MAX, Math.floor((markerBudget - MARKER_OVERHEAD_BYTES) / 2));
    this.stopWhenFull = stop;
    this.whenFull = this.stopWhenFull ? FULL_STOP : FULL_OVERWRITE;
    const buf = new ArrayBuffer(this.bytes);
    this.tsA = new Float64Array(buf, 0, capacity);
    this.durationA = new Float64Array(buf, capacity * 8, capacity);
    this.ipA = new Uint32Array(buf, capacity * 16, capacity);
    this.parentA = new Uint32Array(buf, capacity * 20, capacity);
    this.depthA = new Uint32Array(buf, capacity * 24, capacity);
    this.instanceA = new Uint16Array(buf, capacity * 28, capacity);
    this.typeA = new Uint8Array(buf, capacity * 30, capacity);
  }

  /** The full-buffer policy; may change at any time (ftrace's `overwrite` trace option). */
  get mode(): RingMode {
    return this.stopWhenFull ? 'stop' : 'overwrite';
  }
  set mode(mode: RingMode) {
    this.stopWhenFull = stopsWhenFull(mode);
    this.updateWhenFull();
  }

  /**
   * Called when a write finds the buffer full (or a marker finds the text
   * budget spent), before anything is overwritten or dropped. If the hook
   * made room (drainColumns), the write goes into it; otherwise the mode
   * decides as usual. The hook must not throw (it runs inside the traced
   * program's calls) and is not re-entered: a write from inside it meets
   * the full buffer's usual policy.
   */
  get onFull(): (() => void) | null {
    return this.hook;
  }
  set onFull(hook: (() => void) | null) {
    this.hook = hook ?? null;
    this.updateWhenFull();
  }

  /** Events ever offered to the buffer (write and writeMarker calls), the lost ones included; since creation or reset. */
  get written(): number {
    return this.seqEnd - this.seqBase + this.nDropped;
  }
  /** Events held now. */
  get entries(): number {
    return this.count;
  }
  /** Events pushed out unread by newer ones (overwrite mode). */
  get overrun(): number {
    return this.seqEnd - this.seqBase - this.count - this.nConsumed;
  }
  /** Events refused because the buffer was full (stop mode). */
  get dropped(): number {
    return this.nDropped;
  }
  /** Events taken by consume(). Always written = entries + overrun + dropped + consumed. */
  get consumed(): number {
    return this.nConsumed;
  }
  /** Events no reader will ever see: overrun + dropped. */
  get lost(): number {
    return this.overrun + this.nDropped;
  }
  /** Events lost (overrun or dropped) between the previous consume() and the last one: trace_pipe's "[LOST n EVENTS]". */
  get pipeLost(): number {
    return this.nPipeLost;
  }
  /** Sequence number of the oldest event held (of the next one when empty). */
  get firstSeq(): number {
    return this.seqEnd - this.count;
  }
  /** Sequence number the next accepted event will get. */
  get nextSeq(): number {
    return this.seqEnd;
  }
  /** Markers held in the side table (never more than entries). */
  get markerCount(): number {
    return this.markers.size;
  }
  /** Bytes of the text budget in use. */
  get markerBytes(): number {
    return this.nMarkerBytes;
  }

  /**
   * Records one event; the hot path. Returns false when the event was dropped
   * (stop mode, buffer full). Field ranges: instance 0..65535, ip, parent and
   * depth 0..2^32-1 (an i32 -1 is stored as 0xFFFFFFFF), ts and duration any double.
   * Use writeMarker for markers: a MARKER written here reads back with empty text.
   */
  write(type: EventType, instance: number, ip: number, parent: number, depth: number, ts: number, duration: number): boolean {
    // reserve() inlined by hand: this is the one path where every instruction counts.
    const slot = this.tail;
    if (this.count === this.capacity) {
      const full = this.whenFull;
      if (full !== FULL_OVERWRITE) {
        if (full === FULL_STOP) {
          this.nDropped++;
          return false;
        }
        return this.writeAfterHook(type, instance, ip, parent, depth, ts, duration);
      }
      // Overwrite: the oldest record is the one in the slot we take.
      if (this.typeA[slot] === MARKER) this.forgetMarker(slot);
    } else this.count++;
    this.tail = slot + 1 === this.capacity ? 0 : slot + 1;
    this.seqEnd++;
    this.typeA[slot] = type;
    this.instanceA[slot] = instance;
    this.ipA[slot] = ip;
    this.parentA[slot] = parent;
    this.depthA[slot] = depth;
    this.tsA[slot] = ts;
    this.durationA[slot] = duration;
    return true;
  }

  /**
   * Writes a trace_marker: a user string in the event stream. Any string is
   * safe: a text longer than markerMaxChars (TRACE_MARKER_MAX = 4096 UTF-16
   * units unless the text budget is smaller) is cut to that length, its last
   * unit being TRACE_MARKER_TRUNCATED ('…'), never splitting a surrogate pair.
   * The text is kept as given otherwise: a short string that V8 sliced from a
   * much longer one may keep that one alive.
   * Returns false when the marker was dropped (stop mode: buffer or text budget full).
   */
  writeMarker(instance: number, ts: number, text: string): boolean {
    let s = typeof text === 'string' ? text : String(text);
    if (s.length > this.markerMaxChars) s = truncateMarkerText(s, this.markerMaxChars);
    const cost = s.length * 2 + MARKER_OVERHEAD_BYTES;
    // A recorder's hook drains the buffer, and the texts with it, before any is pushed out.
    if (this.nMarkerBytes + cost > this.markerBudget && this.hook !== null) this.callOnFull();
    if (this.nMarkerBytes + cost > this.markerBudget) {
      if (this.stopWhenFull) {
        this.nDropped++;
        return false;
      }
      // Like a long record in the kernel's buffer: it takes the room of older ones.
      while (this.nMarkerBytes + cost > this.markerBudget && this.count > 0) this.dropOldest();
    }
    const slot = this.reserve();
    if (slot < 0) return false;
    this.store(slot, EVENT_MARKER, instance, 0, 0, 0, ts, 0);
    this.markers.set(slot, s);
    this.nMarkerBytes += cost;
    return true;
  }

  /**
   * The `trace` file: the events held, oldest first, without removing them.
   * With `fromSeq`, only those whose sequence number is at least fromSeq, so a
   * polling reader can ask for what is new since it last looked (and tell
   * from firstSeq whether it missed some).
   */
  read(fromSeq = 0): TraceEvent[] {
    const seq0 = this.firstSeq;
    const skip = fromSeq > seq0 ? Math.min(this.count, Math.ceil(fromSeq - seq0)) : 0;
    const n = this.count - skip;
    const out = new Array<TraceEvent>(n);
    let slot = this.head() + skip;
    if (slot >= this.capacity) slot -= this.capacity;
    for (let k = 0; k < n; k++) {
      out[k] = this.eventAt(slot, seq0 + skip + k);
      if (++slot === this.capacity) slot = 0;
    }
    return out;
  }

  /**
   * `trace_pipe`: removes and returns up to `max` of the oldest events (all by
   * default); an empty array when there are none (it never waits). Sets
   * pipeLost to the events lost since the previous consume.
   */
  consume(max = Infinity): TraceEvent[] {
    if (!(max >= 0)) throw new RangeError(`consume(max): max must be >= 0, not ${max}`);
    this.markPipeLost();
    const n = max < this.count ? Math.floor(max) : this.count;
    const out = new Array<TraceEvent>(n);
    let slot = this.head();
    const seq0 = this.firstSeq;
    for (let k = 0; k < n; k++) {
      out[k] = this.eventAt(slot, seq0 + k);
      if (this.typeA[slot] === EVENT_MARKER) this.forgetMarker(slot);
      if (++slot === this.capacity) slot = 0;
    }
    this.count -= n;
    this.nConsumed += n;
    return out;
  }

  /**
   * Clears the buffer, as `echo > trace` does: the events, the marker texts
   * and, like the kernel's ring_buffer_reset, every counter (written, overrun,
   * dropped, consumed, pipeLost). Sequence numbers go on from where they were,
   * so they stay unique over the buffer's life. The mode is kept.
   */
  reset(): void {
    this.seqBase = this.seqEnd;
    this.tail = 0;
    this.count = 0;
    this.markers.clear();
    this.nMarkerBytes = 0;
    this.nDropped = 0;
    this.nConsumed = 0;
    this.pipeOverrunMark = 0;
    this.pipeDroppedMark = 0;
    this.nPipeLost = 0;
  }

  /**
   * Takes every record out of the buffer, oldest first, handing them to
   * `sink` as columns (RingColumns: views of the ring's arrays, no event
   * objects): once, or twice when the records wrap around the end of the
   * arrays. A consuming read like consume(): the records count as consumed
   * and pipeLost is updated. Records are removed only after `sink` returns
   * for them, so a sink that throws leaves them in the buffer. Afterwards
   * the next record goes to slot 0, so a buffer filled from empty drains in
   * one run. Returns the number of records drained.
   */
  drainColumns(sink: (cols: RingColumns) => void): number {
    this.markPipeLost();
    let drained = 0;
    while (this.count > 0) {
      const start = this.head();
      const n = Math.min(this.count, this.capacity - start);
      const end = start + n;
      let markers: Map<number, string> = NO_MARKERS;
      if (this.markers.size > 0) {
        markers = new Map();
        for (const [slot, text] of this.markers) if (slot >= start && slot < end) markers.set(slot - start, text);
      }
      sink({
        count: n,
        firstSeq: this.firstSeq,
        type: this.typeA.subarray(start, end),
        instance: this.instanceA.subarray(start, end),
        ip: this.ipA.subarray(start, end),
        parent: this.parentA.subarray(start, end),
        depth: this.depthA.subarray(start, end),
        ts: this.tsA.subarray(start, end),
        duration: this.durationA.subarray(start, end),
        markers,
      });
      for (const slot of markers.keys()) this.forgetMarker(slot + start);
      this.count -= n;
      this.nConsumed += n;
      drained += n;
    }
    this.tail = 0;
    return drained;
  }

  /** The whole buffer (non-consuming) as outputs take it. */
  toTraceData(meta: { tracer: string; clock: TraceClock; instances: readonly TraceInstanceInfo[] }): TraceData {
    const events = this.read();
    return {
      tracer: meta.tracer,
      clock: meta.clock,
      instances: meta.instances,
      events,
      entries: events.length,
      written: this.written,
      lost: this.lost,
    };
  }

  /** A consuming read: pipeLost becomes what was lost since the previous one. */
  private markPipeLost(): void {
    const overrun = this.overrun;
    this.nPipeLost = overrun - this.pipeOverrunMark + (this.nDropped - this.pipeDroppedMark);
    this.pipeOverrunMark = overrun;
    this.pipeDroppedMark = this.nDropped;
  }

  /** Runs onFull (not re-entered); true when it left room for one record. */
  private callOnFull(): boolean {
    const hook = this.hook;
    if (hook === null || this.inOnFull) return false;
    this.inOnFull = true;
    try {
      hook();
    } finally {
      this.inOnFull = false;
    }
    return this.count < this.capacity;
  }

  /** write() on a full buffer with an onFull hook: the cold path, kept out of write. */
  private writeAfterHook(type: EventType, instance: number, ip: number, parent: number, depth: number, ts: number, duration: number): boolean {
    const slot = this.reserve();
    if (slot < 0) return false;
    this.store(slot, type, instance, ip, parent, depth, ts, duration);
    return true;
  }

  /** One record's fields into `slot`; write() keeps its own copy inline, as its hot path. */
  private store(slot: number, type: EventType, instance: number, ip: number, parent: number, depth: number, ts: number, duration: number): void {
    this.typeA[slot] = type;
    this.instanceA[slot] = instance;
    this.ipA[slot] = ip;
    this.parentA[slot] = parent;
    this.depthA[slot] = depth;
    this.tsA[slot] = ts;
    this.durationA[slot] = duration;
  }

  private updateWhenFull(): void {
    this.whenFull = this.hook !== null ? FULL_HOOK : this.stopWhenFull ? FULL_STOP : FULL_OVERWRITE;
  }

  /** Slot of the oldest record. */
  private head(): number {
    const h = this.tail - this.count;
    return h < 0 ? h + this.capacity : h;
  }

  /** A slot for a new record, or -1 when it is dropped (stop mode, full); write's logic for the cold paths. */
  private reserve(): number {
    if (this.count === this.capacity && (this.hook === null || !this.callOnFull())) {
      if (this.stopWhenFull) {
        this.nDropped++;
        return -1;
      }
      this.dropOldest();
    }
    const slot = this.tail;
    this.tail = slot + 1 === this.capacity ? 0 : slot + 1;
    this.count++;
    this.seqEnd++;
    return slot;
  }

  /** Overwrite mode: the oldest record goes unread (counted in overrun, which is derived). */
  private dropOldest(): void {
    const slot = this.head();
    if (this.typeA[slot] === EVENT_MARKER) this.forgetMarker(slot);
    this.count--;
  }

  private forgetMarker(slot: number): void {
    const text = this.markers.get(slot);
    if (text === undefined) return;
    this.markers.delete(slot);
    this.nMarkerBytes -= text.length * 2 + MARKER_OVERHEAD_BYTES;
  }

  private eventAt(slot: number, seq: number): TraceEvent {
    const type = this.typeA[slot] as EventType;
    const ev: TraceEvent = {
      type,
      instance: this.instanceA[slot]!,
      ip: this.ipA[slot]!,
      parent: this.parentA[slot]!,
      depth: this.depthA[slot]!,
      ts: this.tsA[slot]!,
      duration: this.durationA[slot]!,
      seq,
    };
    if (type === EVENT_MARKER) ev.text = this.markers.get(slot) ?? '';
    return ev;
  }
}
