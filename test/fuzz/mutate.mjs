// The mutation fuzzer: hostile variants of the wasm fixtures into `instrument`,
// and of a recorded data file into every reader. Each case must either succeed
// with valid output or give one line and exit 1, with no stack trace and no
// output file left behind. Shared by test/mutation-fuzz.test.ts (a few seconds
// a target) and test/fuzz/mutate-long.mjs (npm run fuzz:mutate).
//
// Runs on the built package (dist/), so the long run needs no TypeScript loader.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = (p) => import(path.join(root, 'dist', p));

/** mulberry32: a small seeded PRNG, so every case can be replayed from its seed. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)] };
}

/** Unsigned LEB128 of n, padded to `width` bytes when given (so it overwrites in place). */
export function leb(n, width = 0) {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n !== 0 || out.length + 1 < width) b |= 0x80;
    out.push(b);
  } while (n !== 0 || out.length < width);
  return out;
}

/** Where an unsigned LEB128 starts at `at`, how long it is and its value. */
function readLeb(bytes, at) {
  let v = 0;
  let k = 0;
  while (at + k < bytes.length && k < 5) {
    const b = bytes[at + k];
    v += (b & 0x7f) * 2 ** (7 * k);
    k++;
    if ((b & 0x80) === 0) return { at, len: k, value: v };
  }
  return null;
}

/** The module's sections: where each size LEB and each payload's first LEB (a vector count) sit. */
function wasmLebs(bytes) {
  const out = [];
  let p = 8;
  while (p < bytes.length) {
    const size = readLeb(bytes, p + 1);
    if (!size) break;
    out.push(size);
    const first = readLeb(bytes, size.at + size.len);
    if (first && bytes[p] !== 0) out.push(first);
    p = size.at + size.len + size.value;
  }
  return out;
}

const BIG = [0xffffffff, 0x10000000, 0x7fffffff, 0x0fffffff, 65536, 1 << 20];

/** One hostile variant of a module, and what was done to it. */
export function mutateWasm(input, rnd) {
  const b = input.slice();
  const kind = rnd.pick(['flip', 'truncate', 'forge-section', 'forge-anywhere']);
  if (kind === 'flip') {
    const n = 1 + rnd.int(4);
    for (let i = 0; i < n; i++) b[rnd.int(b.length)] ^= 1 << rnd.int(8);
    return { kind, bytes: b };
  }
  if (kind === 'truncate') return { kind, bytes: b.subarray(0, rnd.int(b.length)) };
  if (kind === 'forge-section') {
    const lebs = wasmLebs(b);
    if (lebs.length > 0) return { kind, bytes: overwriteLeb(b, rnd.pick(lebs), rnd.pick(BIG)) };
  }
  const at = 8 + rnd.int(Math.max(1, b.length - 8));
  const l = readLeb(b, at);
  return { kind: 'forge-anywhere', bytes: l ? overwriteLeb(b, l, rnd.pick(BIG)) : b };
}

/** Replaces the LEB `l` with `value` (5 bytes: the rest of the module shifts if `l` was shorter). */
function overwriteLeb(b, l, value) {
  const enc = leb(value, 5);
  const out = new Uint8Array(b.length - l.len + enc.length);
  out.set(b.subarray(0, l.at));
  out.set(enc, l.at);
  out.set(b.subarray(l.at + l.len), l.at + enc.length);
  return out;
}

// ---------------------------------------------------------------- data files

function chunks(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  let at = 16;
  while (at + 16 <= bytes.length) {
    const length = dv.getUint32(at + 4, true);
    out.push({ at, length, type: String.fromCharCode(...bytes.subarray(at, at + 4)) });
    at += 16 + ((length + 7) & ~7);
  }
  return out;
}

async function resealer() {
  const { crc32 } = await dist('datafile/format.js');
  return (bytes, c) => {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const length = dv.getUint32(c.at + 4, true);
    const start = c.at + 16;
    if (start + length <= bytes.length) dv.setUint32(c.at + 8, crc32(bytes.subarray(start, start + length)), true);
    dv.setUint32(c.at + 12, crc32(bytes.subarray(c.at, c.at + 12)), true);
  };
}

/** One hostile variant of a data file. `forged` marks the cases whose lengths or counts lie (for the memory figures). */
export async function dataFileMutator() {
  const reseal = await resealer();
  return (input, rnd) => {
    const b = input.slice();
    const cs = chunks(b);
    const dv = new DataView(b.buffer);
    const kind = rnd.pick(['flip', 'truncate', 'flip-resealed', 'forge-length', 'forge-count', 'forge-field']);
    if (kind === 'flip') {
      b[rnd.int(b.length)] ^= 1 << rnd.int(8);
      return { kind, bytes: b };
    }
    if (kind === 'truncate') return { kind, bytes: b.subarray(0, rnd.int(b.length)) };
    const c = rnd.pick(cs);
    if (kind === 'flip-resealed') {
      const n = 1 + rnd.int(3);
      for (let i = 0; i < n; i++) b[c.at + 16 + rnd.int(Math.max(1, c.length))] ^= 1 << rnd.int(8);
      reseal(b, c);
      return { kind, bytes: b };
    }
    if (kind === 'forge-length') {
      dv.setUint32(c.at + 4, rnd.pick([0x7fff0000, 0x7ffffff0, c.length + 1 + rnd.int(1 << 20), rnd.int(c.length + 1)]) >>> 0, true);
      reseal(b, c);
      return { kind, bytes: b, forged: true };
    }
    const evts = cs.filter((x) => x.type === 'EVTS');
    const e = evts.length > 0 ? rnd.pick(evts) : c;
    if (kind === 'forge-count') {
      // N or S of an EVTS chunk, or a forged depth
      const which = rnd.int(3);
      const n = dv.getUint32(e.at + 16, true);
      if (which === 2 && n > 0) dv.setUint32(e.at + 16 + 16 + 24 * n + 4 * rnd.int(n), rnd.pick([0xffffffff, 1 << 21, 1 << 19]), true);
      else dv.setUint32(e.at + 16 + 4 * (which & 1), rnd.pick(BIG) >>> 0, true);
      reseal(b, e);
      return { kind, bytes: b, forged: true };
    }
    // forge-field: an event's type, ip, parent or instance column
    const n = dv.getUint32(e.at + 16, true);
    if (n > 0) {
      const i = rnd.int(n);
      const col = rnd.pick([['ip', 16 + 16 * n, 4], ['parent', 16 + 20 * n, 4], ['instance', 16 + 28 * n, 2], ['type', 16 + 30 * n, 1]]);
      const at = e.at + 16 + col[1] + col[2] * i;
      for (let k = 0; k < col[2]; k++) b[at + k] = rnd.int(256);
      reseal(b, e);
    }
    return { kind, bytes: b };
  };
}

// ---------------------------------------------------------------- checks

/** The verdict on one instrument case: 'ok', 'refused' (one InstrumentError line), or a `bad` string saying what went wrong. */
export async function instrumentChecker() {
  const { instrument, InstrumentError } = await dist('instrument/pass.js');
  return (bytes) => {
    let r;
    try {
      r = instrument(bytes);
    } catch (e) {
      if (!(e instanceof InstrumentError)) return { bad: `threw ${e?.constructor?.name ?? typeof e}: ${String(e?.message ?? e)}` };
      if (e.message.includes('\n') || e.message.includes('[object Object]')) return { bad: `message not one clean line: ${JSON.stringify(e.message)}` };
      return { outcome: 'refused', message: e.message };
    }
    if (WebAssembly.validate(bytes) && !WebAssembly.validate(r.binary)) return { bad: 'the engine accepts the input but not the output' };
    return { outcome: 'ok' };
  };
}

export const READERS = [['info'], ['report'], ['replay'], ['dump', '--raw'], ['dump', '--folded'], ['dump', '--chrome']];

/** The verdict on one data file case, for every reader (through the CLI's main, in process). */
export async function readerChecker(dir) {
  const { main } = await dist('cli/main.js');
  let n = 0;
  return async (bytes) => {
    const file = path.join(dir, `case-${n++ % 4}.data`);
    fs.writeFileSync(file, bytes);
    const outcomes = [];
    for (const argv of READERS) {
      let stderr = '';
      const out = path.join(dir, 'out.txt');
      fs.rmSync(out, { force: true });
      const code = await main([...argv, file, ...(argv[0] === 'dump' ? ['-o', out] : [])], { stdout: () => {}, stderr: (s) => (stderr += s) });
      const lines = stderr.split('\n').filter((l) => l.length > 0);
      const errors = lines.filter((l) => !l.startsWith('wasm-ftrace: warning: '));
      const what = argv.join(' ');
      if (code !== 0 && code !== 1) return { bad: `${what}: exit ${code}` };
      if (stderr.includes('internal error') || /\n\s+at /.test(stderr)) return { bad: `${what}: ${lines.find((l) => !l.startsWith('wasm-ftrace: warning')) ?? stderr}` };
      if (code === 1 && errors.length !== 1) return { bad: `${what}: exit 1 with ${errors.length} error lines: ${JSON.stringify(stderr)}` };
      if (code === 0 && errors.length !== 0) return { bad: `${what}: exit 0 with errors: ${JSON.stringify(stderr)}` };
      if (code === 1 && argv[0] === 'dump' && fs.existsSync(out)) return { bad: `${what}: failed but left ${out}` };
      const leftovers = fs.readdirSync(dir).filter((f) => f.startsWith('.out.txt'));
      if (leftovers.length > 0) return { bad: `${what}: left ${leftovers.join(', ')}` };
      outcomes.push(code === 0 ? 'ok' : 'refused');
    }
    return { outcome: outcomes.every((o) => o === 'ok') ? 'ok' : outcomes.every((o) => o === 'refused') ? 'refused' : 'mixed' };
  };
}

/** The inputs: every built wasm fixture, and a data file recorded from one. */
export function wasmFixtures() {
  const d = path.join(root, 'wasm-fixtures/build');
  return fs
    .readdirSync(d)
    .filter((f) => f.endsWith('.wasm'))
    .sort()
    .map((f) => ({ name: f, bytes: new Uint8Array(fs.readFileSync(path.join(d, f))) }));
}

/** Records hash.wasm (function_graph, a small ring so there are several EVTS chunks) into `dir`. */
export async function recordedDataFile(dir) {
  const { main } = await dist('cli/main.js');
  const file = path.join(dir, 'seed.data');
  const code = await main(['record', '-o', file, '--buffer-size', '2', '--clock', 'counter', path.join(root, 'wasm-fixtures/build/hash.wasm')], {
    stdout: () => {},
    stderr: () => {},
  });
  if (code !== 0) throw new Error('could not record the seed data file');
  return new Uint8Array(fs.readFileSync(file));
}
