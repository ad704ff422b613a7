/**
 * The formatters behind a page's text(), chrome(), folded() and profile()
 * (page.ts), in a module of their own: the small runtime (wasm-ftrace/runtime)
 * loads this as dist/browser/runtime-format.js when attach() is called,
 * beside the page's own work, so that what a page loads before its first
 * traced call stays small (page-formats.ts). The full library bundles it.
 * Browser-safe: no Node APIs.
 */
export { formatFtraceText, functionText, graphText } from '../output/ftrace-text.js';
export { formatChromeTrace } from '../output/chrome-trace.js';
export { formatFolded } from '../output/folded.js';
export { formatProfile, formatProfileRows } from '../output/profile.js';
