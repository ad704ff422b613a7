/**
 * The hook-overhead benchmark's outputs: markdown tables, JSON and an SVG
 * chart (written by hand: a horizontal bar chart on a log scale, no
 * dependencies).
 */
import type { NativePeer } from './native-peer.js';
import type { BenchResult, TargetResult, WorkloadResult } from './results.js';

const fmtMs = (x: number): string => (!Number.isFinite(x) ? '-' : x < 0.1 ? x.toPrecision(3) : x < 1 ? x.toFixed(3) : x < 100 ? x.toFixed(2) : x.toFixed(1));
const fmtNs = (x: number): string => (!Number.isFinite(x) ? '-' : Math.abs(x) < 0.005 ? '0.00' : Math.abs(x) < 10 ? x.toFixed(2) : x.toFixed(1));
const fmtX = (x: number | null): string => (x === null || !Number.isFinite(x) ? '-' : Math.abs(x) < 10 ? x.toFixed(2) : x.toFixed(1));
const fmtRatio = (x: number): string => (!Number.isFinite(x) ? '-' : x < 2 ? x.toFixed(3) : x.toFixed(2));
const mb = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : `${(n / 1e3).toFixed(1)} kB`);

export function machineLine(r: BenchResult): string {
  const m = r.machine;
  return `${m.cpu} (${m.cores} cores, ${m.memoryGb} GB), ${m.platform}, node ${m.node} (V8 ${m.v8})`;
}

export function loadLine(r: BenchResult): string {
  const busy = Math.max(r.load.before[0] ?? 0, r.load.after[0] ?? 0) > r.machine.cores * 0.5;
  const steal = r.load.stealPercent !== null ? `, CPU steal ${r.load.stealPercent}%` : '';
  return `load average (1, 5, 15 min) ${r.load.before.join(', ')} before, ${r.load.after.join(', ')} after${steal}${busy ? ' (busy: expect noise)' : ''}`;
}

/** One table per workload: every scenario with its median, spread, ratio and per-entry overhead. */
export function formatWorkloadTable(w: WorkloadResult): string {
  const lines = [
    `### ${w.label}`,
    '',
    `${w.entriesPerRun} function entries per run, ${mb(w.moduleBytes)} module, baseline ${fmtNs(w.baselineNsPerEntry)} ns per entry; a sample is ${w.repeat} run${w.repeat === 1 ? '' : 's'}` +
      (w.logExecutionCallsPerRun !== null ? `; log-execution calls per run: ${w.logExecutionCallsPerRun}` : '') +
      (w.never !== null ? `; \`filtered\` selects \`${w.neverName}\`${w.never !== w.neverName ? ` (filter \`${w.never}\`)` : ''}, never called` : ''),
    '',
    '| scenario | dispatch | median ms | min..max ms | its baseline ms | x baseline | ns per entry over baseline | overhead / floor |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of w.scenarios) {
    const flag = s.resultMatches ? '' : ' (result differs!)';
    lines.push(
      `| ${s.label}${flag} | ${s.mode ?? '-'} | ${fmtMs(s.medianMs)} | ${fmtMs(s.minMs)}..${fmtMs(s.maxMs)} | ${fmtMs(s.baselineMedianMs)} | ${fmtRatio(s.ratio)} | ${fmtNs(s.overheadNsPerEntry)} | ${fmtX(s.overheadVsFloor)} |`,
    );
  }
  return lines.join('\n');
}

export function formatTargetsTable(targets: readonly TargetResult[]): string {
  const lines = ['| target | workload | measured | limit | verdict | margin | what stands in the way |', '|---|---|---:|---:|---|---|---|'];
  for (const t of targets) {
    lines.push(`| ${t.target} | ${t.workload} | ${t.unit === 'x baseline' ? fmtRatio(t.measured) : fmtX(t.measured)} | ${t.limit} ${t.unit} | ${t.met ? 'met' : '**missed**'} | ${t.margin} | ${t.met ? '' : t.note} |`);
  }
  return lines.join('\n');
}

/** Scenarios by workload, x baseline and ns per entry: the short table for the README. */
export function formatSummaryTable(r: BenchResult): string {
  const ws = r.workloads;
  const ids = [...new Set(ws.flatMap((w) => w.scenarios.map((s) => s.id)))];
  const lines = [
    `| scenario | ${ws.map((w) => `${w.id}: x baseline | ns/entry`).join(' | ')} |`,
    `|---|${ws.map(() => '---:|---:').join('|')}|`,
  ];
  for (const id of ids) {
    const label = id === 'baseline' ? 'baseline against itself (the noise)' : ws.flatMap((w) => w.scenarios).find((s) => s.id === id)!.label;
    const cells = ws.map((w) => {
      const s = w.scenarios.find((x) => x.id === id);
      return s ? `${fmtRatio(s.ratio)} | ${fmtNs(s.overheadNsPerEntry)}` : '- | -';
    });
    lines.push(`| ${label} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function formatMarkdown(r: BenchResult): string {
  const out: string[] = ['# Hook overhead', ''];
  out.push(`${r.date.slice(0, 16).replace('T', ' ')} UTC, ${machineLine(r)}; ${loadLine(r)}.`);
  out.push('');
  if (r.command) out.push(`Command: \`${r.command}\`. `);
  out.push(
    `${r.rounds} interleaved rounds per scenario after at least ${r.warmup} warm-up samples and ${r.warmupMs} ms; a sample repeats the run until the baseline takes about ${r.sampleMs} ms, and times are per run. ${r.method}`,
  );
  out.push('');
  out.push(
    'Columns: median and min..max of the scenario over the rounds; the median of the baseline runs interleaved with it; x baseline, the median over the rounds of scenario / baseline (each pair ran milliseconds apart, so a slow spell of the machine cancels out); the overhead per function entry, (x baseline - 1) times the workload\'s baseline time (the median over all workers); and that overhead over the empty-import floor\'s. ' +
      'Every ops and import callback is empty; tracers are set up as `wasm-ftrace run` does. The baseline row is the baseline against itself (the noise).',
  );
  for (const w of r.workloads) out.push('', formatWorkloadTable(w));
  for (const s of r.skipped) out.push('', `### ${s.label}`, '', `Skipped: ${s.reason}`);
  if (r.native) out.push('', formatNativePeer(r.native));
  if (r.targets.length > 0) out.push('', '## Targets (ratios within this run)', '', formatTargetsTable(r.targets));
  return out.join('\n') + '\n';
}

/** The native peer's section: uftrace's cost per call on workload.c, beside the wasm rows' ns per entry. */
export function formatNativePeer(native: NativePeer): string {
  if (!native.ok) return `### Native peer: uftrace record of workload.c\n\nSkipped: ${native.reason}`;
  const n = native.result;
  return [
    '### Native peer: uftrace record of workload.c',
    '',
    `${n.label}; ${n.uftrace.split(' (')[0]}, ${n.compiler}. ${n.calls} calls per run (clang -O2 inlines some functions the wasm build calls). ` +
      'Timed at N and 0 rounds (medians of alternating runs), so start-up cancels out.',
    '',
    '| what | ns per call |',
    '|---|---:|',
    `| the plain native build (no -pg), whole run / calls | ${fmtNs(n.plainNsPerCall)} |`,
    `| uftrace record over the plain build, ${n.cpuTime ? 'CPU time of its process tree' : 'wall time'} (${Number.isFinite(n.ratio) ? `${n.ratio.toFixed(1)}x the plain build's` : "the plain build's own time is under GNU time's 10 ms resolution"}) | ${fmtNs(n.uftraceNsPerCall)} |`,
    `| the same in wall time (uftrace also waits on its writers and the disk) | ${fmtNs(n.uftraceWallNsPerCall)} |`,
  ].join('\n');
}

export function formatJson(r: BenchResult): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v), 2) + '\n';
}

// ------------------------------------------------------------------ SVG

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * A horizontal bar chart: ns per function entry over the baseline, per
 * scenario (rows) and workload (bars), on a log scale. Overheads at or below
 * the axis' start (noise around zero) get a stub bar and their value.
 */
export function renderSvg(r: BenchResult): string {
  const ws = r.workloads;
  const ids = [...new Set(ws.flatMap((w) => w.scenarios.map((s) => s.id)))].filter((id) => id !== 'baseline');
  const labelOf = (id: string): string => ws.flatMap((w) => w.scenarios).find((s) => s.id === id)!.label;
  const values = ws.flatMap((w) => w.scenarios.filter((s) => s.id !== 'baseline').map((s) => s.overheadNsPerEntry)).filter((v) => v > 0 && Number.isFinite(v));
  const lo = 10 ** Math.floor(Math.log10(Math.max(0.01, Math.min(0.1, ...values))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(10, ...values)));

  const width = 980;
  const left = 330;
  const right = width - 110;
  const bar = 11;
  const gap = 2;
  const groupGap = 12;
  const top = 78 + Math.ceil(ws.length / 2) * 16;
  const groupH = ws.length * (bar + gap) - gap;
  const plotH = ids.length * (groupH + groupGap);
  const height = top + plotH + 48;
  const x = (v: number): number => left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (right - left);

  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  o.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  o.push(`<text x="16" y="24" font-size="15" font-weight="bold">wasm-ftrace hook overhead: ns per function entry over the uninstrumented baseline (log scale)</text>`);
  o.push(`<text x="16" y="43" font-size="11" fill="#444">${esc(`${r.date.slice(0, 10)}, ${machineLine(r)}`)}</text>`);
  o.push(`<text x="16" y="58" font-size="11" fill="#444">${esc(`${loadLine(r)}; medians of ${r.rounds} interleaved rounds, each scenario in its own worker thread beside its own baseline`)}</text>`);
  ws.forEach((w, i) => {
    const lx = 16 + (i % 2) * 470;
    const ly = 70 + Math.floor(i / 2) * 16;
    o.push(`<rect x="${lx}" y="${ly}" width="11" height="11" fill="${COLORS[i % COLORS.length]}"/>`);
    o.push(`<text x="${lx + 16}" y="${ly + 10}" font-size="11">${esc(`${w.label} (${fmtNs(w.baselineNsPerEntry)} ns/entry baseline)`)}</text>`);
  });

  // stripes behind every other group, then the decade grid, then the bars
  ids.forEach((_id, gi) => {
    const gy = top + gi * (groupH + groupGap);
    if (gi % 2 === 1) o.push(`<rect x="8" y="${gy - groupGap / 2}" width="${width - 16}" height="${groupH + groupGap}" fill="#f4f4f4"/>`);
  });
  for (let d = Math.log10(lo); d <= Math.log10(hi) + 1e-9; d++) {
    const v = 10 ** d;
    const gx = x(v).toFixed(1);
    const label = v >= 1 ? `${Math.round(v)} ns` : `${+v.toFixed(3)} ns`;
    o.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${top + plotH}" stroke="#ccc" stroke-width="1"/>`);
    o.push(`<text x="${gx}" y="${top + plotH + 16}" text-anchor="middle" font-size="11" fill="#333">${label}</text>`);
    for (const m of [2, 5]) {
      if (v * m >= hi) continue;
      const mx = x(v * m).toFixed(1);
      o.push(`<line x1="${mx}" y1="${top - 6}" x2="${mx}" y2="${top + plotH}" stroke="#eee" stroke-width="1"/>`);
    }
  }
  o.push(`<text x="${((left + right) / 2).toFixed(0)}" y="${top + plotH + 34}" text-anchor="middle" font-size="11" fill="#333">ns per function entry over the baseline (log scale; at or below ${+lo.toFixed(3)} ns: stub bar)</text>`);

  ids.forEach((id, gi) => {
    const gy = top + gi * (groupH + groupGap);
    const bold = id === 'floor' || id === 'log-execution' ? ' font-weight="bold"' : '';
    o.push(`<text x="${left - 10}" y="${gy + groupH / 2 + 4}" text-anchor="end"${bold}>${esc(labelOf(id))}</text>`);
    ws.forEach((w, wi) => {
      const s = w.scenarios.find((q) => q.id === id);
      if (!s) return;
      const by = gy + wi * (bar + gap);
      const v = s.overheadNsPerEntry;
      const end = v > lo ? x(v) : left + 3;
      o.push(`<rect x="${left}" y="${by}" width="${(end - left).toFixed(1)}" height="${bar}" fill="${COLORS[wi % COLORS.length]}"/>`);
      o.push(`<text x="${(end + 4).toFixed(1)}" y="${by + bar - 2}" font-size="10" fill="#222">${esc(`${fmtNs(v)} ns, ${fmtRatio(s.ratio)}x`)}</text>`);
    });
  });
  o.push(`<line x1="${left}" y1="${top - 6}" x2="${left}" y2="${top + plotH}" stroke="#333" stroke-width="1"/>`);
  o.push('</svg>');
  return o.join('\n') + '\n';
}

/** The targets as a matrix, target by workload: measured value and verdict (for the README). */
export function formatTargetsSummary(targets: readonly TargetResult[]): string {
  const workloads = [...new Set(targets.map((t) => t.workload))];
  const rows = [...new Set(targets.map((t) => t.target))];
  const lines = [`| target | limit | ${workloads.join(' | ')} |`, `|---|---|${workloads.map(() => '---').join('|')}|`];
  for (const row of rows) {
    const first = targets.find((t) => t.target === row)!;
    const cells = workloads.map((w) => {
      const t = targets.find((x) => x.target === row && x.workload === w);
      if (!t) return '-';
      const v = t.unit === 'x baseline' ? fmtRatio(t.measured) : fmtX(t.measured);
      return `${v} ${t.met ? 'met' : '**missed**'}`;
    });
    lines.push(`| ${row} | ${first.limit} ${first.unit} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
