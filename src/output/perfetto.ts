/**
 * Perfetto's own trace format (a protobuf `Trace` of `TracePacket`s, what
 * ui.perfetto.dev and trace_processor read natively), streamed: packets are
 * written as the events come, holding only the open calls and the table of
 * interned names, so a trace of any size goes through in bounded memory.
 *
 * What a trace holds (field numbers from Perfetto's published protos:
 * trace.proto, trace_packet.proto, clock_snapshot.proto,
 * trace_packet_defaults.proto, track_event/*.proto, interned_data.proto):
 *
 * - one packet sequence (trusted_packet_sequence_id 1) whose first packet
 *   clears the incremental state, sets the sequence's default clock to 64
 *   (a sequence-scoped clock: wasm-ftrace's recording clock) and gives a
 *   ClockSnapshot tying clock 64 to BOOTTIME at 0, so timestamps stay as
 *   recorded: nanoseconds on performance.now()'s time line for clock 'perf';
 *   for clock 'counter', one event of the sequence = 1 us, the order only;
 * - per instance a process track (pid = instance id + 1, the module's name)
 *   and a thread track under it (`name-id`, the ftrace task) that holds its
 *   calls;
 * - per call a TYPE_SLICE_BEGIN at its ENTRY and a TYPE_SLICE_END at its
 *   EXIT (Perfetto has no complete events, by design: they would delay
 *   writing); names and categories are interned (InternedData, emitted in
 *   the packet that first uses them). Where the module's DWARF or source
 *   map gave a function's file:line, its slices carry an interned
 *   SourceLocation (the UI shows it in the slice's details). A call that never returned (a trap)
 *   ends where the trace shows it is gone, or at the last timestamp, with a
 *   debug annotation `no_exit` ('unwound' | 'end'). An EXIT whose ENTRY is
 *   not in the trace (overwritten in the ring) is left out;
 * - the function tracer (entries only): one TYPE_INSTANT per ENTRY, with its
 *   caller in the `caller` annotation;
 * - trace_marker: TYPE_INSTANT named by its text, category `marker`; stack
 *   traces: TYPE_INSTANT `<stack trace>` with the function and its callers.
 *
 * No Node APIs: this runs in browsers too.
 */
import { functionName } from '../abi/index.js';
import { EVENT_ENTRY, EVENT_MARKER, traceHasExits, type TraceEvent, type TraceStream } from '../ring/event.js';
import { instanceTable } from './ftrace-text.js';
import { sourceLocationOf } from './source-line.js';
import { walkCalls } from './calls.js';
import { ProtoWriter } from './protobuf.js';
import { StackTraces } from './stack-traces.js';

// Trace
const TRACE_PACKET = 1;
// TracePacket
const TP_TIMESTAMP = 8;
const TP_SEQUENCE_ID = 10; // trusted_packet_sequence_id
const TP_TRACK_EVENT = 11;
const TP_INTERNED_DATA = 12;
const TP_SEQUENCE_FLAGS = 13;
const TP_CLOCK_SNAPSHOT = 6;
const TP_DEFAULTS = 59; // trace_packet_defaults
const TP_TRACK_DESCRIPTOR = 60;
const SEQ_INCREMENTAL_STATE_CLEARED = 1;
const SEQ_NEEDS_INCREMENTAL_STATE = 2;
// TracePacketDefaults
const DEFAULTS_CLOCK_ID = 58;
// ClockSnapshot, ClockSnapshot.Clock
const CS_CLOCKS = 1;
const CS_PRIMARY_TRACE_CLOCK = 2;
const CLOCK_ID = 1;
const CLOCK_TIMESTAMP = 2;
const CLOCK_BOOTTIME = 6;
/** the first sequence-scoped clock id (64..127): the recording's clock */
const CLOCK_RECORDING = 64;
// TrackDescriptor, ProcessDescriptor, ThreadDescriptor
const TD_UUID = 1;
const TD_NAME = 2;
const TD_PROCESS = 3;
const TD_THREAD = 4;
const TD_PARENT_UUID = 5;
const PD_PID = 1;
const PD_PROCESS_NAME = 6;
const THD_PID = 1;
const THD_TID = 2;
const THD_THREAD_NAME = 5;
// TrackEvent
const TE_CATEGORY_IIDS = 3;
const TE_DEBUG_ANNOTATIONS = 4;
const TE_TYPE = 9;
const TE_NAME_IID = 10;
const TE_TRACK_UUID = 11;
const TE_NAME = 23;
const TE_SOURCE_LOCATION_IID = 34;
const TYPE_SLICE_BEGIN = 1;
const TYPE_SLICE_END = 2;
const TYPE_INSTANT = 3;
// DebugAnnotation
const DA_NAME_IID = 1;
const DA_STRING_VALUE = 6;
// InternedData, EventCategory / EventName / DebugAnnotationName (iid = 1, name = 2)
const ID_EVENT_CATEGORIES = 1;
const ID_EVENT_NAMES = 2;
const ID_DEBUG_ANNOTATION_NAMES = 3;
const ID_SOURCE_LOCATIONS = 4;
// SourceLocation (iid = 1)
const SL_FILE_NAME = 2;
const SL_FUNCTION_NAME = 3;
const SL_LINE_NUMBER = 4;
const IID = 1;
const IID_NAME = 2;

const SEQUENCE = 1;
const CATEGORIES = ['function', 'marker', 'stacktrace'] as const;
const CAT_FUNCTION = 1;
const CAT_MARKER = 2;
const CAT_STACK = 3;
const ANNOTATIONS = ['no_exit', 'caller', 'function', 'callers'] as const;
const DA_NO_EXIT = 1;
const DA_CALLER = 2;
const DA_FUNCTION = 3;
const DA_CALLERS = 4;

/** Bytes gathered before they are handed to `write`. */
const FLUSH_BYTES = 1 << 16;

export interface PerfettoOptions {
  /** the events nest as calls (Tracer.nestsCalls): slices; else instants. Default: the trace holds exits */
  calls?: boolean;
}

export interface PerfettoSummary {
  packets: number;
  /** EXIT events without their ENTRY in the trace, left out */
  droppedExits: number;
  /** calls ended without an EXIT (trap or end of trace) */
  unfinishedCalls: number;
}

/** The track uuids of an instance: its process track and the thread track that holds its calls. */
export function perfettoTracks(instance: number): { process: number; thread: number } {
  return { process: 0x1000 + 2 * instance, thread: 0x1001 + 2 * instance };
}

/**
 * Writes the trace in Perfetto's protobuf format, handing `write` the bytes
 * a block at a time (a view, valid during the call).
 */
export function writePerfettoTrace(trace: TraceStream, write: (bytes: Uint8Array) => void, options: PerfettoOptions = {}): PerfettoSummary {
  const w = new ProtoWriter(FLUSH_BYTES * 2);
  let packets = 0;
  const endPacket = (): void => {
    w.end();
    packets++;
    if (w.length >= FLUSH_BYTES) {
      write(w.bytes());
      w.reset();
    }
  };
  const table = instanceTable(trace);
  const ns = trace.clock === 'counter' ? (ts: number): number => Math.max(0, Math.round(ts)) * 1000 : (ts: number): number => Math.max(0, Math.round(ts * 1000));

  // The sequence's state: clock, defaults, the categories and annotation names every event may use.
  w.begin(TRACE_PACKET).uint(TP_SEQUENCE_ID, SEQUENCE).uint(TP_SEQUENCE_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
  w.begin(TP_DEFAULTS).uint(DEFAULTS_CLOCK_ID, CLOCK_RECORDING).end();
  w.begin(TP_CLOCK_SNAPSHOT);
  w.begin(CS_CLOCKS).uint(CLOCK_ID, CLOCK_RECORDING).uint(CLOCK_TIMESTAMP, 0).end();
  w.begin(CS_CLOCKS).uint(CLOCK_ID, CLOCK_BOOTTIME).uint(CLOCK_TIMESTAMP, 0).end();
  w.uint(CS_PRIMARY_TRACE_CLOCK, CLOCK_BOOTTIME);
  w.end();
  w.begin(TP_INTERNED_DATA);
  CATEGORIES.forEach((name, i) => w.begin(ID_EVENT_CATEGORIES).uint(IID, i + 1).string(IID_NAME, name).end());
  ANNOTATIONS.forEach((name, i) => w.begin(ID_DEBUG_ANNOTATION_NAMES).uint(IID, i + 1).string(IID_NAME, name).end());
  w.end();
  endPacket();

  for (const info of table.values()) {
    const t = perfettoTracks(info.id);
    w.begin(TRACE_PACKET).uint(TP_SEQUENCE_ID, SEQUENCE);
    w.begin(TP_TRACK_DESCRIPTOR).uint(TD_UUID, t.process).string(TD_NAME, info.name);
    w.begin(TD_PROCESS).uint(PD_PID, info.id + 1).string(PD_PROCESS_NAME, info.name).end();
    w.end();
    endPacket();
    w.begin(TRACE_PACKET).uint(TP_SEQUENCE_ID, SEQUENCE);
    w.begin(TP_TRACK_DESCRIPTOR).uint(TD_UUID, t.thread).uint(TD_PARENT_UUID, t.process).string(TD_NAME, `${info.name}-${info.id}`);
    w.begin(TD_THREAD).uint(THD_PID, info.id + 1).uint(THD_TID, info.id + 1).string(THD_THREAD_NAME, `${info.name}-${info.id}`).end();
    w.end();
    endPacket();
  }

  // Function names (and source locations, under the same iid), interned per (instance, ip) the first time a packet uses one.
  const nameIids = new Map<number, number>();
  const withSource = new Set<number>();
  const nameOf = (instance: number, ip: number): string => functionName(table.get(instance), ip);
  /** opens an event packet on `instance`'s thread track; returns the name iid, interning it in this packet when new */
  const eventPacket = (ts: number, instance: number, ip: number | null): number => {
    w.begin(TRACE_PACKET).uint(TP_TIMESTAMP, ns(ts)).uint(TP_SEQUENCE_ID, SEQUENCE).uint(TP_SEQUENCE_FLAGS, SEQ_NEEDS_INCREMENTAL_STATE);
    if (ip === null) return 0;
    const key = instance * 0x1_0000_0000 + ip;
    let iid = nameIids.get(key);
    if (iid === undefined) {
      iid = nameIids.size + 1;
      nameIids.set(key, iid);
      const name = nameOf(instance, ip);
      w.begin(TP_INTERNED_DATA).begin(ID_EVENT_NAMES).uint(IID, iid).string(IID_NAME, name).end();
      const at = sourceLocationOf(table.get(instance), ip);
      if (at) {
        withSource.add(iid);
        w.begin(ID_SOURCE_LOCATIONS).uint(IID, iid).string(SL_FILE_NAME, at.file).string(SL_FUNCTION_NAME, name).uint(SL_LINE_NUMBER, at.line).end();
      }
      w.end();
    }
    return iid;
  };
  /** the TrackEvent fields naming a function: its name, and its source location where known */
  const functionFields = (iid: number): void => {
    w.uint(TE_NAME_IID, iid);
    if (withSource.has(iid)) w.uint(TE_SOURCE_LOCATION_IID, iid);
  };
  const annotation = (nameIid: number, value: string): void => {
    w.begin(TE_DEBUG_ANNOTATIONS).uint(DA_NAME_IID, nameIid).string(DA_STRING_VALUE, value).end();
  };
  const track = (instance: number): number => perfettoTracks(instance).thread;

  // A stack trace is one instant, written once its frames are in.
  const stacks = new StackTraces((ev, callers) => {
    eventPacket(ev.ts, ev.instance, null);
    w.begin(TP_TRACK_EVENT).uint(TE_TYPE, TYPE_INSTANT).uint(TE_TRACK_UUID, track(ev.instance)).uint(TE_CATEGORY_IIDS, CAT_STACK).string(TE_NAME, '<stack trace>');
    annotation(DA_FUNCTION, nameOf(ev.instance, ev.ip));
    annotation(DA_CALLERS, callers.map((ip) => nameOf(ev.instance, ip)).join(' <- '));
    w.end();
    endPacket();
  });
  const flushStack = (): void => stacks.flush();
  const other = (ev: TraceEvent): void => {
    if (stacks.feed(ev)) return;
    if (ev.type === EVENT_MARKER) {
      eventPacket(ev.ts, ev.instance, null);
      w.begin(TP_TRACK_EVENT).uint(TE_TYPE, TYPE_INSTANT).uint(TE_TRACK_UUID, track(ev.instance)).uint(TE_CATEGORY_IIDS, CAT_MARKER);
      w.string(TE_NAME, (ev.text ?? '').replace(/\n$/, '')).end();
      endPacket();
    }
  };

  let droppedExits = 0;
  let unfinishedCalls = 0;
  const sliceEnd = (ts: number, instance: number, noExit?: string): void => {
    eventPacket(ts, instance, null);
    w.begin(TP_TRACK_EVENT).uint(TE_TYPE, TYPE_SLICE_END).uint(TE_TRACK_UUID, track(instance));
    if (noExit !== undefined) annotation(DA_NO_EXIT, noExit);
    w.end();
    endPacket();
  };
  if (options.calls ?? traceHasExits(trace)) {
    walkCalls(trace, {
      enter(frame, ev) {
        flushStack();
        const iid = eventPacket(ev.ts, frame.instance, frame.ip);
        w.begin(TP_TRACK_EVENT).uint(TE_TYPE, TYPE_SLICE_BEGIN).uint(TE_TRACK_UUID, track(frame.instance)).uint(TE_CATEGORY_IIDS, CAT_FUNCTION);
        functionFields(iid);
        w.end();
        endPacket();
      },
      exit(frame, ev) {
        flushStack();
        if (!frame.entered) {
          droppedExits++;
          return;
        }
        sliceEnd(ev.ts, frame.instance);
      },
      lost(frame, ts, reason) {
        flushStack();
        unfinishedCalls++;
        sliceEnd(ts, frame.instance, reason);
      },
      other,
    });
  } else {
    for (const ev of trace.events) {
      if (ev.type !== EVENT_ENTRY) {
        other(ev);
        continue;
      }
      flushStack();
      const iid = eventPacket(ev.ts, ev.instance, ev.ip);
      w.begin(TP_TRACK_EVENT).uint(TE_TYPE, TYPE_INSTANT).uint(TE_TRACK_UUID, track(ev.instance)).uint(TE_CATEGORY_IIDS, CAT_FUNCTION);
      functionFields(iid);
      annotation(DA_CALLER, nameOf(ev.instance, ev.parent));
      w.end();
      endPacket();
    }
  }
  flushStack();
  if (w.length > 0) write(w.bytes());
  return { packets, droppedExits, unfinishedCalls };
}

/** The whole Perfetto trace in memory (for traces held in memory, and tests). */
export function formatPerfettoTrace(trace: TraceStream, options: PerfettoOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  writePerfettoTrace(trace, (b) => {
    parts.push(b.slice());
    size += b.length;
  }, options);
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
