/** `wasm-ftrace list prog.wasm [glob...]`: the functions a module offers to trace (available_filter_functions). */
import { printable } from '../output/printable.js';
import type { Command } from 'commander';
import { Ftrace } from '../ftrace/ftrace.js';
import { FilterError } from '../ftrace/hash.js';
import { decodeMetadata, findCustomSection, readSections, readSourceLines, sourceLineMap, METADATA_SECTION, METADATA_VERSION, WasmFormatError, type FtraceMetadata } from '../abi/index.js';
import { readModuleFunctions } from '../instrument/function-names.js';
import { CliError } from './errors.js';
import { readInputFile } from './io.js';
import type { CommandContext } from './context.js';

export function registerList(program: Command, ctx: CommandContext): void {
  program
    .command('list')
    .description('list the functions of a module that can be traced, with the line numbers filters take')
    .argument('<prog.wasm>', 'a module (instrumented or not)')
    .argument('[glob...]', 'only functions matching these ftrace globs')
    .option('--imports', 'also list imported functions (never traced: they run outside the module)')
    .option('--srcline', "add each function's source file:line (from the module's DWARF line table)")
    .addHelpText(
      'after',
      `
Columns: the line number (a filter 'N' selects line N), the function's index
in the module (ip, as events carry it), and its name; with --srcline, where
it starts in the source (clang -g's DWARF, or what instrumenting kept of it).

Examples:
  $ wasm-ftrace list prog.wasm
  $ wasm-ftrace list prog.wasm 'png_*' '*alloc*'`,
    )
    .action(async (file: string, globs: string[], flags: { imports?: boolean; srcline?: boolean }) => {
      const bytes = await readInputFile(file);
      const meta = metadataOf(file, bytes);
      const ft = new Ftrace(meta);
      const sources = flags.srcline ? sourceLineMap(meta.sourceLines) : new Map<number, string>();
      if (flags.srcline && sources.size === 0) ctx.io.stderr(`wasm-ftrace: note: --srcline: ${file} has no source lines (${noLinesReason(bytes)})\n`);
      const src = (ip: number): string => (sources.has(ip) ? `  ${printable(sources.get(ip)!)}` : '');
      const line = (f: { line: number; ip: number; name: string }): string => `${String(f.line).padStart(5)}  ${String(f.ip).padStart(5)}  ${printable(f.name)}${src(f.ip)}\n`;
      let text = ft.availableFunctions().map(line).join('');
      if (globs.length > 0) {
        let selected: Set<number>;
        try {
          selected = new Set(ft.selectFunctions(globs.join(' ')));
        } catch (e) {
          if (e instanceof FilterError) throw new CliError(e.message);
          throw e;
        }
        text = ft
          .availableFunctions()
          .filter((f) => selected.has(f.ip))
          .map(line)
          .join('');
      }
      if (flags.imports) {
        for (let ip = 0; ip < meta.importCount; ip++) text += `    -  ${String(ip).padStart(5)}  ${printable(meta.names[ip] ?? `func[${ip}]`)} (import)\n`;
      }
      ctx.io.stdout(text);
    });
}

/**
 * The metadata of an instrumented module, or of what instrumenting it with
 * no --only/--notrace would give: read from the binary, no binaryen needed.
 */
function metadataOf(file: string, bytes: Uint8Array): FtraceMetadata {
  try {
    const section = findCustomSection(readSections(bytes), METADATA_SECTION);
    if (section) return decodeMetadata(bytes.subarray(section.payload, section.end));
    const { functionCount, importCount, names, moduleName } = readModuleFunctions(bytes);
    const traced = Array.from({ length: functionCount - importCount }, (_, i) => importCount + i);
    let sourceLines;
    try {
      sourceLines = readSourceLines(bytes, readSections(bytes));
    } catch {
      // a damaged line table costs the --srcline column (which says so), not the list
    }
    return {
      version: METADATA_VERSION,
      functionCount,
      importCount,
      data: null,
      names,
      moduleName,
      traced,
      guardWords: Math.ceil(functionCount / 32),
      ...(sourceLines ? { sourceLines } : {}),
    };
  } catch (e) {
    if (e instanceof WasmFormatError) throw new CliError(`${file}: ${e.message}`);
    if (e instanceof Error && e.message.includes(METADATA_SECTION)) throw new CliError(`${file}: ${e.message}`);
    throw e;
  }
}

/** Why a module gave no source lines, for --srcline's note. */
function noLinesReason(bytes: Uint8Array): string {
  let line = false;
  try {
    line = findCustomSection(readSections(bytes), '.debug_line') !== undefined;
  } catch {
    // not readable: the plain reason
  }
  return line
    ? "its DWARF line table maps none of its functions: clang empties it when it runs wasm-opt after linking (see the README's 'Keeping names with clang')"
    : 'no DWARF line table: build it with -g';
}
