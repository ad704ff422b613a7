/**
 * The C guest fixture (wasm-fixtures/c/guest_ops.c): a real program that
 * registers a static and a malloc'ed ops through ftrace.h, and whose heap ops
 * unregisters and frees itself inside its own callback.
 */
import { mkdtempSync, openSync, closeSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WASI } from 'node:wasi';
import { expect, it } from 'vitest';
import { Ftrace, instrument } from '../src/index.js';
import { formatFtraceText } from '../src/output/index.js';
import { TraceArray } from '../src/tracers/index.js';

it('guest_ops.c traces itself: static direct, heap through the list, freed inside its callback', () => {
  const r = instrument(readFileSync('wasm-fixtures/build/guest_ops.wasm'), { notrace: ['on_*'] });
  const module = new WebAssembly.Module(r.binary);
  const ft = Ftrace.forModule(module);
  const modes: string[] = [];
  const imports = ft.imports;
  const logged = <T extends (...a: number[]) => number>(name: string, fn: T) =>
    ((...a: number[]) => {
      const ret = fn(...a);
      modes.push(`${name} -> ${ret} mode=${ft.mode}`);
      return ret;
    }) as T;

  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-guest-'));
  const outFile = path.join(dir, 'stdout');
  const fd = openSync(outFile, 'w');
  const wasi = new WASI({ version: 'preview1', args: ['guest_ops'], returnOnExit: true, stdout: fd });
  const instance = new WebAssembly.Instance(module, {
    ...wasi.getImportObject(),
    ftrace: {
      ...imports,
      register_ftrace_function: logged('register', imports.register_ftrace_function),
      unregister_ftrace_function: logged('unregister', imports.unregister_ftrace_function),
    },
  } as WebAssembly.Imports);
  ft.attach(instance);
  const code = wasi.start(instance);
  closeSync(fd);
  expect(code).toBe(0);

  const ip = (name: string) => r.metadata.names.indexOf(name);
  expect(ft.metadata.data).not.toBeNull();
  const expected = readFileSync('wasm-fixtures/c/guest_ops.expected', 'utf8')
    .replace('{work}', String(ip('work')))
    .replace('{main}', String(ip('__original_main'))); // clang's name for main(void)
  expect(readFileSync(outFile, 'utf8')).toBe(expected);
  expect(modes).toEqual([
    'register -> 0 mode=direct', // the static ops alone: called directly
    'register -> -16 mode=direct',
    'register -> 0 mode=list', // the heap ops is DYNAMIC
    'unregister -> 0 mode=direct', // from inside its own callback
    'unregister -> 0 mode=none',
    'unregister -> -22 mode=none',
    'register -> 0 mode=list', // a malloc'ed ops where a freed, filtered, never registered one was
    'unregister -> 0 mode=none',
  ]);
  expect(ft.stats.recursionMissed).toBe(0);
});

it('guest callbacks left traced keep the function_graph clean: 0 frames unwound, 0 stray exits', () => {
  // A new user instruments without --notrace 'on_*': the callbacks are traced
  // wasm the host calls from inside mcount, and their entries come from HOST.
  const r = instrument(readFileSync('wasm-fixtures/build/guest_ops.wasm'), { exitHooks: true });
  const module = new WebAssembly.Module(r.binary);
  const tr = new TraceArray({ tracer: 'function_graph', clock: 'counter', bufferKb: 1024 });
  const traced = tr.addInstance(Ftrace.forModule(module), 'guest_ops');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-guest-'));
  const fd = openSync(path.join(dir, 'stdout'), 'w');
  const wasi = new WASI({ version: 'preview1', args: ['guest_ops'], returnOnExit: true, stdout: fd });
  const instance = new WebAssembly.Instance(module, tr.importsFor(traced, wasi.getImportObject() as WebAssembly.Imports));
  tr.attach(traced, instance);
  expect(wasi.start(instance)).toBe(0);
  closeSync(fd);
  expect(tr.stats).toMatchObject({ unwoundFrames: 0, strayExits: 0, lost: 0 });
  // the callbacks nest inside the function whose entry called them
  const lines = formatFtraceText(tr.read()).split('\n').map((l) => l.replace(/^[^)]*\) /, ''));
  const work = lines.findIndex((l) => l.trim() === 'work() {');
  expect(lines.slice(work, work + 6).map((l) => l.trimEnd())).toEqual([
    '      work() {',
    '        on_static();',
    '        leaf();',
    '        leaf();',
    '        leaf();',
    '      }',
  ]);
});
