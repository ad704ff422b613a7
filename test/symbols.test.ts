/**
 * Names for stripped modules (--symbols) and demangling: a C++ program
 * (wasm-fixtures/cpp/shapes.cpp, namespaces, templates, virtual functions,
 * overloads) recorded from its stripped build reads back with its real,
 * demangled names from the unstripped build; a build that does not match is
 * refused in one line; Emscripten symbol maps and JSON name maps work too.
 * Goldens (counter clock) are reviewed by eye; UPDATE_GOLDEN=1 rewrites them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { codeLayout } from '../src/abi/index.js';
import { loadDemangler } from '../src/symbols/demangle.js';
import { parseSymbolFile, SymbolFileError } from '../src/symbols/symbol-files.js';

const FIXTURES = path.resolve('wasm-fixtures/build');
const UNSTRIPPED = path.join(FIXTURES, 'shapes.wasm');
const STRIPPED = path.join(FIXTURES, 'shapes.stripped.wasm');
const GOLDEN = path.resolve('test/golden');

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env['UPDATE_GOLDEN'] === '1') fs.writeFileSync(file, actual);
  expect(actual).toBe(fs.readFileSync(file, 'utf8'));
}


let dir = '';
let data = '';
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-symbols-'));
  data = path.join(dir, 'shapes.data');
  const rec = await cli('record', '--clock', 'counter', '-o', data, STRIPPED, '2');
  expect(rec.code, rec.stderr).toBe(0);
  expect(rec.stderr).toContain('wasm-ftrace: warning: shapes.stripped.wasm has no function names (no name section)');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('demangling', () => {
  it('C++ (Itanium) and Rust (legacy and v0); anything else unchanged', async () => {
    const d = await loadDemangler();
    expect(d('_ZN4geom10total_areaEPKPNS_5ShapeEi')).toBe('geom::total_area(geom::Shape* const*, int)');
    expect(d('_ZN4geom3sumIiEET_PKS1_i')).toBe('geom::sum<int>(int const*, int)');
    expect(d('_ZN4core3fmt9Formatter3pad17h0123456789abcdefE')).toBe('core::fmt::Formatter::pad');
    expect(d('_RNvCs1234_7mycrate3foo')).toBe('mycrate::foo');
    for (const plain of ['main', 'func[12]', '_Z', '_start', 'env.log']) expect(d(plain)).toBe(plain);
  });
});

describe('symbol files', () => {
  it('an unstripped build: its name section and the code layout it shares with the stripped one', () => {
    const sym = parseSymbolFile('shapes.wasm', new Uint8Array(fs.readFileSync(UNSTRIPPED)));
    expect(sym.kind).toBe('module');
    expect(sym.module!.codeLayout).toBe(codeLayout(new Uint8Array(fs.readFileSync(STRIPPED))));
    // wasm-ld writes the name section demangled
    expect([...sym.names.values()]).toContain('geom::total_area(geom::Shape* const*, int)');
    expect(() => parseSymbolFile('stripped.wasm', new Uint8Array(fs.readFileSync(STRIPPED)))).toThrow(
      new SymbolFileError('stripped.wasm: the module has no function names (no name section): it is stripped too'),
    );
  });

  it('an Emscripten symbol map and a JSON name map; anything else is one line', () => {
    const em = parseSymbolFile('a.symbols', new TextEncoder().encode('0:env.f\n7:_ZN4util5scaleEi\n\n'));
    expect([em.kind, [...em.names]]).toEqual(['emscripten symbol map', [[0, 'env.f'], [7, '_ZN4util5scaleEi']]]);
    const json = parseSymbolFile('names.json', new TextEncoder().encode('{"3": "run", "9": "wasm_bindgen::start"}'));
    expect([json.kind, [...json.names]]).toEqual(['name map', [[3, 'run'], [9, 'wasm_bindgen::start']]]);
    expect(() => parseSymbolFile('x.txt', new TextEncoder().encode('hello world\n'))).toThrow(/^x\.txt:1: not an Emscripten symbol map line/);
  });
});

describe('--symbols on the readers', () => {
  it('a stripped C++ module reads back with its real, demangled names', async () => {
    const bare = await cli('replay', '-D', '6', data);
    expect(bare.stdout).toMatch(/func\[\d+\]\(\);/);
    const named = await cli('replay', '-G', 'main', '-D', '2', '-N', 'malloc', '-N', 'free', '--symbols', UNSTRIPPED, data);
    expect(named.code, named.stderr).toBe(0);
    golden('symbols-replay.txt', named.stdout);
    expect(named.stdout).toContain('geom::total_area(geom::Shape* const*, int)();');
    const report = await cli('report', '-s', 'name', '-F', 'geom::*', '-F', 'util::*', '--symbols', UNSTRIPPED, data);
    golden('symbols-report.txt', report.stdout);
  });

  it('mangled names (an Emscripten symbol map, as llvm-nm lists the object) are demangled unless --no-demangle', async () => {
    const sym = parseSymbolFile('shapes.wasm', new Uint8Array(fs.readFileSync(UNSTRIPPED)));
    const index = (name: string) => [...sym.names].find(([, n]) => n === name)![0];
    const map = path.join(dir, 'shapes.symbols');
    fs.writeFileSync(
      map,
      `${index('geom::total_area(geom::Shape* const*, int)')}:_ZN4geom10total_areaEPKPNS_5ShapeEi\n` +
        `${index('util::scale(int)')}:_ZN4util5scaleEi\n${index('util::scale(double)')}:_ZN4util5scaleEd\n`,
    );
    const demangled = await cli('report', '-s', 'name', '-F', 'geom::*', '-F', 'util::*', '--symbols', map, data);
    expect(demangled.stdout.split('\n').slice(2, 5).map((l) => l.trim().split(/ {2,}/)[0])).toEqual([
      'geom::total_area(geom::Shape* const*, int)',
      'util::scale(double)',
      'util::scale(int)',
    ]);
    const mangled = await cli('report', '-s', 'name', '-F', '_ZN*', '--no-demangle', '--symbols', map, data);
    expect(mangled.stdout.split('\n').slice(2, 5).map((l) => l.trim().split(/ {2,}/)[0])).toEqual([
      '_ZN4geom10total_areaEPKPNS_5ShapeEi',
      '_ZN4util5scaleEd',
      '_ZN4util5scaleEi',
    ]);
  });

  it('every reader takes it: dump --folded, dump --chrome', async () => {
    const folded = await cli('dump', '--folded', '-G', 'geom::total_area*', '--symbols', UNSTRIPPED, data);
    expect(folded.stdout).toContain('geom::total_area(geom::Shape* const*, int);geom::Circle::area() const');
    const chrome = await cli('dump', '--chrome', '-F', 'util::*', '--symbols', UNSTRIPPED, data);
    expect(chrome.stdout).toContain('"name":"util::scale(double)"');
  });

  it('a build of another module is refused in one line; so is a map that names functions the module lacks', async () => {
    const other = await cli('report', '--symbols', path.join(FIXTURES, 'hash.wasm'), data);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^wasm-ftrace: error: .*hash\.wasm is not a build of any module in the trace: it has \d+ functions \(\d+ imported\), code layout [0-9a-f:]+; the trace has 0 shapes\.stripped\.wasm: \d+ functions \(\d+ imported\), code layout [0-9a-f:]+\n$/);
    const map = path.join(dir, 'far.symbols');
    fs.writeFileSync(map, '100000:nowhere\n');
    const far = await cli('report', '--symbols', map, data);
    expect(far).toMatchObject({ code: 1, stderr: expect.stringMatching(/far\.symbols names function 100000, beyond every module in the trace/) });
  });

  it('report --diff of a file with itself: nothing changed', async () => {
    const r = await cli('report', '--diff', data, '-n', '3', '--symbols', UNSTRIPPED, data);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^ {2}Function +Calls +Calls' +Change$/); // counter clock: no times
    expect(r.stdout.split('\n').slice(2, 5).every((l) => / \+0 \(\+0\.0%\)$/.test(l))).toBe(true);
  });
});
