/**
 * The function_graph tracer: entry and exit of every traced call, with
 * depth and duration, from a shadow stack that survives traps and
 * exceptions (see shadow-stack.ts). Options on the trace array:
 * max_graph_depth, set_graph_function, set_graph_notrace.
 */
import { createOps } from '../ftrace/ops.js';
import { graphText } from '../output/ftrace-text.js';
import { EVENT_ENTRY, EVENT_EXIT } from '../ring/event.js';
import { graphReplay } from './replay.js';
import { FRAME_GRAPH_FUNCTION, FRAME_GRAPH_NOTRACE, FRAME_RECORDED } from './shadow-stack.js';
import type { TracedInstance } from './instance.js';
import type { TracerHost } from './tracer.js';
import { functionGraphSelftest } from './selftests.js';
import type { Tracer } from './tracer.js';

export const functionGraphTracer: Tracer = {
  name: 'function_graph',
  needsExitHooks: true,
  printText: graphText,
  nestsCalls: true,
  attach(tr, inst) {
    tr.registerFiltered(inst, graphOps(tr, inst, 'function_graph', true));
  },
  detach(tr, inst) {
    tr.unregisterAll(inst);
    inst.stack.truncate(0);
  },
  selftest: functionGraphSelftest,
};

/**
 * The entry/exit pair both graph-style tracers use. `record` false keeps
 * the stack without writing events (the profiler reads the stack itself via
 * onExit).
 */
export function graphOps(
  tr: TracerHost,
  inst: TracedInstance,
  name: string,
  record: boolean,
  onExit?: (ip: number, duration: number, self: number) => void,
) {
  const ring = tr.ring;
  const st = inst.stack;
  const id = inst.id;
  const now = tr.now;
  const entry = (ip: number, parentIp: number, ts: number): void => {
    st.beforeEntry(parentIp);
    let flags = 0;
    const graphFns = inst.graphFunctions;
    if (graphFns !== null && graphFns.has(ip)) flags |= FRAME_GRAPH_FUNCTION;
    if (inst.graphNotrace.has(ip)) flags |= FRAME_GRAPH_NOTRACE;
    if (
      record &&
      tr.tracingOn &&
      st.inGraphNotrace === 0 &&
      !(flags & FRAME_GRAPH_NOTRACE) &&
      (graphFns === null || st.inGraphFunction > 0 || flags & FRAME_GRAPH_FUNCTION) &&
      (tr.maxGraphDepth === 0 || st.recordedDepth < tr.maxGraphDepth)
    ) {
      flags |= FRAME_RECORDED;
      ring.write(EVENT_ENTRY, id, ip, parentIp, st.recordedDepth, ts, 0);
    }
    st.push(ip, ts, flags);
  };
  const exit = (ip: number, ts: number): void => {
    const d = st.frameForExit(ip);
    if (d < 0) return;
    const duration = ts - st.ts[d]!;
    const self = duration - st.childTime[d]!;
    const flags = st.flags[d]!;
    st.truncate(d);
    if (d > 0) st.childTime[d - 1]! += duration;
    if (flags & FRAME_RECORDED && tr.tracingOn) ring.write(EVENT_EXIT, id, ip, 0, st.recordedDepth, ts, duration);
    if (onExit) onExit(ip, duration, self);
  };
  return createOps((ip, parentIp) => entry(ip, parentIp, now()), {
    name,
    // it reads the clock and writes the ring: it may run from the in-wasm recorder's records
    recordable: true,
    retfunc: (ip) => exit(ip, now()),
    replay: graphReplay(entry, exit, now),
  });
}
