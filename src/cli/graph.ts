/** `wasm-ftrace graph FUNC [file]`: uftrace's graph: the backtraces to FUNC and the call graph below it. */
import type { Command } from 'commander';
import { computeCallGraph, formatCallGraph, hasFunction } from '../output/call-graph.js';
import { CliError } from './errors.js';
import { withOutput } from './io.js';
import type { CommandContext } from './context.js';
import { addSharedOptions, type SharedFlags } from './options.js';
import { DEFAULT_DATA_FILE, openTrace } from './trace-file.js';

export function registerGraph(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('graph')
    .description('print the backtraces to a function and the call graph below it, merged over its calls: hits, total and self time')
    .argument('<func>', 'the function (its name as report and replay print it)')
    .argument('[file]', 'the data file', DEFAULT_DATA_FILE);
  addSharedOptions(cmd, 'graph').addHelpText(
    'after',
    `
As uftrace's graph: each distinct chain of callers that reached FUNC with its
hits and time, then every path below FUNC merged, as (hits) name with total
and self time (microseconds; with clock counter, events elapsed). A '?' in a
backtrace stands for callers the trace does not hold.

Examples:
  $ wasm-ftrace graph main
  $ wasm-ftrace graph parse -D 4 trace.data`,
  ).action(async (func: string, file: string, flags: SharedFlags) => {
    const trace = await openTrace(file, flags, ctx.io);
    if (!hasFunction(trace, func)) throw new CliError(`no function '${func}' in ${file}`);
    const graph = computeCallGraph(trace, func);
    withOutput(ctx.io, undefined, (write) => {
      for (const line of formatCallGraph(graph, { srcline: flags.srcline === true })) write(`${line}\n`);
    });
  });
}
