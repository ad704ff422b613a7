/** `wasm-ftrace instrument in.wasm -o out.wasm`: the pass, from the command line. */
import path from 'node:path';
import type { Command } from 'commander';
import { readInputFile, writeFileAtomic } from './io.js';
import type { CommandContext } from './context.js';
import { megabytes, SLOW_MODULE_BYTES, withStatus } from './status.js';
import { collectGlobs } from './options.js';
import { METADATA_SECTION } from '../abi/index.js';
import { externalDebugInfo } from './external-debug.js';

interface InstrumentFlags {
  output?: string;
  only?: string[];
  notrace?: string[];
  stats?: boolean;
  exitHooks?: boolean;
  traceMemory?: boolean;
}

export function defaultOutputPath(input: string): string {
  const parsed = path.parse(input);
  return path.join(parsed.dir, `${parsed.ext === '.wasm' ? parsed.name : parsed.base}.ftrace.wasm`);
}

export function registerInstrument(program: Command, ctx: CommandContext): void {
  program
    .command('instrument')
    .description('add an mcount call to the prologue of every function; the module otherwise behaves exactly as before')
    .argument('<in.wasm>', 'the module to instrument')
    .option('-o, --output <out.wasm>', 'where to write the instrumented module (default: <in>.ftrace.wasm)')
    .option('--only <glob>', 'instrument only functions matching the glob (repeatable)', collectGlobs)
    .option('--notrace <glob>', 'leave functions matching the glob uninstrumented (repeatable)', collectGlobs)
    .option('--exit-hooks', 'also call ftrace.mcount_exit(ip) on every way out of a function (for function_graph and the profiler)')
    .option('--trace-memory', 'give the module a trace memory (imported as ftrace.memory) and the in-wasm recorder: the output needs multi-memory (Node >= 22, current browsers)')
    .option('--stats', 'print how many functions were instrumented and skipped')
    .addHelpText(
      'after',
      `
Globs use ftrace's syntax: 'name' exact, 'pre*' prefix, '*suf' suffix,
'*mid*' substring, and full globs ('a*b', 'f?o', '[ab]*'). Functions are
matched by the name section's names, else by export name, else 'func[N]'.

The output imports ftrace.mcount(ip: i32, parent_ip: i32): ip is the
function's index in the input module (imports counted) and parent_ip the
caller's index, or -1 when the caller is outside the module.

Examples:
  $ wasm-ftrace instrument app.wasm -o app.traced.wasm --stats
  $ wasm-ftrace instrument app.wasm --only 'png_*' --notrace 'png_crc*'`,
    )
    .action(async (input: string, flags: InstrumentFlags) => {
      const bytes = await readInputFile(input);
      const { instrument } = await import('../instrument/pass.js'); // loads binaryen: only commands that instrument pay for it
      const started = performance.now();
      const result = withStatus(ctx.io, bytes.length >= SLOW_MODULE_BYTES, `instrumenting ${path.basename(input)} (${megabytes(bytes.length)})`, () =>
        instrument(bytes, { only: flags.only ?? [], notrace: flags.notrace ?? [], exitHooks: flags.exitHooks === true, traceMemory: flags.traceMemory === true, ...externalDebugInfo(bytes, input) }),
      );
      const elapsed = performance.now() - started;
      const output = flags.output ?? defaultOutputPath(input);
      await writeFileAtomic(output, result.binary);
      for (const w of result.warnings) ctx.io.stderr(`wasm-ftrace: warning: ${w}\n`);
      if (result.droppedDebugInfo) {
        const kept = result.metadata.sourceLines ? `; each function's file:line is kept in its ${METADATA_SECTION} section` : '';
        ctx.io.stderr(`wasm-ftrace: note: ${output} has no ${droppedText(result.droppedDebugInfo)}: instrumentation moves the code their offsets point into${kept}\n`);
      }
      if (flags.stats) {
        const s = result.stats;
        const change = (result.binary.length / bytes.length - 1) * 100;
        const growth = `${change >= 0 ? '+' : ''}${change.toFixed(1)}`;
        ctx.io.stdout(
          [
            `functions     ${s.functions} (${s.imports} imported, ${s.functions - s.imports} defined)`,
            `instrumented  ${s.instrumented}`,
            `skipped       ${s.skipped}${(flags.only ?? flags.notrace) !== undefined ? ' (--only/--notrace)' : ''}`,
            `call sites    ${s.callSites}`,
            `size          ${bytes.length} -> ${result.binary.length} bytes (${growth}%)`,
            `time          ${elapsed.toFixed(1)} ms`,
            `output        ${output}`,
            '',
          ].join('\n'),
        );
      }
    });
}

/** `.debug_info` for one DWARF section, `DWARF (11 .debug_* sections)` for several, then the other names. */
function droppedText(names: readonly string[]): string {
  const dwarf = names.filter((n) => n.startsWith('.debug_'));
  const other = names.filter((n) => !n.startsWith('.debug_'));
  return [...(dwarf.length > 1 ? [`DWARF (${dwarf.length} .debug_* sections)`] : dwarf), ...other].join(', ');
}
