/**
 * `report --diff`: two profiles side by side, per function. Its own module
 * (not re-exported by the outputs' index), so the browser runtime, which
 * bundles the outputs, does not carry it.
 *
 * No Node APIs.
 */
import { formatGraphDuration } from './ftrace-text.js';
import { printable } from './printable.js';
import type { ProfileRow } from './profile.js';

/** One function in two profiles (`report --diff`): null where a profile does not have it. */
export interface ProfileDiffRow {
  name: string;
  base: ProfileRow | null;
  other: ProfileRow | null;
}

/** The rows of two profiles joined by name, sorted by the change in total time (largest first), then name. */
export function diffProfiles(base: readonly ProfileRow[], other: readonly ProfileRow[]): ProfileDiffRow[] {
  const rows = new Map<string, ProfileDiffRow>();
  for (const r of base) rows.set(r.name, { name: r.name, base: r, other: null });
  for (const r of other) {
    const row = rows.get(r.name);
    if (row) row.other = r;
    else rows.set(r.name, { name: r.name, base: null, other: r });
  }
  const delta = (d: ProfileDiffRow): number => Math.abs((d.other?.total ?? 0) - (d.base?.total ?? 0));
  return [...rows.values()].sort((a, b) => delta(b) - delta(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The diff table: per function, calls and total and self time in the base
 * trace, in the other, and the change (absolute, and relative to the base).
 * A function only one trace has shows `-` on the other side.
 */
export function formatProfileDiff(rows: readonly ProfileDiffRow[], options: { limit?: number; times?: boolean } = {}): string {
  const shown = options.limit !== undefined ? rows.slice(0, options.limit) : rows;
  const times = options.times ?? true;
  const width = Math.max(30, ...shown.map((r) => printable(r.name).length));
  const num = (v: number | undefined): string => (v === undefined ? '-' : String(v));
  const dur = (v: number | undefined): string => (v === undefined ? '-' : formatGraphDuration(v).trimEnd());
  const change = (a: number | undefined, b: number | undefined, time: boolean): string => {
    if (a === undefined || b === undefined) return '-';
    const d = b - a;
    const abs = time ? `${d >= 0 ? '+' : '-'}${formatGraphDuration(Math.abs(d)).trimEnd()}` : `${d >= 0 ? '+' : ''}${d}`;
    return a === 0 ? abs : `${abs} (${d >= 0 ? '+' : ''}${((d / a) * 100).toFixed(1)}%)`;
  };
  const cols: Array<[string, number]> = [
    ['Calls', 8],
    ['Calls\'', 8],
    ['Change', 16],
  ];
  if (times) cols.push(['Total', 14], ["Total'", 14], ['Change', 24], ['Self', 14], ["Self'", 14], ['Change', 24]);
  const line = (name: string, cells: string[]): string => `  ${name.padEnd(width)}${cells.map((c, i) => `  ${c.padStart(cols[i]![1])}`).join('')}`.trimEnd() + '\n';
  let out = line('Function', cols.map((c) => c[0]));
  out += line('--------', cols.map((c) => '-'.repeat(c[0].length)));
  for (const r of shown) {
    const a = r.base;
    const b = r.other;
    const cells = [num(a?.calls), num(b?.calls), change(a?.calls, b?.calls, false)];
    if (times) {
      cells.push(dur(a?.total), dur(b?.total), change(a?.total, b?.total, true), dur(a?.self), dur(b?.self), change(a?.self, b?.self, true));
    }
    out += line(printable(r.name), cells);
  }
  return out;
}
