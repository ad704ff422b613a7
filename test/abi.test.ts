/**
 * src/abi: what the pass and the host share, and the layering around it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  HOST_IP,
  SectionId,
  WasmFormatError,
  findSection,
  functionName,
  isAbiExport,
  readExportSection,
  readImportSection,
  readSections,
} from '../src/abi/index.js';
import { instrument } from '../src/instrument/pass.js';
import { wat } from './helpers/wat.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/**
 * Every `import ... from './x.js'` of a source file (static and dynamic),
 * resolved to src-relative paths (.ts); `valuesOnly` leaves out `import type`,
 * which loads nothing at run time.
 */
function localImports(file: string, valuesOnly = false): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*((?:import|export)\b[^'";]*?)from\s+'(\.[^']+)'/gm)) {
    if (valuesOnly && /^\s*(?:import|export)\s+type\b/.test(m[1]!)) continue;
    out.push(relative(SRC, resolve(dirname(join(SRC, file)), m[2]!.replace(/\.js$/, '.ts'))));
  }
  for (const m of text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g)) out.push(relative(SRC, resolve(dirname(join(SRC, file)), m[1]!.replace(/\.js$/, '.ts'))));
  for (const m of text.matchAll(/^\s*import\s+'(\.[^']+)'/gm)) out.push(relative(SRC, resolve(dirname(join(SRC, file)), m[1]!.replace(/\.js$/, '.ts'))));
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(join(SRC, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** The source files reachable from `roots` through local imports. */
function reachable(roots: string[], valuesOnly = false): Set<string> {
  const seen = new Set<string>();
  const todo = [...roots];
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...localImports(f, valuesOnly));
  }
  return seen;
}

describe('abi: layering', () => {
  it('src/abi imports nothing outside src/abi', () => {
    for (const f of filesUnder('abi')) {
      for (const dep of localImports(f)) expect(dep.startsWith('abi/'), `${f} imports ${dep}`).toBe(true);
    }
  });

  it('the pass, the outputs and the viewer never reach the core (src/ftrace), directly or not', () => {
    for (const dir of ['instrument', 'output', 'viewer']) {
      const reached = [...reachable(filesUnder(dir))].filter((f) => f.startsWith('ftrace/'));
      expect(reached, `src/${dir} reaches ${reached.join(', ')}`).toEqual([]);
    }
  });

  it('src/datafile is the format only: it reaches no tracer, recorder, runtime or command', () => {
    const reached = [...reachable(filesUnder('datafile'))].filter((f) => /^(tracers|record|runtime|cli|ftrace|instrument)\//.test(f));
    expect(reached).toEqual([]);
  });
});

describe('src: no import circles', () => {
  it('no file reaches itself through its imports (type imports included)', () => {
    // (the same check as `npx madge --circular --extensions ts src`, without the dependency)
    const files = filesUnder('.').map((f) => relative(SRC, join(SRC, f)));
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const circles: string[] = [];
    const visit = (f: string): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        circles.push([...path.slice(path.indexOf(f)), f].join(' > '));
        return;
      }
      state.set(f, 'open');
      path.push(f);
      for (const dep of localImports(f)) if (files.includes(dep)) visit(dep);
      path.pop();
      state.set(f, 'done');
    };
    for (const f of files) visit(f);
    expect(circles).toEqual([]);
  });
});

describe('runtime: the interceptor without the pass', () => {
  it('loads neither the pass nor binaryen.js unless it is handed the pass', () => {
    const loaded = [...reachable(['runtime/intercept.ts', 'runtime/page.ts', 'browser-runtime.ts'], true)];
    expect(loaded.filter((f) => f === 'instrument/pass.ts' || f === 'instrument/binaryen.ts')).toEqual([]);
    expect(loaded).toContain('runtime/module-cache.ts'); // (the walk does follow the interceptor's imports)
  });
});

describe('abi: functionName', () => {
  it('is the name when there is one, func[N] when not, HOST for HOST_IP', () => {
    const names = ['main', 'env.cb'];
    expect(functionName(names, 0)).toBe('main');
    expect(functionName(names, 5)).toBe('func[5]');
    expect(functionName(undefined, 3)).toBe('func[3]');
    expect(functionName(names, HOST_IP)).toBe('HOST');
  });

  it('reads the names of anything that carries them (a trace instance)', () => {
    expect(functionName({ names: ['a', 'b'] }, 1)).toBe('b');
    expect(functionName({ names: [] }, 1)).toBe('func[1]');
  });

  it('is the name the pass writes into the metadata for a stripped function', () => {
    const r = instrument(wat('(module (func) (func (export "x") call 0))', { names: false }));
    expect(r.metadata.names[0]).toBe(functionName(undefined, 0));
  });
});

describe('abi: section reader', () => {
  const bytes = wat(`(module
    (import "env" "f" (func (param i32)))
    (import "env" "mem" (memory 1 2))
    (import "env" "tab" (table 3 funcref))
    (import "env" "g" (global (mut i64)))
    (import "env" "tag" (tag (param i32)))
    (func (export "run") (call 0 (i32.const 1)))
    (global (export "answer") i32 (i32.const 42))
    (export "memory" (memory 0))
  )`);

  it('reads the import and export sections as the engine lists them', () => {
    const sections = readSections(bytes);
    const imports = readImportSection(bytes, findSection(sections, SectionId.import)!);
    const exports = readExportSection(bytes, findSection(sections, SectionId.export)!);
    const m = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    expect(imports.map(({ module, name, kind }) => ({ module, name, kind }))).toEqual(WebAssembly.Module.imports(m));
    expect(exports.map(({ name, kind }) => ({ name, kind }))).toEqual(WebAssembly.Module.exports(m));
  });

  it('names the section in a truncation error', () => {
    const cut = bytes.slice(0, findSection(readSections(bytes), SectionId.export)!.start + 3);
    expect(() => readSections(cut)).toThrow(WasmFormatError);
    expect(() => readSections(cut)).toThrow(/section export at byte/);
  });

  it('tells the exports the pass adds from the module\'s own', () => {
    const r = instrument(bytes);
    const added = WebAssembly.Module.exports(new WebAssembly.Module(r.binary as Uint8Array<ArrayBuffer>))
      .map((d) => d.name)
      .filter(isAbiExport);
    expect(added).toEqual(['__ftrace_control']);
    expect(['__ftrace_parent', '__ftrace_guard_3', '__ftrace_exit_guard_0'].every(isAbiExport)).toBe(true); // what earlier builds exported
    expect(['run', 'answer', 'memory'].some(isAbiExport)).toBe(false);
  });
});
