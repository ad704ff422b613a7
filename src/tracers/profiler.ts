/**
 * The function profiler (function_profile_enabled + trace_stat/function*):
 * per function hits, total and self time, average, and s^2, accumulated
 * live from entries and exits, so it needs no ring buffer and loses nothing
 * however long the run.
 */
import { functionName } from '../abi/index.js';
import { functionText } from '../output/ftrace-text.js';
import type { ProfileRow } from '../output/profile.js';
import { graphOps } from './function-graph.js';
import type { TracedInstance } from './instance.js';
import type { TracerHost } from './tracer.js';
import { profilerSelftest } from './selftests.js';
import type { Tracer } from './tracer.js';

interface Accumulator {
  hits: Float64Array;
  total: Float64Array;
  self: Float64Array;
  squares: Float64Array;
}

const accumulators = new WeakMap<TracedInstance, Accumulator>();

export const profilerTracer: Tracer = {
  name: 'profiler',
  needsExitHooks: true,
  // it writes no events: the buffer holds only what others wrote (markers)
  printText: functionText,
  nestsCalls: false,
  stat: (tr) => profileRows(tr),
  resetStat: (tr) => resetProfile(tr),
  attach(tr, inst) {
    let acc = accumulators.get(inst);
    if (!acc) {
      const n = inst.ft.metadata.functionCount;
      acc = { hits: new Float64Array(n), total: new Float64Array(n), self: new Float64Array(n), squares: new Float64Array(n) };
      accumulators.set(inst, acc);
    }
    const a = acc;
    tr.registerFiltered(
      inst,
      graphOps(tr, inst, 'profiler', false, (ip, duration, self) => {
        if (!tr.tracingOn) return;
        a.hits[ip]!++;
        a.total[ip]! += duration;
        a.self[ip]! += self;
        a.squares[ip]! += duration * duration;
      }),
    );
  },
  detach(tr, inst) {
    tr.unregisterAll(inst);
    inst.stack.truncate(0);
  },
  selftest: (target) => profilerSelftest(target, profileRows),
};

/** The profile so far: one row per function that completed a call (the rows formatProfileRows prints). */
export function profileRows(tr: TracerHost): ProfileRow[] {
  // the calls the in-wasm recorder still holds count too
  tr.flush();
  const rows: ProfileRow[] = [];
  const qualify = tr.instances.length > 1;
  for (const inst of tr.instances) {
    const a = accumulators.get(inst);
    if (!a) continue;
    for (let ip = 0; ip < a.hits.length; ip++) {
      const n = a.hits[ip]!;
      if (n === 0) continue;
      const total = a.total[ip]!;
      const avg = total / n;
      const s2 = n > 1 ? Math.max(0, (a.squares[ip]! - n * avg * avg) / (n - 1)) : 0;
      const base = functionName(inst.names, ip);
      const self = a.self[ip]!;
      rows.push({ instance: inst.id, ip, name: qualify ? `${base} [${inst.name}]` : base, hits: n, calls: n, total, avg, s2, self, selfAvg: self / n });
    }
  }
  return rows;
}

/** Clears the counters (echo 0 > function_profile_enabled; echo 1 > ...). */
export function resetProfile(tr: TracerHost): void {
  tr.flush();
  for (const inst of tr.instances) {
    const a = accumulators.get(inst);
    if (a) for (const arr of [a.hits, a.total, a.self, a.squares]) arr.fill(0);
  }
}
