/**
 * The tracefs files of the core, as text: what `cat available_filter_functions`
 * and `cat enabled_functions` show in the kernel, adapted to wasm.
 */
import type { Ftrace } from './ftrace.js';

/** One line per traced function: the line number a numeric filter selects, the ip, the name. */
export function availableFilterFunctions(ft: Ftrace): string {
  return ft
    .availableFunctions()
    .map((f) => `${String(f.line).padStart(5)}  ${String(f.ip).padStart(5)}  ${f.name}\n`)
    .join('');
}

/** One line per function some ops wants: name, (number of ops), and how mcount reaches them. */
export function enabledFunctions(ft: Ftrace): string {
  return ft
    .enabledFunctions()
    .map((f) => `${f.name} (${f.callbacks})${f.direct ? '    direct' : '    list'}\n`)
    .join('');
}
