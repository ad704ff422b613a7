/**
 * Output formats: each reads a TraceStream (src/ring/event.ts: a TraceData
 * in memory, or a data file streamed) and knows nothing of how the events
 * got there. No Node APIs: they run in browsers.
 */
export {
  formatFtraceText,
  ftraceTextLines,
  functionText,
  graphText,
  formatGraphDuration,
  durationMark,
  instanceTable,
} from './ftrace-text.js';
export type { FtraceTextOptions, TextPrinter } from './ftrace-text.js';
export { toChromeTrace, formatChromeTrace, writeChromeTrace, chromePid } from './chrome-trace.js';
export type { ChromeTrace, ChromeTraceEvent, ChromeTraceOptions } from './chrome-trace.js';
export { writePerfettoTrace, formatPerfettoTrace, perfettoTracks } from './perfetto.js';
export type { PerfettoOptions, PerfettoSummary } from './perfetto.js';
export { computeFolded, formatFolded } from './folded.js';
export type { FoldedOptions, FoldedWeight } from './folded.js';
export { computeProfile, formatProfile, formatProfileRows, sortProfile } from './profile.js';
export type { ProfileOptions, ProfileRow, ProfileSort } from './profile.js';
export { walkCalls } from './calls.js';
export type { CallFrame, CallVisitor, LostReason } from './calls.js';
export { printable } from './printable.js';
