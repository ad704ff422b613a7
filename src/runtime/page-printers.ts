/**
 * The tracers' printText for the small runtime: its build
 * (scripts/build-browser.mjs) gives src/tracers this module where they import
 * ../output/ftrace-text.js, so that ftrace's text layouts stay in the
 * formatters the runtime loads on attach() (page-format.ts, page-formats.ts)
 * instead of in runtime.js. Each printer hands over to the loaded one.
 */
import type { FtraceTextOptions, TextPrinter } from '../output/ftrace-text.js';
import type { TraceStream } from '../ring/event.js';
import { pageFormats } from './page-formats.js';

export const functionText: TextPrinter = (trace: TraceStream, options: FtraceTextOptions) => pageFormats('text()').functionText(trace, options);
export const graphText: TextPrinter = (trace: TraceStream, options: FtraceTextOptions) => pageFormats('text()').graphText(trace, options);
