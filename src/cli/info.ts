/** `wasm-ftrace info [file]`: what a data file holds. */
import { printable } from '../output/printable.js';
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { describeClockInfo } from '../clock/worker-clock.js';
import type { DataFileHeader } from '../datafile/format.js';
import { clockHasTime } from '../ring/event.js';
import { DEFAULT_DATA_FILE, openDataFile } from './trace-file.js';

export function registerInfo(program: Command, ctx: CommandContext): void {
  program
    .command('info')
    .description('show what a data file holds: command, tracer, clock, modules and their hashes, counts, lost events')
    .argument('[file]', 'the data file', DEFAULT_DATA_FILE)
    .addHelpText('after', '\nExample:\n  $ wasm-ftrace info trace.data')
    .action((file: string) => {
      const d = openDataFile(file, ctx.io).summary; // one pass, no object per event
      const h = d.header;
      const rows: [string, string][] = [
        ['file', `${file} (${statSync(file).size} bytes${d.complete ? '' : ', incomplete: no footer'})`],
        ['recorded', `${h.created}${d.footer ? ` .. ${d.footer.ended}` : ''} by wasm-ftrace ${h.version}`],
        ['command', h.command ? h.command.join(' ') : '-'],
        ['tracer', h.tracer],
        ['clock', describeClock(h)],
        ['options', h.options && Object.keys(h.options).length > 0 ? JSON.stringify(h.options) : '-'],
        ['events', String(d.eventCount)],
        ['lost', d.lost === 0 ? '0' : `${d.lost} (the recorder fell behind or the ring refused them)`],
      ];
      if (d.firstTs !== null && d.lastTs !== null && clockHasTime(h.clock)) rows.push(['duration', `${((d.lastTs - d.firstTs) / 1000).toFixed(3)} ms of trace`]);
      const interrupted = d.footer?.['interrupted'];
      if (typeof interrupted === 'string') rows.push(['ended', `interrupted by ${interrupted}: the program was stopped; the trace holds what it recorded until then`]);
      if (d.footer) rows.push(['recorder', describeRecorder(d.footer.recorder)]);
      const stats = d.footer?.stats;
      if (stats) rows.push(['repairs', `${stats.unwoundFrames} frames unwound without exit, ${stats.strayExits} stray exits, ${stats.recursionMissed} entries missed by a busy callback`]);
      let out = rows.map(([k, v]) => `${k.padEnd(10)} ${printable(v)}\n`).join('');
      const threads = [...new Set(d.instances.map((i) => i.thread).filter((t) => t !== undefined))];
      if (threads.length > 0) out += `threads    ${threads.length}: ${printable(threads.join(', '))} (pid: a process's main thread, pid.N: its worker_threads Worker N)\n`;
      out += `modules    ${d.instances.length}\n`;
      for (const i of d.instances) {
        const thread = i.thread !== undefined ? `  thread ${printable(i.thread)}` : '';
        const lines = i.sourceLines ? `  source lines of ${i.sourceLines.functions.length} functions (${i.sourceLines.from})` : '';
        out += `  ${String(i.id).padStart(3)}  ${printable(i.name)}  ${i.functionCount} functions (${i.importCount} imported)  sha256 ${printable(i.moduleHash ?? 'unknown')}${thread}${lines}\n`;
      }
      ctx.io.stdout(out);
      // a filter that matched nothing in any module: the recording did not trace what was asked
      const unmatched = d.footer?.unmatchedFilters;
      if (Array.isArray(unmatched) && unmatched.length > 0) {
        for (const u of unmatched) ctx.io.stderr(`wasm-ftrace: error: ${String(u.option)} '${String(u.text)}' matched no function in any module of this recording\n`);
        ctx.exitCode = 1;
      }
    });
}

/** Which path recorded the events: the module's in-wasm recorder (trace memory) or the JS hook. */
function describeRecorder(r: unknown): string {
  const rec = r as { inWasm?: unknown; ringRecords?: unknown } | undefined;
  if (rec === undefined || typeof rec !== 'object' || rec === null || typeof rec.inWasm !== 'number') return 'js: every event called into JavaScript (ftrace.mcount)';
  return `wasm: ${rec.inWasm} entries and exits written in wasm into a trace memory (ring of ${String(rec.ringRecords)} records); the rest through the JS hook`;
}

function describeClock(h: DataFileHeader): string {
  const name = h.clock === 'counter' ? 'counter (order only)' : `${h.clock} (microseconds)`;
  return h.clockInfo ? `${name}: ${describeClockInfo(h.clockInfo)}` : name;
}
