/**
 * `wasm-ftrace bench in.wasm --invoke EXPORT [args...]`: the hook-overhead
 * benchmark on the user's own module and export. Prints a table per
 * scenario and the targets; --json and --svg write the full results.
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { formatJson, formatTargetsTable, formatWorkloadTable, renderSvg, machineLine, loadLine } from '../bench/report.js';
import { SCENARIO_IDS } from '../bench/scenarios.js';
import { BenchError, unsupportedImports, type WasmWorkloadSpec } from '../bench/workloads.js';
import { CliError, UsageError } from './errors.js';
import { readInputFile, writeFileAtomic } from './io.js';
import type { CommandContext } from './context.js';
import { positiveInt } from './options.js';

interface BenchFlags {
  invoke?: string;
  rounds: number;
  scenarios?: string[];
  json?: string;
  svg?: string;
  sampleMs?: number;
  warmup?: number;
}

function scenarioList(value: string): string[] {
  const ids = value
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (ids.length === 0) throw new InvalidArgumentError('names no scenario');
  for (const id of ids) if (!SCENARIO_IDS.includes(id)) throw new InvalidArgumentError(`unknown scenario '${id}' (${SCENARIO_IDS.join(', ')})`);
  return ids;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`takes a positive number, not '${value}'`);
  return n;
}

/** Numbers as JS numbers; integers beyond 2^53 or with an `n` suffix as BigInt (for i64 params). */
function parseArg(s: string): number | bigint {
  if (/^-?\d+n$/.test(s)) return BigInt(s.slice(0, -1));
  const n = Number(s);
  if (s.trim() === '' || Number.isNaN(n)) throw new UsageError(`argument '${s}' is not a number`);
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) return BigInt(s);
  return n;
}

export function registerBench(program: Command, ctx: CommandContext): void {
  program
    .command('bench')
    .description('measure the hook overhead on your module: each way of tracing it against the uninstrumented module')
    .argument('<in.wasm>', 'the module (WASI imports are provided; no others)')
    .argument('[args...]', "the export's arguments (numbers; 5n for an i64)")
    .requiredOption('--invoke <export>', 'the export each run calls')
    .option('--rounds <n>', 'interleaved rounds per scenario', positiveInt, 9)
    .option('--scenarios <ids>', `only these scenarios, comma-separated (baseline always runs): ${SCENARIO_IDS.filter((s) => s !== 'baseline').join(', ')}`, scenarioList)
    .option('--sample-ms <ms>', 'repeat the call per timed sample until the baseline takes about this long (default: 5, or 1 with fewer than 5 rounds)', positiveNumber)
    .option('--warmup <ms>', 'warm each scenario up for at least this long (default: 100 ms per round, at most 1000)', positiveNumber)
    .option('--json <file>', 'write every figure (and each round) as JSON')
    .option('--svg <file>', 'write a bar chart of the overhead per entry')
    .addHelpText(
      'after',
      `
Each scenario runs in a worker thread of its own, interleaved round by round
with the uninstrumented module; the table gives medians, the spread, the
ratio to the baseline and the overhead per function entry in ns. Nothing
traced is printed; the export's own output (WASI stdout) is not silenced.

Examples:
  $ wasm-ftrace bench lib.wasm --invoke fib 25
  $ wasm-ftrace bench prog.wasm --invoke run 1 --rounds 15 --json bench.json --svg bench.svg
  $ wasm-ftrace bench lib.wasm --invoke fib 20 --scenarios floor,direct,function-counter`,
    )
    .action(async (file: string, args: string[], flags: BenchFlags) => {
      const values = args.map(parseArg);
      const bytes = await readInputFile(file);
      if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) throw new CliError(`'${file}' is not a valid WebAssembly module`);
      const others = unsupportedImports(bytes);
      if (others.length > 0) {
        const list = others.slice(0, 4).join(', ') + (others.length > 4 ? `, ... (${others.length})` : '');
        throw new CliError(`the module imports ${list}: bench provides only WASI (wasi_snapshot_preview1) imports`);
      }
      const name = path.basename(file);
      const spec: WasmWorkloadSpec = {
        kind: 'wasm',
        id: name,
        label: `${name}: ${flags.invoke!}(${args.join(', ')})`,
        bytes,
        invoke: flags.invoke!,
        args: values,
      };
      const exported = WebAssembly.Module.exports(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>));
      if (!exported.some((e) => e.name === spec.invoke && e.kind === 'function')) throw new CliError(`the module has no exported function '${spec.invoke}'`);

      const { runBench } = await import('../bench/hook-overhead.js'); // loads binaryen: not for --help
      let result;
      try {
        result = await runBench({
          workloads: [spec],
          rounds: flags.rounds,
          sampleMs: flags.sampleMs ?? (flags.rounds < 5 ? 1 : 5),
          warmupMs: flags.warmup ?? Math.min(1000, 100 * flags.rounds),
          ...(flags.scenarios ? { scenarios: flags.scenarios } : {}),
          command: `wasm-ftrace bench ${[file, '--invoke', spec.invoke, ...args].join(' ')}`,
          onProgress: (text) => {
            if (ctx.io.isTTY) ctx.io.stderr(`\r\x1b[Kwasm-ftrace: ${text}...`);
          },
        });
      } catch (e) {
        if (e instanceof BenchError) throw new CliError(e.message);
        throw e;
      } finally {
        if (ctx.io.isTTY) ctx.io.stderr('\r\x1b[K');
      }
      ctx.io.stdout(`# ${machineLine(result)}; ${loadLine(result)}\n# ${result.rounds} rounds; each scenario in its own worker thread beside its own baseline run\n\n`);
      for (const w of result.workloads) ctx.io.stdout(`${formatWorkloadTable(w)}\n`);
      if (result.targets.length > 0) ctx.io.stdout(`\n${formatTargetsTable(result.targets)}\n`);
      if (flags.json) await writeFileAtomic(flags.json, formatJson(result));
      if (flags.svg) await writeFileAtomic(flags.svg, renderSvg(result));
    });
}
