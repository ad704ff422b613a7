/** `wasm-ftrace list prog.wasm [glob...]`: the functions a module offers to trace (available_filter_functions). */
import type { Command } from 'commander';
import { Ftrace } from '../ftrace/ftrace.js';
import { FilterError } from '../ftrace/hash.js';
import { decodeMetadata, findCustomSection, readSections, METADATA_SECTION } from '../abi/index.js';
import { availableFilterFunctions } from '../ftrace/views.js';
import { instrument } from '../instrument/pass.js';
import { CliError } from './errors.js';
import { readInputFile } from './io.js';
import type { CommandContext } from './main.js';

export function registerList(program: Command, ctx: CommandContext): void {
  program
    .command('list')
    .description('list the functions of a module that can be traced, with the line numbers filters take')
    .argument('<prog.wasm>', 'a module (instrumented or not)')
    .argument('[glob...]', 'only functions matching these ftrace globs')
    .option('--imports', 'also list imported functions (never traced: they run outside the module)')
    .addHelpText(
      'after',
      `
Columns: the line number (a filter 'N' selects line N), the function's index
in the module (ip, as events carry it), and its name.

Examples:
  $ wasm-ftrace list prog.wasm
  $ wasm-ftrace list prog.wasm 'png_*' '*alloc*'`,
    )
    .action(async (file: string, globs: string[], flags: { imports?: boolean }) => {
      const bytes = await readInputFile(file);
      const meta = metadataOf(bytes);
      const ft = new Ftrace(meta);
      let text = availableFilterFunctions(ft);
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
          .map((f) => `${String(f.line).padStart(5)}  ${String(f.ip).padStart(5)}  ${f.name}\n`)
          .join('');
      }
      if (flags.imports) {
        for (let ip = 0; ip < meta.importCount; ip++) text += `    -  ${String(ip).padStart(5)}  ${meta.names[ip]} (import)\n`;
      }
      ctx.io.stdout(text);
    });
}

/** The metadata of an instrumented module, or of what instrumenting it would give. */
function metadataOf(bytes: Uint8Array) {
  try {
    const section = findCustomSection(readSections(bytes), METADATA_SECTION);
    if (section) return decodeMetadata(bytes.subarray(section.payload, section.end));
  } catch {
    // not readable as an instrumented module: instrument() below says why
  }
  return instrument(bytes).metadata;
}
