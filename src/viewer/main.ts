/**
 * The trace viewer: a timeline of calls, a flame graph and the profile
 * table, with search by function name. Opens a wasm-ftrace data file or a
 * Chrome trace JSON by file picker or drag and drop, or a trace embedded in
 * the page (`wasm-ftrace report --html`).
 *
 * As the page script (the bundle, dist/viewer/viewer.js) it mounts itself
 * into document.body, unless the page has
 * `<meta name="wasm-ftrace-viewer" content="manual">`; then call
 * mountViewer() yourself. The mounted viewer is also `window.wasmFtraceViewer`.
 *
 * No Node APIs, no dependencies.
 */
import type { TraceData } from '../ring/event.js';
import { FlameGraph } from './flame.js';
import { base64ToBytes, traceFromBytes, traceFromJson, type LoadedTrace } from './load.js';
import { buildCallTable, type CallTable } from './model.js';
import { nameColors, type Shared } from './shared.js';
import { VIEWER_CSS } from './style.js';
import { ProfileTable } from './table.js';
import { Timeline } from './timeline.js';

export type ViewName = 'timeline' | 'flame' | 'table';

export interface ViewerStats {
  view: ViewName;
  /** the trace's name (file name, or 'embedded') */
  source: string;
  events: number;
  calls: number;
  functions: number;
  /** ms to build the call table (typed arrays, flame tree) of the last trace */
  buildMs: number;
  /** ms of the last render of the current view */
  renderMs: number;
  /** timeline/flame: rectangles and labels in the last render */
  rects: number;
  labels: number;
  /** table: rows shown and rows matching the search */
  tableRows: number;
  tableMatching: number;
  /** the last load's error, if it failed */
  error: string | null;
}

export interface Viewer {
  readonly element: HTMLElement;
  /** Shows a trace (replacing the current one). */
  load(trace: TraceData, source?: string): void;
  /** Opens a file: a data file or JSON. Errors are shown and also rejected. */
  open(file: Blob, name?: string): Promise<void>;
  /** Opens a data file or JSON from its bytes. */
  openBytes(bytes: Uint8Array, name?: string): void;
  show(view: ViewName): void;
  search(text: string): void;
  /** The call table of the current trace (null before one is loaded). */
  calls(): CallTable | null;
  stats(): ViewerStats;
  destroy(): void;
}

let styled = false;
function addStyle(doc: Document): void {
  if (styled || doc.getElementById('wasm-ftrace-viewer-style')) return;
  const el = doc.createElement('style');
  el.id = 'wasm-ftrace-viewer-style';
  el.textContent = VIEWER_CSS;
  doc.head.appendChild(el);
  styled = true;
}

const fmtCount = (n: number): string => n.toLocaleString('en-US');

export function mountViewer(element: HTMLElement, trace?: TraceData): Viewer {
  const doc = element.ownerDocument;
  addStyle(doc);
  const root = doc.createElement('div');
  root.className = 'wft';
  root.innerHTML = `
    <header class="wft-bar">
      <span class="wft-logo">wasm-ftrace</span>
      <nav class="wft-tabs" role="tablist">
        <button type="button" data-view="timeline" role="tab">Timeline</button>
        <button type="button" data-view="flame" role="tab">Flame graph</button>
        <button type="button" data-view="table" role="tab">Profile</button>
      </nav>
      <input class="wft-search" type="search" placeholder="Search functions" spellcheck="false" aria-label="Search functions">
      <label class="wft-open">Open…<input type="file" accept=".data,.json,application/json,application/octet-stream"></label>
      <span class="wft-info"></span>
    </header>
    <main class="wft-main">
      <div class="wft-empty">Drop a wasm-ftrace <code>.data</code> file or a Chrome trace <code>.json</code> here, or use <b>Open…</b><br>
      <small>wheel: zoom · drag: pan · shift+wheel: scroll · double click: reset · click a flame graph frame to zoom into it</small></div>
    </main>
    <div class="wft-tip"></div>
    <div class="wft-drop">Drop to open the trace</div>`;
  element.appendChild(root);
  const q = <T extends Element>(sel: string): T => root.querySelector(sel) as T;
  const main = q<HTMLElement>('.wft-main');
  const empty = q<HTMLElement>('.wft-empty');
  const info = q<HTMLElement>('.wft-info');
  const searchBox = q<HTMLInputElement>('.wft-search');
  const fileInput = q<HTMLInputElement>('.wft-open input');
  const tip = q<HTMLElement>('.wft-tip');
  const drop = q<HTMLElement>('.wft-drop');
  const timeline = new Timeline(main);
  const flame = new FlameGraph(main);
  const table = new ProfileTable(main);

  let view: ViewName = 'timeline';
  let shared: Shared | null = null;
  let current: TraceData | null = null;
  let source = '';
  let buildMs = 0;
  let renderMs = 0;
  let error: string | null = null;
  let query = '';

  const setInfo = (text: string, isError = false): void => {
    info.textContent = text;
    info.title = text;
    info.classList.toggle('wft-error', isError);
  };

  const renderView = (): void => {
    const t = performance.now();
    if (view === 'timeline') timeline.render();
    else if (view === 'flame') flame.render();
    else table.render();
    renderMs = performance.now() - t;
  };

  const show = (v: ViewName): void => {
    view = v;
    for (const b of Array.from(root.querySelectorAll<HTMLButtonElement>('.wft-tabs button'))) {
      b.classList.toggle('wft-active', b.dataset['view'] === v);
      b.setAttribute('aria-selected', String(b.dataset['view'] === v));
    }
    timeline.root.style.display = v === 'timeline' && shared ? '' : 'none';
    flame.root.style.display = v === 'flame' && shared ? '' : 'none';
    table.root.style.display = v === 'table' && shared ? '' : 'none';
    tip.style.display = 'none';
    if (shared) renderView();
  };

  const applySearch = (text: string): void => {
    query = text;
    if (searchBox.value !== text) searchBox.value = text;
    const needle = text.trim().toLowerCase();
    if (shared) {
      if (!needle) shared.match = null;
      else {
        const names = shared.calls.names;
        const m = new Uint8Array(names.length);
        for (let i = 0; i < names.length; i++) if (names[i]!.toLowerCase().includes(needle)) m[i] = 1;
        shared.match = m;
      }
    }
    table.setFilter(text);
    if (shared) renderView();
  };

  const load = (t: TraceData, src = 'trace'): void => {
    const t0 = performance.now();
    const calls = buildCallTable(t);
    buildMs = performance.now() - t0;
    current = t;
    source = src;
    error = null;
    shared = { calls, colors: nameColors(calls.names), match: null, tip };
    timeline.setData(shared);
    flame.setData(shared);
    table.setData(t);
    empty.style.display = 'none';
    const parts = [
      src,
      `${t.tracer}`,
      `clock ${t.clock}`,
      `${fmtCount(t.events.length)} events`,
      `${fmtCount(calls.count)} calls`,
      t.lost ? `${fmtCount(t.lost)} lost` : '',
      calls.lanes.length > 1 ? `${calls.lanes.length} instances` : '',
    ].filter(Boolean);
    setInfo(parts.join(' · '));
    if (doc.title === '' || doc.title.startsWith('wasm-ftrace')) doc.title = `wasm-ftrace: ${src}`;
    applySearch(query); // renders the current view
    show(view);
  };

  const fail = (name: string, e: unknown): void => {
    error = `${name}: ${(e as Error)?.message ?? String(e)}`;
    setInfo(error, true);
  };

  const openBytes = (bytes: Uint8Array, name = 'trace'): void => {
    let loaded: LoadedTrace;
    try {
      loaded = traceFromBytes(bytes);
    } catch (e) {
      fail(name, e);
      throw e;
    }
    load(loaded.trace, name);
    if (loaded.warnings.length) setInfo(`${info.textContent} · ${loaded.warnings.join('; ')}`);
  };

  const open = async (file: Blob, name?: string): Promise<void> => {
    const nm = name ?? (file as File).name ?? 'trace';
    setInfo(`opening ${nm}…`);
    const bytes = new Uint8Array(await file.arrayBuffer());
    openBytes(bytes, nm);
  };

  // Wiring.
  for (const b of Array.from(root.querySelectorAll<HTMLButtonElement>('.wft-tabs button'))) {
    b.addEventListener('click', () => show(b.dataset['view'] as ViewName));
  }
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  searchBox.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => applySearch(searchBox.value), 60);
  });
  searchBox.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      clearTimeout(searchTimer);
      applySearch(searchBox.value);
    }
  });
  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    if (f) open(f).catch(() => {});
    fileInput.value = '';
  });
  let dragDepth = 0;
  const onDragEnter = (e: DragEvent): void => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    dragDepth++;
    drop.style.display = 'flex';
  };
  const onDragOver = (e: DragEvent): void => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  };
  const onDragLeave = (): void => {
    if (--dragDepth <= 0) {
      dragDepth = 0;
      drop.style.display = 'none';
    }
  };
  const onDrop = (e: DragEvent): void => {
    e.preventDefault();
    dragDepth = 0;
    drop.style.display = 'none';
    const f = e.dataTransfer?.files[0];
    if (f) open(f).catch(() => {});
  };
  root.addEventListener('dragenter', onDragEnter);
  root.addEventListener('dragover', onDragOver);
  root.addEventListener('dragleave', onDragLeave);
  root.addEventListener('drop', onDrop);
  const ro = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => shared && (view === 'timeline' ? timeline.requestRender() : view === 'flame' ? flame.requestRender() : undefined)) : null;
  ro?.observe(main);

  const viewer: Viewer = {
    element: root,
    load,
    open,
    openBytes,
    show,
    search: applySearch,
    calls: () => shared?.calls ?? null,
    stats: () => {
      const drawn = view === 'timeline' ? timeline.stats : view === 'flame' ? flame.stats : { rects: 0, labels: 0 };
      return {
        view,
        source,
        events: current?.events.length ?? 0,
        calls: shared?.calls.count ?? 0,
        functions: shared ? shared.calls.names.length : 0,
        buildMs,
        renderMs,
        rects: drawn.rects,
        labels: drawn.labels,
        tableRows: table.shown,
        tableMatching: table.matching,
        error,
      };
    },
    destroy: () => {
      ro?.disconnect();
      root.remove();
    },
  };
  show('timeline');
  if (trace) load(trace, 'trace');
  return viewer;
}

declare global {
  interface Window {
    wasmFtraceViewer?: Viewer;
    /** mountViewer, for pages (and tests) that mount more viewers */
    wasmFtraceMountViewer?: typeof mountViewer;
  }
}

/** The page's embedded trace, if any: TraceData or Chrome JSON, or a base64 data file. */
function embeddedTrace(doc: Document): (() => LoadedTrace) | null {
  const json = doc.getElementById('wasm-ftrace-trace');
  if (json?.textContent?.trim()) return () => traceFromJson(JSON.parse(json.textContent!));
  const data = doc.getElementById('wasm-ftrace-data');
  if (data?.textContent?.trim()) return () => traceFromBytes(base64ToBytes(data.textContent!));
  return null;
}

function autoMount(): void {
  const body = document.body;
  const viewer = mountViewer(body);
  window.wasmFtraceViewer = viewer;
  const read = embeddedTrace(document);
  if (!read) return;
  const name = document.getElementById('wasm-ftrace-data')?.getAttribute('data-name') ?? document.getElementById('wasm-ftrace-trace')?.getAttribute('data-name') ?? 'embedded';
  try {
    const loaded = read();
    viewer.load(loaded.trace, name);
  } catch (e) {
    const el = viewer.element.querySelector('.wft-info');
    if (el) {
      el.textContent = `embedded trace: ${(e as Error).message}`;
      el.classList.add('wft-error');
    }
  }
}

if (typeof document !== 'undefined' && typeof window !== 'undefined') {
  window.wasmFtraceMountViewer = mountViewer;
  const meta = document.querySelector('meta[name="wasm-ftrace-viewer"]');
  if (meta?.getAttribute('content') !== 'manual') {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', autoMount, { once: true });
    else autoMount();
  }
}
