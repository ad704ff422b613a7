/**
 * wasmFtrace.view(): the trace in the viewer (src/viewer), mounted into an
 * element or an overlay over the page. Loaded on demand by page.ts (the small
 * runtime keeps it in runtime-view.js), as is the viewer itself. Browser-only.
 */
import type { TraceData } from '../ring/event.js';
import type { Viewer } from '../viewer/main.js';

/** Loads the viewer and mounts it with `trace()` (read once it is there). */
export async function openViewer(trace: () => TraceData, element?: HTMLElement): Promise<Viewer> {
  // the viewer mounts itself into <body> on load unless told not to
  if (!document.querySelector('meta[name="wasm-ftrace-viewer"]')) document.head.append(Object.assign(document.createElement('meta'), { name: 'wasm-ftrace-viewer', content: 'manual' }));
  const { mountViewer } = await import('../viewer/main.js');
  return mountViewer(element ?? overlay(), trace());
}

/** A box over the whole page for the viewer, with a close button. */
function overlay(): HTMLElement {
  const box = document.createElement('div');
  box.style.cssText = 'position:fixed;inset:2vh 2vw;z-index:2147483647;background:#fff;border:1px solid #888;box-shadow:0 4px 24px #0006;overflow:auto';
  const close = Object.assign(document.createElement('button'), { textContent: 'close' });
  close.style.cssText = 'position:absolute;top:4px;right:8px;z-index:1;cursor:pointer';
  close.addEventListener('click', () => box.remove());
  const inner = document.createElement('div');
  box.append(close, inner);
  document.body.append(box);
  return inner;
}
