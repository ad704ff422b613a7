/**
 * Demangling C++ (Itanium ABI) and Rust (legacy and v0) names, with
 * gecko-profiler-demangle: the Firefox Profiler's build of the Rust crates
 * cpp_demangle and rustc-demangle as a 0.5 MB wasm module. Writing an
 * Itanium demangler that handles templates, substitutions and the rest
 * would be thousands of lines; these crates are what Rust's own tools use.
 *
 * The package is a wasm-bindgen "bundler" build (it imports its .wasm as an
 * ES module, which Node does not do), so it is instantiated here by hand,
 * once, the first time a name looks mangled (Node only: it reads the file).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

interface Demangler {
  demangle_any(name: string): string;
}
let demangler: Promise<Demangler> | null = null;

async function load(): Promise<Demangler> {
  const require = createRequire(import.meta.url);
  // an ES module: import() it (require() of ESM needs Node 22)
  const bg = (await import(pathToFileURL(require.resolve('gecko-profiler-demangle/index_bg.js')).href)) as Demangler & {
    __wbg_set_wasm(exports: WebAssembly.Exports): void;
  };
  const module = new WebAssembly.Module(readFileSync(require.resolve('gecko-profiler-demangle/index_bg.wasm')));
  const instance = new WebAssembly.Instance(module, { './index_bg.js': bg as unknown as WebAssembly.ModuleImports });
  bg.__wbg_set_wasm(instance.exports);
  (instance.exports['__wbindgen_start'] as (() => void) | undefined)?.();
  return bg;
}

/** Itanium (`_Z...`, `__Z...` on Apple) and Rust v0 (`_R...`) prefixes; Rust legacy names are Itanium-shaped. */
const MANGLED = /^(?:_{1,2}Z[A-Za-z0-9_]|_R[A-Za-z0-9_])/;

export function isMangled(name: string): boolean {
  return MANGLED.test(name);
}

/**
 * The demangler: a function giving `name` demangled when it is a mangled C++
 * or Rust name, else unchanged. Loads the demangling module on first use.
 */
export async function loadDemangler(): Promise<(name: string) => string> {
  demangler ??= load();
  const d = await demangler;
  return (name) => {
    if (!MANGLED.test(name)) return name;
    try {
      const out = d.demangle_any(name);
      return out === '' ? name : out;
    } catch {
      return name; // a name the demanglers reject stays as it was
    }
  };
}
