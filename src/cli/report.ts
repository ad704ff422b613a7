/** `wasm-ftrace report [file]`: the profile of a recorded trace (trace_stat/function). */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { filterStream, isEmptyFilter } from '../output/filter.js';
import { DEFAULT_PROFILE_FIELDS, PROFILE_FIELDS, computeProfile, formatProfile, isTimeField, type ProfileField, type ProfileSort } from '../output/profile.js';
import { diffProfiles, formatProfileDiff } from '../output/profile-diff.js';
import { clockHasTime, traceHasExits } from '../ring/event.js';
import { encodeTraceWindow } from '../datafile/window.js';
import { viewerHtml } from '../viewer/page.js';
import { CliError } from './errors.js';
import { readInputFile, writeFileAtomic } from './io.js';
import type { CommandContext } from './context.js';
import { addSharedOptions, outputFields, positiveInt, type SharedFlags } from './options.js';
import { DEFAULT_DATA_FILE, openNamedDataFile, openTrace, readFilterOf } from './trace-file.js';

/**
 * The bundled viewer (scripts/build-browser.mjs writes dist/viewer/viewer.js):
 * next to the built CLI (dist/cli/../viewer), or under dist/ when this file
 * runs from its source (tests).
 */
function findViewerBundle(): string | null {
  for (const rel of ['../viewer/viewer.js', '../../dist/viewer/viewer.js']) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(file)) return file;
  }
  return null;
}

const SORTS: readonly ProfileSort[] = ['total', 'self', 'calls', 'avg', 'hits', 'name'];

export function registerReport(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('report')
    .description('print the per-function profile of a recorded trace: hits, total, average, standard deviation and self time')
    .argument('[file]', 'the data file', DEFAULT_DATA_FILE)
    .option('-s, --sort <columns>', `sort by ${SORTS.join(', ')}; several, comma-separated, sort ties by the next`, (v: string) => {
      const keys = v.split(',').map((k) => k.trim());
      for (const k of keys) if (!SORTS.includes(k as ProfileSort)) throw new InvalidArgumentError(`unknown column '${k}' (${SORTS.join(', ')})`);
      return keys;
    })
    .option(
      '-f, --output-fields <fields>',
      `the columns after Function, in order (uftrace's names): ${Object.keys(PROFILE_FIELDS).join(', ')}; 'all', 'none', or '+f,g' for the default columns (${DEFAULT_PROFILE_FIELDS.join(',')}) and these`,
      outputFields(Object.keys(PROFILE_FIELDS) as ProfileField[], DEFAULT_PROFILE_FIELDS),
    )
    .option('--diff <other>', 'compare with another data file: per function, calls, total and self time in both, and the change')
    .option('-n, --limit <rows>', 'print at most this many rows', positiveInt)
    .option('--html <file>', 'write the trace viewer (timeline, flame graph, profile) as one HTML page with the trace inside')
    .option('--html-events <n>', `--html: events one page holds; a bigger trace is windowed to its first n (default ${HTML_WINDOW_EVENTS})`, positiveInt);
  addSharedOptions(cmd, 'report').addHelpText(
    'after',
    `
Times are inclusive (Time, Avg) and exclusive of traced callees (Self), in
microseconds. A function_graph trace gives times; a function trace only
hits.

Examples:
  $ wasm-ftrace report
  $ wasm-ftrace report -s self -n 20 trace.data
  $ wasm-ftrace report -s calls,total           # by calls, ties by total time
  $ wasm-ftrace report -f call,total-min,total-max,self   # shortest and longest call
  $ wasm-ftrace report --diff after.data before.data   # what changed from before to after
  $ wasm-ftrace report -F 'png_*' --time-filter 10us
  $ wasm-ftrace report --html trace.html     # open it in a browser; works offline`,
  ).action(async (file: string, flags: SharedFlags & { sort?: ProfileSort[]; limit?: number; html?: string; htmlEvents?: number; diff?: string; outputFields?: ProfileField[] }) => {
    if (flags.html !== undefined) {
      await writeHtml(file, flags.html, flags, ctx, flags.htmlEvents ?? HTML_WINDOW_EVENTS);
      return;
    }
    const trace = await openTrace(file, flags, ctx.io);
    if (flags.diff !== undefined) {
      // the file given first is the base; --diff names the one compared with it
      const other = await openTrace(flags.diff, flags, ctx.io);
      const rows = diffProfiles(computeProfile(trace), computeProfile(other));
      const times = clockHasTime(trace.clock) && clockHasTime(other.clock);
      ctx.io.stdout(formatProfileDiff(rows, { times, ...(flags.limit ? { limit: flags.limit } : {}) }));
      return;
    }
    const fields = flags.outputFields;
    const timeField = fields?.find(isTimeField);
    if (timeField !== undefined && !(clockHasTime(trace.clock) && traceHasExits(trace))) {
      throw new CliError(`-f ${timeField}: ${file} has no call times (${clockHasTime(trace.clock) ? 'no EXIT events: record with -t function_graph' : `clock ${trace.clock} counts events`})`);
    }
    ctx.io.stdout(
      formatProfile(trace, { ...(flags.sort ? { sort: flags.sort } : {}), ...(flags.limit ? { limit: flags.limit } : {}), srcline: flags.srcline === true, ...(fields ? { fields } : {}) }),
    );
  });
}

/**
 * Events a `report --html` page holds at most: its data file is then about
 * 40 MiB of base64, which a browser opens in seconds. A bigger trace is
 * windowed: the page holds its first HTML_WINDOW_EVENTS events (after the
 * read-time filters), and says so. --html-events changes the size.
 */
export const HTML_WINDOW_EVENTS = 1_000_000;

/**
 * `report --html out.html`: the viewer page with the data file inside; with
 * read-time filters, or when the trace is too big for one page, a data file
 * of what they keep, windowed to its first `maxEvents` events.
 */
async function writeHtml(file: string, out: string, flags: Partial<SharedFlags>, ctx: CommandContext, maxEvents: number): Promise<void> {
  const bundle = findViewerBundle();
  if (!bundle) throw new CliError("the trace viewer is not built (dist/viewer/viewer.js is missing): run 'npm run build'");
  const viewerJs = readFileSync(bundle, 'utf8');
  const opened = await openNamedDataFile(file, flags, ctx.io); // checks the file, reports its warnings
  const filter = readFilterOf(flags);
  let name = path.basename(file);
  let bytes: Uint8Array;
  if (isEmptyFilter(filter) && !opened.renamed && opened.summary.eventCount <= maxEvents) {
    bytes = await readInputFile(file);
  } else {
    const window = encodeTraceWindow(filterStream(opened.trace, filter), opened.summary.header, maxEvents);
    bytes = window.bytes;
    if (!isEmptyFilter(filter)) name += ' (filtered)';
    if (window.kept < window.total) {
      const span = opened.trace.clock === 'perf' && window.firstTs !== null && window.lastTs !== null ? `, ${((window.lastTs - window.firstTs) / 1000).toFixed(3)} ms` : '';
      name += ` (first ${window.kept} of ${window.total} events${span})`;
      ctx.io.stderr(
        `wasm-ftrace: the trace has ${window.total} events, more than one page holds: the page shows the first ${window.kept}${span}; ` +
          `choose others with -F/-N/-G/-D/--time-filter (the text reports read the whole file)\n`,
      );
    }
  }
  const html = viewerHtml(viewerJs, { dataFileBase64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), name });
  await writeFileAtomic(out, html);
  ctx.io.stderr(`wasm-ftrace: wrote the trace viewer to ${out} (${Math.ceil(Buffer.byteLength(html) / 1024)} KiB)\n`);
}
