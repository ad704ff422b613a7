/** `wasm-ftrace dump [file] --chrome | --folded | --raw`: a recorded trace for other tools. */
import { printable } from '../output/printable.js';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { writeChromeTrace } from '../output/chrome-trace.js';
import { writePerfettoTrace } from '../output/perfetto.js';
import { formatFolded, type FoldedWeight } from '../output/folded.js';
import { tracerOf } from '../tracers/registry.js';
import { EVENT_ENTRY, EVENT_EXIT, EVENT_MARKER, EVENT_STACK, EVENT_STACK_FRAME, clockHasTime, type TraceStream } from '../ring/event.js';
import { functionName } from '../abi/index.js';
import { sourceLineOf } from '../output/source-line.js';
import { UsageError } from './errors.js';
import { withOutput } from './io.js';
import type { CommandContext } from './context.js';
import { withStatus } from './status.js';
import { addSharedOptions, type SharedFlags } from './options.js';
import { DEFAULT_DATA_FILE, openTrace } from './trace-file.js';

interface DumpFlags extends SharedFlags {
  chrome?: boolean;
  perfetto?: boolean;
  folded?: boolean;
  raw?: boolean;
  weight: FoldedWeight;
  output?: string;
}

export function registerDump(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('dump')
    .description("write a recorded trace as Perfetto's protobuf format, Chrome trace JSON, folded stacks, or raw events")
    .argument('[file]', 'the data file', DEFAULT_DATA_FILE)
    .option('--chrome', 'Chrome trace event JSON, for Perfetto and chrome://tracing')
    .option('--perfetto', "Perfetto's protobuf trace format (needs -o), the fastest to open in https://ui.perfetto.dev")
    .option('--folded', 'folded stacks (a;b;c N), for flamegraph.pl, inferno and speedscope')
    .option('--raw', 'one line per event, every field (the default)')
    .option('--weight <weight>', "folded: weigh stacks by 'calls' or by self 'time' (microseconds)", (v: string) => {
      if (v !== 'calls' && v !== 'time') throw new InvalidArgumentError(`unknown weight '${v}' (calls, time)`);
      return v;
    }, 'calls')
    .option('-o, --output <file>', 'write to a file instead of stdout');
  addSharedOptions(cmd, 'dump').addHelpText(
    'after',
    `
Examples:
  $ wasm-ftrace dump --perfetto -o trace.pftrace # then open it in https://ui.perfetto.dev
  $ wasm-ftrace dump --chrome -o trace.json      # Perfetto, chrome://tracing, speedscope
  $ wasm-ftrace dump --folded | flamegraph.pl > flame.svg
  $ wasm-ftrace dump --folded --weight time | inferno-flamegraph > flame.svg
  $ wasm-ftrace dump --raw | head`,
  ).action(async (file: string, flags: DumpFlags) => {
    const formats = [flags.chrome && 'chrome', flags.perfetto && 'perfetto', flags.folded && 'folded', flags.raw && 'raw'].filter(Boolean);
    if (formats.length > 1) throw new UsageError(`choose one of --chrome, --perfetto, --folded, --raw (got ${formats.map((f) => `--${f}`).join(' ')})`);
    if (flags.perfetto && flags.output === undefined) throw new UsageError('--perfetto writes a binary file: give it with -o, e.g. -o trace.pftrace');
    const trace = await openTrace(file, flags, ctx.io);
    const tracer = tracerOf(trace);
    const calls = tracer ? { calls: tracer.nestsCalls } : {};
    const srcline = flags.srcline === true;
    withStatus(ctx.io, trace.written > 1_000_000, `formatting ${trace.written} events`, () =>
      withOutput(ctx.io, flags.output, (write, sink) => {
        if (flags.chrome) writeChromeTrace(trace, write, { ...calls, srcline });
        else if (flags.perfetto) writePerfettoTrace(trace, (bytes) => sink.writeBytes(bytes), calls);
        else if (flags.folded) write(formatFolded(trace, { weight: flags.weight, ...calls }));
        else writeRaw(trace, write, { srcline });
      }),
    );
  });
}

const TYPE_NAMES: Record<number, string> = {
  [EVENT_ENTRY]: 'entry',
  [EVENT_EXIT]: 'exit',
  [EVENT_MARKER]: 'marker',
  [EVENT_STACK]: 'stack',
  [EVENT_STACK_FRAME]: 'frame',
};

/** Every event, every field, one line each (uftrace dump's spirit). */
export function formatRaw(trace: TraceStream): string {
  const parts: string[] = [];
  writeRaw(trace, (t) => parts.push(t));
  return parts.join('');
}

/** formatRaw, a line at a time. */
export function writeRaw(trace: TraceStream, write: (text: string) => void, options: { srcline?: boolean } = {}): void {
  const names = new Map(trace.instances.map((i) => [i.id, i]));
  const name = (inst: number, ip: number) => printable(functionName(names.get(inst), ip));
  write(`# tracer: ${printable(trace.tracer)}  clock: ${trace.clock}  events: ${trace.entries}  written: ${trace.written}  lost: ${trace.lost}\n`);
  for (const i of trace.instances) write(`# instance ${i.id}: ${printable(i.name)} (${i.names.length} functions)\n`);
  write('#        ts  type    inst     ip  depth  duration  function <- parent\n');
  for (const e of trace.events) {
    const ts = clockHasTime(trace.clock) ? e.ts.toFixed(3) : String(e.ts);
    let line = `${ts.padStart(11)}  ${(TYPE_NAMES[e.type] ?? String(e.type)).padEnd(6)}  ${String(e.instance).padStart(4)}  ${String(e.ip).padStart(5)}  ${String(e.depth).padStart(5)}  ${(e.type === EVENT_EXIT ? (clockHasTime(trace.clock) ? e.duration.toFixed(3) : String(e.duration)) : '-').padStart(8)}  `;
    if (e.type === EVENT_MARKER) line += JSON.stringify(e.text ?? '');
    else if (e.type === EVENT_ENTRY) {
      line += `${name(e.instance, e.ip)} <- ${name(e.instance, e.parent)}`;
      const src = options.srcline ? sourceLineOf(names.get(e.instance), e.ip) : undefined;
      if (src !== undefined) line += ` /* ${src} */`;
    }
    else line += name(e.instance, e.ip);
    write(`${line}\n`);
  }
}
