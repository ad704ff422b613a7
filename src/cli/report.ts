/** `wasm-ftrace report [file]`: the profile of a recorded trace (trace_stat/function). */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { formatProfile, type ProfileSort } from '../output/profile.js';
import type { CommandContext } from './main.js';
import { addSharedOptions, positiveInt, type SharedFlags } from './options.js';
import { DEFAULT_DATA_FILE, loadTrace } from './trace-file.js';

const SORTS: readonly ProfileSort[] = ['total', 'self', 'calls', 'avg', 'hits', 'name'];

export function registerReport(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('report')
    .description('print the per-function profile of a recorded trace: hits, total, average, s^2 and self time')
    .argument('[file]', 'the data file', DEFAULT_DATA_FILE)
    .option('-s, --sort <column>', `sort by ${SORTS.join(', ')}`, (v: string) => {
      if (!SORTS.includes(v as ProfileSort)) throw new InvalidArgumentError(`unknown column '${v}' (${SORTS.join(', ')})`);
      return v;
    })
    .option('-n, --limit <rows>', 'print at most this many rows', positiveInt);
  addSharedOptions(cmd, 'report').addHelpText(
    'after',
    `
Times are inclusive (Time, Avg) and exclusive of traced callees (Self), in
microseconds. A function_graph trace gives times; a function trace only
hits.

Examples:
  $ wasm-ftrace report
  $ wasm-ftrace report -s self -n 20 trace.data
  $ wasm-ftrace report -F 'png_*' --time-filter 10us`,
  ).action((file: string, flags: SharedFlags & { sort?: ProfileSort; limit?: number }) => {
    const trace = loadTrace(file, flags, ctx.io);
    ctx.io.stdout(formatProfile(trace, { ...(flags.sort ? { sort: flags.sort } : {}), ...(flags.limit ? { limit: flags.limit } : {}) }));
  });
}
