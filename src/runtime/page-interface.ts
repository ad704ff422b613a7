/**
 * module-interface.ts in the small runtime, whose build gives the interceptor
 * and its module cache this instead: there a module is instrumented only by
 * the opt-in instrumenting worker, whose client brings the exact functions
 * along (page.ts hands them over: provideInterfaces). Until then a module's
 * original interface reads as unknown, as for unreadable bytes, and the
 * imports and exports the pass added are dropped by name.
 */
import { hideAbiExports, withoutAbiExports, withoutPassImports, type ModuleInterface } from './module-interface.js';

type Exact = Pick<typeof import('./module-interface.js'), 'readInterface' | 'originalImports' | 'originalExports'>;

let exact: Exact | undefined;

export function provideInterfaces(m: Exact): void {
  exact = m;
}

export { hideAbiExports };

export function readInterface(bytes: Uint8Array): ModuleInterface | null {
  return exact ? exact.readInterface(bytes) : null;
}

export function originalImports(all: WebAssembly.ModuleImportDescriptor[], iface: ModuleInterface | null | undefined, exitHooks: boolean): WebAssembly.ModuleImportDescriptor[] {
  return exact ? exact.originalImports(all, iface, exitHooks) : withoutPassImports(all, exitHooks);
}

export function originalExports(all: WebAssembly.ModuleExportDescriptor[], iface: ModuleInterface | null | undefined): WebAssembly.ModuleExportDescriptor[] {
  return exact ? exact.originalExports(all, iface) : withoutAbiExports(all);
}
