/**
 * The in-wasm recorder's equivalence fuzz: each `wasm-opt -ttf` module is
 * instrumented twice, without and with a trace memory (`traceMemory`), and
 * run by the harness (harness.ts: same imports, same export visits, same
 * transcript) through a TraceArray with the counter clock, once per tracer:
 * `function` (no exit hooks) and `function_graph` (exit hooks). The JS-hook
 * run and the in-wasm run must have
 *   - the same transcript (results, traps, logged imports, final state), and
 *     both the original's,
 *   - the same events: type, instance, ip, parent, depth, ts, duration (the
 *     counter clock makes ts and duration exact), with a marker the harness
 *     writes before every step (so the events are cut per step and markers
 *     are checked to land in order),
 *   - the same tr.stats (entries, written, lost, unwound frames, stray exits).
 * Rings: the default WasmRing for even seeds, a 5-record ring for odd ones
 * (drained every fifth record, the module calling the host mid-call).
 *
 * Stack overflow: the recorder's calls make frames larger, so a recursion
 * that overflows reaches another depth through each path. The harness stops
 * a module at its first host limit; then the transcripts are compared up to
 * that step, the events up to the marker that opened it, and the stats not
 * at all (the module counts as `cut at a host limit`).
 *
 * Needs an engine with multi-memory (Node >= 22).
 */
import { Ftrace } from '../../src/ftrace/index.js';
import { instrument, TraceArray, WasmRing, type TracerName } from '../../src/index.js';
import { firstDifference, parseShape, runModule, runOriginal, type ModuleShape, type RunOutcome } from './harness.js';
import { SeedTally } from './run.js';

export const IN_WASM_TRACERS: { tracer: TracerName; exitHooks: boolean }[] = [
  { tracer: 'function', exitHooks: false },
  { tracer: 'function_graph', exitHooks: true },
];

/** The ring size for a seed: the default, or a tiny one drained every few records. */
export const ringRecordsFor = (seed: number): number | undefined => (seed % 2 === 1 ? 5 : undefined);

interface TracedRun {
  outcome: RunOutcome;
  events: string[];
  stats: unknown;
  /** records the in-wasm recorder wrote (WasmRing.drained) */
  inWasmRecords: number;
}

const STEP_MARK = 'harness step ';

/**
 * A deliberately broken host, to show the check sees one: a marker written
 * without draining the trace memory first (it then lands before records the
 * module wrote earlier).
 */
export type RecorderMutation = 'marker-without-flush';

function breakMarkerFlush(tr: TraceArray): void {
  const marker = tr.marker.bind(tr);
  const self = tr as unknown as { flush: () => void };
  tr.marker = (text, instance) => {
    self.flush = () => {};
    try {
      marker(text, instance);
    } finally {
      delete (self as { flush?: unknown }).flush;
    }
  };
}

function runTraced(bytes: Uint8Array, shape: ModuleShape, tracer: TracerName, exitHooks: boolean, traceMemory: boolean, ringRecords: number | undefined, mutation?: RecorderMutation): TracedRun {
  const { binary } = instrument(bytes, { exitHooks, traceMemory });
  const addedImports = parseShape(binary).funcImports - shape.funcImports;
  const wasmRing = traceMemory ? new WasmRing(ringRecords) : undefined;
  const tr = new TraceArray({ tracer, clock: 'counter', bufferKb: 16384, ...(wasmRing ? { wasmRing } : {}) });
  if (traceMemory && mutation === 'marker-without-flush') breakMarkerFlush(tr);
  let traced: ReturnType<TraceArray['addInstance']> | undefined;
  const outcome = runModule(binary, shape, {
    instrumented: true,
    addedImports,
    host: {
      imports: (imports, module) => {
        traced = tr.addInstance(Ftrace.forModule(module), 'm');
        return tr.importsFor(traced, imports);
      },
      attach: (instance) => tr.attach(traced!, instance),
      beforeStep: (i, what) => {
        if (traced) tr.marker(`${STEP_MARK}${i} ${what}`);
      },
    },
  });
  const events = tr.read().events.map((e) => (e.text !== undefined ? `${e.type} ${e.instance} ${e.text}` : `${e.type} ${e.instance} ${e.ip} ${e.parent} ${e.depth} ${e.ts} ${e.duration}`));
  return { outcome, events, stats: tr.stats, inWasmRecords: wasmRing?.drained ?? 0 };
}

/** The index of the first step that hit a host limit, or Infinity. */
function limitStep(r: RunOutcome): number {
  const i = r.steps.findIndex((s) => s.outcome === 'host limit');
  return i < 0 ? Infinity : i;
}

export type InWasmVerdict =
  | { status: 'skip'; reason: string }
  | { status: 'agree'; events: number; inWasmRecords: number; cutAtHostLimit: boolean; instantiated: boolean; calls: number }
  | { status: 'disagree'; reason: string };

/** Runs one module through both recorders under every tracer of IN_WASM_TRACERS. */
export function checkInWasm(bytes: Uint8Array, ringRecords?: number, mutation?: RecorderMutation): InWasmVerdict {
  const ran = runOriginal(bytes);
  if ('status' in ran) return ran;
  const { shape, original, linkError } = ran;
  if (linkError) return { status: 'skip', reason: `does not instantiate: ${original.error}` };

  let events = 0;
  let inWasmRecords = 0;
  let cutAtHostLimit = original.hostLimit;
  for (const { tracer, exitHooks } of IN_WASM_TRACERS) {
    const runs: TracedRun[] = [];
    for (const traceMemory of [false, true]) {
      const path = traceMemory ? 'in-wasm' : 'JS hook';
      let run: TracedRun;
      try {
        run = runTraced(bytes, shape, tracer, exitHooks, traceMemory, ringRecords, mutation);
      } catch (e) {
        return { status: 'disagree', reason: `${tracer}, ${path}: ${(e as Error).stack ?? String(e)}` };
      }
      if (!run.outcome.compiled) return { status: 'disagree', reason: `${tracer}, ${path}: the instrumented module does not compile: ${run.outcome.error}` };
      const diff = firstDifference(original, run.outcome);
      if (diff) return { status: 'disagree', reason: `${tracer}, ${path}, against the uninstrumented module: ${diff}` };
      runs.push(run);
    }
    const [js, wasm] = runs as [TracedRun, TracedRun];
    const diff = firstDifference(js.outcome, wasm.outcome);
    if (diff) return { status: 'disagree', reason: `${tracer}, JS hook ('original') against in-wasm ('instrumented'): ${diff}` };
    const cut = Math.min(limitStep(js.outcome), limitStep(wasm.outcome));
    const upTo = (ev: string[]): string[] => {
      if (cut === Infinity) return ev;
      const i = ev.findIndex((e) => e.includes(` ${STEP_MARK}${cut} `));
      return i < 0 ? ev : ev.slice(0, i);
    };
    const a = upTo(js.events);
    const b = upTo(wasm.events);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i] !== b[i]) {
        return { status: 'disagree', reason: `${tracer}: event ${i} of ${a.length}/${b.length}: JS hook '${a[i] ?? '(none)'}', in-wasm '${b[i] ?? '(none)'}' (after '${a[i - 1] ?? '(start)'}')` };
      }
    }
    if (cut === Infinity) {
      const sa = JSON.stringify(js.stats);
      const sb = JSON.stringify(wasm.stats);
      if (sa !== sb) return { status: 'disagree', reason: `${tracer}: stats: JS hook ${sa}, in-wasm ${sb}` };
    } else {
      cutAtHostLimit = true;
    }
    events += a.length;
    inWasmRecords += wasm.inWasmRecords;
  }
  return { status: 'agree', events, inWasmRecords, cutAtHostLimit, instantiated: original.instantiated, calls: original.calls };
}

/** Counts over an in-wasm fuzz run. */
export class InWasmSummary extends SeedTally {
  instantiated = 0;
  calls = 0;
  events = 0;
  inWasmRecords = 0;
  modulesWithEvents = 0;
  cutAtHostLimit = 0;

  add(seed: number, v: InWasmVerdict, file?: string): void {
    this.seeds++;
    if (v.status === 'skip') this.skip(v.reason);
    else if (v.status === 'disagree') this.disagree(seed, v.reason, file);
    else {
      this.agreed++;
      if (v.instantiated) this.instantiated++;
      this.calls += v.calls;
      this.events += v.events;
      this.inWasmRecords += v.inWasmRecords;
      if (v.events > 0) this.modulesWithEvents++;
      if (v.cutAtHostLimit) this.cutAtHostLimit++;
    }
  }

  format(): string {
    return this.formatWith('in-wasm recorder: ', [
      `instantiated: ${this.instantiated}, exports called: ${this.calls}, events compared (${IN_WASM_TRACERS.map((t) => t.tracer).join(' + ')}, markers included): ${this.events} ` +
        `(in ${this.modulesWithEvents} modules; ${this.inWasmRecords} records written by the in-wasm recorder), compared only up to a stack overflow: ${this.cutAtHostLimit}`,
    ]);
  }
}
