/**
 * The formatters behind a page's text(), chrome(), folded() and profile()
 * (page.ts), in a module of their own: the small runtime (wasm-ftrace/runtime)
 * loads this as dist/browser/runtime-format.js when attach() is called,
 * beside the page's own work, so that what a page loads before its first
 * traced call stays small (page-formats.ts). The full library bundles it.
 * Browser-safe: no Node APIs.
 */
import { formatChromeTrace } from '../output/chrome-trace.js';
import { formatFolded } from '../output/folded.js';
import { formatFtraceText, type FtraceTextOptions } from '../output/ftrace-text.js';
import { formatProfile, formatProfileRows } from '../output/profile.js';
import { clockHasTime, type TraceData } from '../ring/event.js';
import type { TraceArray } from '../tracers/trace-array.js';

export { functionText, graphText } from '../output/ftrace-text.js';

/** The page's trace (`read`: what it holds now) as text(), chrome(), folded() and profile() give it. */
export const text = (read: () => TraceData, tr: TraceArray, options?: FtraceTextOptions): string => formatFtraceText(read(), options, tr.tracer.printText);
export const chrome = (read: () => TraceData, tr: TraceArray): string => formatChromeTrace(read(), { calls: tr.tracer.nestsCalls });
export const folded = (read: () => TraceData, tr: TraceArray): string => formatFolded(read(), { calls: tr.tracer.nestsCalls });
/** the profiler's live counters (trace_stat), else the profile of the trace */
export function profile(read: () => TraceData, tr: TraceArray): string {
  const stat = tr.tracer.stat;
  return stat ? formatProfileRows(stat(tr), { times: clockHasTime(tr.clock) }) : formatProfile(read());
}
