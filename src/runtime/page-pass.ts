/**
 * What only a module instrumented on the page needs, in the small runtime:
 * its build gives the interceptor and its module cache this module for
 * module-interface.ts and instrument-selecting.ts. There a module is
 * instrumented by the opt-in instrumenting worker, which drops globs that
 * match nothing itself, and whose client brings the reading of the original
 * interface along (page.ts hands it over: provideInterfaces). Until then a
 * module's original interface reads as unknown, as for unreadable bytes (the
 * imports and exports the pass added are dropped by name), and a pass given
 * to installInterceptor runs as it is.
 */
import type { InstrumentOptions, InstrumentResult } from '../instrument/pass.js';
import type { Instrumenter } from './instrumenter.js';
import { hideAbiExports, withoutAbiExports, withoutPassImports, type ModuleInterface, type PassImports } from './module-interface.js';

type Exact = Pick<typeof import('./module-interface.js'), 'readInterface' | 'originalImports' | 'originalExports'>;

let exact: Exact | undefined;

export function provideInterfaces(m: Exact): void {
  exact = m;
}

export { hideAbiExports };

export function readInterface(bytes: Uint8Array): ModuleInterface | null {
  return exact ? exact.readInterface(bytes) : null;
}

export function originalImports(all: WebAssembly.ModuleImportDescriptor[], iface: ModuleInterface | null | undefined, added: PassImports = {}): WebAssembly.ModuleImportDescriptor[] {
  return exact ? exact.originalImports(all, iface, added) : withoutPassImports(all, added);
}

export function originalExports(all: WebAssembly.ModuleExportDescriptor[], iface: ModuleInterface | null | undefined): WebAssembly.ModuleExportDescriptor[] {
  return exact ? exact.originalExports(all, iface) : withoutAbiExports(all);
}

export function instrumentSelecting(pass: Instrumenter, bytes: Uint8Array, options: InstrumentOptions): InstrumentResult | null {
  return pass(bytes, options);
}
