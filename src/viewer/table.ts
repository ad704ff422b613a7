/**
 * The profile table: computeProfile()'s rows (the same numbers as
 * `wasm-ftrace report`), sortable by any column, filtered by the search.
 * At most MAX_ROWS rows are put in the page; the footer says how many match.
 */
import { computeProfile, type ProfileRow } from '../output/profile.js';
import type { TraceData } from '../ring/event.js';
import { formatDuration } from './model.js';
import { escapeHtml } from './shared.js';

const MAX_ROWS = 2000;

type Key = 'name' | 'hits' | 'calls' | 'total' | 'avg' | 's2' | 'self' | 'selfAvg';

interface Column {
  key: Key;
  label: string;
  time: boolean;
}

const COLUMNS: readonly Column[] = [
  { key: 'name', label: 'Function', time: false },
  { key: 'hits', label: 'Hit', time: false },
  { key: 'calls', label: 'Calls', time: true },
  { key: 'total', label: 'Time', time: true },
  { key: 'avg', label: 'Avg', time: true },
  { key: 's2', label: 'Stddev', time: true },
  { key: 'self', label: 'Self', time: true },
  { key: 'selfAvg', label: 'Self avg', time: true },
];

export class ProfileTable {
  readonly root: HTMLDivElement;
  private trace: TraceData | null = null;
  private rows: ProfileRow[] | null = null;
  private times = false;
  private counter = false;
  private sortKey: Key = 'total';
  private desc = true;
  private filter = '';
  /** rows shown and rows matching, after the last render */
  shown = 0;
  matching = 0;
  ms = 0;

  constructor(parent: HTMLElement) {
    this.root = document.createElement('div');
    this.root.className = 'wft-view wft-table';
    parent.appendChild(this.root);
    this.root.addEventListener('click', (e) => {
      const th = (e.target as HTMLElement).closest('th');
      const key = th?.getAttribute('data-key') as Key | null;
      if (!key) return;
      if (key === this.sortKey) this.desc = !this.desc;
      else {
        this.sortKey = key;
        this.desc = key !== 'name';
      }
      this.render();
    });
  }

  setData(trace: TraceData): void {
    this.trace = trace;
    this.rows = null; // computed when first shown
  }

  setFilter(text: string): void {
    this.filter = text.trim().toLowerCase();
  }

  render(): void {
    const t = performance.now();
    if (!this.trace) {
      this.root.innerHTML = '';
      return;
    }
    if (!this.rows) {
      this.rows = computeProfile(this.trace);
      this.counter = this.trace.clock === 'counter';
      this.times = this.rows.some((r) => r.calls > 0);
      if (!this.times && this.sortKey === 'total') this.sortKey = 'hits';
    }
    const cols = COLUMNS.filter((c) => this.times || !c.time);
    const f = this.filter;
    const rows = f ? this.rows.filter((r) => r.name.toLowerCase().includes(f)) : [...this.rows];
    const k = this.sortKey;
    const dir = this.desc ? -1 : 1;
    rows.sort((a, b) => {
      const c = k === 'name' ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a[k] - b[k];
      return dir * c || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || a.instance - b.instance || a.ip - b.ip;
    });
    this.matching = rows.length;
    this.shown = Math.min(rows.length, MAX_ROWS);
    const fmt = (key: Key, v: number): string => {
      if (key === 'hits' || key === 'calls') return String(v);
      // the variance is in unit squared: shown as the standard deviation, a time (sorting by either is the same)
      return formatDuration(key === 's2' ? Math.sqrt(v) : v, this.counter);
    };
    let html = '<table><thead><tr>';
    for (const c of cols) {
      const arrow = c.key === k ? (this.desc ? ' ▼' : ' ▲') : '';
      html += `<th data-key="${c.key}" class="${c.key === 'name' ? 'wft-name' : 'wft-num'}">${escapeHtml(c.label)}${arrow}</th>`;
    }
    html += '</tr></thead><tbody>';
    for (let i = 0; i < this.shown; i++) {
      const r = rows[i]!;
      html += '<tr>';
      for (const c of cols) {
        html += c.key === 'name' ? `<td class="wft-name">${escapeHtml(r.name)}</td>` : `<td class="wft-num">${escapeHtml(fmt(c.key, r[c.key]))}</td>`;
      }
      html += '</tr>';
    }
    html += '</tbody></table>';
    const total = this.rows.length;
    html += `<div class="wft-table-foot">${
      f ? `${rows.length} of ${total} functions match “${escapeHtml(this.filter)}”` : `${total} functions`
    }${this.shown < rows.length ? `, first ${this.shown} shown` : ''}</div>`;
    this.root.innerHTML = html;
    this.ms = performance.now() - t;
  }
}
