/**
 * Function names are the module author's: one with a newline, a carriage
 * return, ESC, BEL or NUL must print on one line, visibly escaped, in every
 * human-readable output, and reach machine formats encoded, not mangled.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { startRecording } from '../src/record/writer.js';
import { instrument } from '../src/index.js';
import { formatChromeTrace, formatFolded, formatFtraceText } from '../src/output/index.js';
import { TraceArray } from '../src/tracers/index.js';
import { wat } from './helpers/wat.js';

/** Names as a hostile module would have them. */
const NAMES = ['evil\nline', 'ret\rurn', 'esc\x1b[2Jape', 'bell\x07', 'nul\x00byte'];
const SHOWN = ['evil\\x0aline', 'ret\\x0durn', 'esc\\x1b[2Jape', 'bell\\x07', 'nul\\x00byte'];

/** A name section (function names only), appended by hand: WAT cannot spell these names. */
function withNames(module: Uint8Array, names: string[]): Uint8Array {
  const leb = (n: number): number[] => {
    const out: number[] = [];
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n !== 0) b |= 0x80;
      out.push(b);
    } while (n !== 0);
    return out;
  };
  const str = (s: string): number[] => {
    const b = [...new TextEncoder().encode(s)];
    return [...leb(b.length), ...b];
  };
  const map = [...leb(names.length), ...names.flatMap((n, i) => [...leb(i), ...str(n)])];
  const sub = [1, ...leb(map.length), ...map];
  const payload = [...str('name'), ...sub];
  return new Uint8Array([...module, 0, ...leb(payload.length), ...payload]);
}

const MODULE = withNames(
  wat(
    `(module
      (func (export "main") (call 1) (call 2) (call 3) (call 4))
      (func (call 2)) (func) (func) (func))`,
    { names: false },
  ),
  NAMES,
);

let dir = '';
let dataFile = '';
let moduleFile = '';
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-names-'));
  moduleFile = path.join(dir, 'evil.wasm');
  fs.writeFileSync(moduleFile, MODULE);
  dataFile = path.join(dir, 'evil.data');
  const tr = new TraceArray({ tracer: 'function_graph', clock: 'counter' });
  const rec = startRecording(tr, { path: dataFile });
  const { instance } = await tr.instantiate(new WebAssembly.Module(instrument(MODULE, { exitHooks: true }).binary as Uint8Array<ArrayBuffer>), {}, 'evil\x1bmod');
  tr.marker('marker\x1b]0;title\x07');
  (instance.exports['main'] as () => void)();
  rec.close();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));


// what must never reach a terminal raw: C0 controls but the newline ending each line, DEL, C1
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('control characters in names', () => {
  it('every human-readable output escapes them, one event per line', async () => {
    for (const argv of [['replay'], ['report'], ['dump', '--raw'], ['info'], ['dump', '--folded']]) {
      const r = await cli(...argv, dataFile);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout, argv.join(' ')).not.toMatch(RAW);
      if (argv[0] !== 'info') for (const shown of SHOWN.slice(0, 2)) expect(r.stdout, argv.join(' ')).toContain(shown);
    }
    const graph = await cli('graph', NAMES[0]!, dataFile);
    expect(graph.code, graph.stderr).toBe(0);
    expect(graph.stdout).not.toMatch(RAW);
    expect(graph.stdout).toContain(`(1) ${SHOWN[0]}`);
    const replay = (await cli('replay', dataFile)).stdout;
    expect(replay).toContain('esc\\x1b[2Jape();');
    expect(replay).toContain('marker\\x1b]0;title\\x07');
    // one line per call: main() {, evil\nline() {, esc..., }, esc, bell, nul, }
    expect(replay.split('\n').filter((l) => l.includes('evil\\x0aline'))).toHaveLength(1);
    const list = await cli('list', moduleFile);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toMatch(RAW);
    expect(list.stdout.trimEnd().split('\n')).toHaveLength(NAMES.length);
    for (const shown of SHOWN) expect(list.stdout).toContain(shown);
    expect((await cli('info', dataFile)).stdout).toContain('evil\\x1bmod');
  });

  it('in memory too (run prints these), and Chrome JSON keeps the names exactly', async () => {
    const tr = new TraceArray({ tracer: 'function_graph', clock: 'counter' });
    const { instance } = await tr.instantiate(new WebAssembly.Module(instrument(MODULE, { exitHooks: true }).binary as Uint8Array<ArrayBuffer>));
    (instance.exports['main'] as () => void)();
    const data = tr.read();
    expect(formatFtraceText(data)).not.toMatch(RAW);
    expect(formatFolded(data)).not.toMatch(RAW);
    const chrome = JSON.parse(formatChromeTrace(data)) as { traceEvents: { name: string }[] };
    for (const n of NAMES) expect(chrome.traceEvents.some((e) => e.name === n), JSON.stringify(n)).toBe(true);
  });
});
