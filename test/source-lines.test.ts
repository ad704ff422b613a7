/**
 * Source lines per function: read from DWARF (the clang -g fixture, whose
 * own unit is DWARF 5 and whose libc units are DWARF 4) or a source map at
 * instrument time, kept in the metadata, and the stale DWARF dropped.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSections, readSourceLines, sourceLineMap, SectionId, findSection, ByteReader } from '../src/abi/index.js';
import { instrument } from '../src/instrument/pass.js';
import { setCustomSection } from '../src/instrument/wasm-binary.js';
import { wat } from './helpers/wat.js';
import { cli } from './helpers/cli.js';

const srcline = new Uint8Array(readFileSync('wasm-fixtures/build/srcline.wasm'));

/** name -> "file:line" for a module's functions, through its instrumented metadata. */
function linesByName(bytes: Uint8Array): Map<string, string> {
  const { metadata } = instrument(bytes);
  const lines = sourceLineMap(metadata.sourceLines);
  return new Map([...lines].map(([ip, at]) => [metadata.names[ip]!, at]));
}

describe('source lines from DWARF', () => {
  it("gives each function of the clang -g fixture the line of its definition, files relative to the build's directory", () => {
    const lines = linesByName(srcline);
    // read from wasm-fixtures/c/srcline.c and srcline_util.h (DWARF 5: clang -gdwarf-5)
    expect(Object.fromEntries(['collatz_step', 'collatz_length', 'sum_lengths', 'main', 'clamp'].map((n) => [n, lines.get(n)]))).toEqual({
      collatz_step: 'wasm-fixtures/c/srcline.c:11',
      collatz_length: 'wasm-fixtures/c/srcline.c:15',
      sum_lengths: 'wasm-fixtures/c/srcline.c:24',
      main: 'wasm-fixtures/c/srcline.c:30',
      clamp: 'wasm-fixtures/c/srcline_util.h:6',
    });
    // wasi-libc's units are DWARF 4 (Debian's libc.a): a relative directory, then the file
    expect(lines.get('_start')).toBe('libc-bottom-half/crt/crt1-command.c:8');
    expect(lines.get('printf')).toBe('libc-top-half/musl/src/stdio/printf.c:5');
  });

  it('keeps the table in the metadata and drops every section whose code offsets instrumentation makes stale', () => {
    const sections = readSections(srcline);
    const result = instrument(srcline);
    expect(result.metadata.sourceLines).toEqual(readSourceLines(srcline, sections));
    expect(result.metadata.sourceLines?.from).toBe('dwarf');
    expect(result.warnings).toEqual([]);
    const inputDebug = sections.flatMap((s) => (s.name?.startsWith('.debug_') ? [s.name] : []));
    expect(inputDebug).toContain('.debug_line');
    expect(result.droppedDebugInfo).toEqual(inputDebug);
    const kept = readSections(result.binary).flatMap((s) => (s.name !== undefined ? [s.name] : []));
    expect(kept.filter((n) => n.startsWith('.debug_'))).toEqual([]);
    expect(kept).toContain('name');
  });

  it('instruments a module whose line table is damaged, with a warning and without source lines', () => {
    const plain = wat('(module (func $f (export "f")))');
    const damaged = setCustomSection(plain, '.debug_line', new Uint8Array([0x40, 0, 0, 0, 4, 0]));
    const result = instrument(damaged);
    expect(result.metadata.sourceLines).toBeUndefined();
    expect(result.warnings).toEqual([expect.stringMatching(/^no source lines: malformed \.debug_line at byte \d+: a line table of 64 bytes runs past the section's end$/)]);
    expect(result.droppedDebugInfo).toEqual(['.debug_line']);
  });
});

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
function vlq(n: number): string {
  let v = n < 0 ? (-n << 1) | 1 : n << 1;
  let s = '';
  do {
    let d = v & 31;
    v >>>= 5;
    if (v) d |= 32;
    s += B64[d];
  } while (v);
  return s;
}

/** A source map's `mappings` for [file offset, source index, 0-based line] segments. */
function mappingsOf(segments: number[][]): string {
  let prev = [0, 0, 0];
  return segments
    .map((s) => {
      const text = vlq(s[0]! - prev[0]!) + vlq(s[1]! - prev[1]!) + vlq(s[2]! - prev[2]!) + vlq(0);
      prev = s;
      return text;
    })
    .join(',');
}

/** A module whose custom section `name` holds `url` (as sourceMappingURL and external_debug_info do). */
function withCustomUrl(bytes: Uint8Array, name: string, url: string): Uint8Array {
  const text = new TextEncoder().encode(url);
  return setCustomSection(bytes, name, new Uint8Array([text.length, ...text]));
}

function withSourceMappingUrl(bytes: Uint8Array, url: string): Uint8Array {
  return withCustomUrl(bytes, 'sourceMappingURL', url);
}

/** File offsets of each function body's first byte after its size, as a source map's columns count them. */
function bodyOffsets(bytes: Uint8Array): number[] {
  const code = findSection(readSections(bytes), SectionId.code)!;
  const r = new ByteReader(bytes, code.payload, code.end);
  const out: number[] = [];
  for (let n = r.u32(); n > 0; n--) {
    const size = r.u32();
    out.push(r.pos);
    r.skip(size);
  }
  return out;
}

describe('source lines from outside the module: a source map, split DWARF', () => {
  it("maps each function's first mapped byte to its source line when the module has no DWARF", () => {
    const bytes = wat(`(module
      (import "env" "log" (func $log (param i32)))
      (func $a (export "a") (call $log (i32.const 1)))
      (func $b (export "b") (call $a) (call $a)))`);
    const [a, b] = bodyOffsets(bytes);
    // a: its first byte on line 3 of src/a.c, a later byte on line 4; b: line 10 of b.c, in sourceRoot
    const segments = [
      [a!, 0, 2],
      [a! + 3, 0, 3],
      [b! + 1, 1, 9],
    ];
    const map = JSON.stringify({ version: 3, sourceRoot: 'project/', sources: ['./src/a.c', 'b.c'], names: [], mappings: mappingsOf(segments) });
    const result = instrument(withSourceMappingUrl(bytes, 'app.wasm.map'), { sourceMap: map });
    expect(result.metadata.sourceLines).toEqual({
      from: 'source map',
      files: ['project/src/a.c', 'project/b.c'],
      functions: [
        [1, 0, 3],
        [2, 1, 10],
      ],
    });
    expect(result.droppedDebugInfo).toEqual(['sourceMappingURL']);
  });

  it('instruments with a warning when the source map is not one', () => {
    const bytes = wat('(module (func $f (export "f")))');
    expect(instrument(bytes, { sourceMap: '{"version":2}' }).warnings).toEqual(['no source lines: malformed source map: version 2 (only version 3 is read)']);
    expect(instrument(bytes, { sourceMap: 'nope' }).warnings).toEqual(['no source lines: malformed source map: not JSON']);
  });

  it('the CLI reads the map the section names: a file next to the module, or a data: URL', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-srcmap-'));
    const bytes = wat('(module (func $a (export "a")) (func $b (export "b") (call $a)))');
    const [a, b] = bodyOffsets(bytes);
    const map = JSON.stringify({ version: 3, sources: ['lib.rs'], names: [], mappings: mappingsOf([[a!, 0, 4], [b!, 0, 8]]) });
    writeFileSync(path.join(dir, 'app.wasm.map'), map);
    writeFileSync(path.join(dir, 'app.wasm'), withSourceMappingUrl(bytes, 'app.wasm.map'));
    writeFileSync(path.join(dir, 'inline.wasm'), withSourceMappingUrl(bytes, `data:application/json;base64,${Buffer.from(map).toString('base64')}`));
    for (const name of ['app', 'inline']) {
      const out = path.join(dir, `${name}.out.wasm`);
      expect(await cli('instrument', path.join(dir, `${name}.wasm`), '-o', out)).toMatchObject({ code: 0 });
      expect((await cli('list', '--srcline', out)).stdout).toBe('    1      0  a  lib.rs:5\n    2      1  b  lib.rs:9\n');
    }
  });

  it("the CLI reads split DWARF from the file a module's external_debug_info names, and refuses one of another build", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-split-'));
    // what -gseparate-dwarf ships: the module without its DWARF, pointing at the build that has it
    const kept = readSections(srcline).filter((s) => !s.name?.startsWith('.debug_'));
    const main = Buffer.concat([srcline.subarray(0, 8), ...kept.map((s) => srcline.subarray(s.start, s.end))]);
    writeFileSync(path.join(dir, 'app.wasm'), withCustomUrl(main, 'external_debug_info', 'app.debug.wasm'));
    writeFileSync(path.join(dir, 'app.debug.wasm'), srcline);
    const out = path.join(dir, 'app.out.wasm');
    expect((await cli('instrument', path.join(dir, 'app.wasm'), '-o', out)).code).toBe(0);
    expect((await cli('list', '--srcline', out, 'collatz_step')).stdout).toBe('    6     12  collatz_step  wasm-fixtures/c/srcline.c:11\n');

    writeFileSync(path.join(dir, 'app.debug.wasm'), readFileSync('wasm-fixtures/build/hello.wasm'));
    const other = await cli('instrument', path.join(dir, 'app.wasm'), '-o', out);
    expect(other.stderr).toContain("wasm-ftrace: warning: no source lines: the external debug file is of another build (its code section differs from the module's)");
  });
});
