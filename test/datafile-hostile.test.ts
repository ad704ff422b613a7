/**
 * Data files that fight back: forged lengths, counts, depths and types that
 * get past the checksums (re-sealed). Every reader gives one line and exit
 * 1, and allocates in proportion to the bytes present, never to what a
 * header claims.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { CHUNK_HEAD, CHUNK_HEADER_BYTES, DataFileDecoder, EVTS_FIXED_BYTES, decodeDataFile, encodeChunk, encodePreamble } from '../src/datafile/index.js';
import { readDataFile } from '../src/datafile/node-reader.js';
import { chunkSpans, reseal } from './helpers/datafile-surgery.js';

let dir = '';
let good = new Uint8Array(0);
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-hostile-'));
  const file = path.join(dir, 'good.data');
  const r = await cli('record', '-o', file, '--buffer-size', '1', 'wasm-fixtures/build/hash.wasm');
  expect(r.code).toBe(0);
  good = new Uint8Array(fs.readFileSync(file));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));


const write = (name: string, bytes: Uint8Array): string => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, bytes);
  return f;
};

/** Every reader on `file`: one line, exit 1, no internal error. */
async function everyReaderRefuses(file: string, message: RegExp): Promise<void> {
  for (const argv of [['info'], ['report'], ['replay'], ['dump', '--raw'], ['dump', '--chrome'], ['dump', '--folded']]) {
    const r = await cli(...argv, file);
    expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter((l) => l.length > 0)).toHaveLength(1);
    expect(r.stderr).not.toContain('internal error');
    expect(r.stderr).toMatch(message);
  }
}

describe('hostile data files', () => {
  it('a forged chunk length costs the bytes present, not the 2 GiB the header claims', () => {
    const bad = good.slice();
    const evts = chunkSpans(bad).find((c) => c.type === 'EVTS')!;
    new DataView(bad.buffer).setUint32(evts.offset + 4, 0x7fff_0000, true);
    reseal(bad, evts.offset);
    const before = process.memoryUsage().arrayBuffers;
    for (const dec of [new DataFileDecoder(), new DataFileDecoder({ reuse: true }), new DataFileDecoder({ copy: false })]) {
      for (let at = 0; at < bad.length; at += 100) dec.push(bad.subarray(at, Math.min(bad.length, at + 100)));
      // the decoder still holds its buffers here: they are what the file holds, not what it claims
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
      const s = dec.finish();
      expect(s.warnings[0]).toMatch(new RegExp(`^torn last chunk at byte ${evts.offset} ignored: EVTS, \\d+ of ${0x7fff_0000} payload bytes$`));
    }
    const whole = readDataFile(write('forged-length.data', bad));
    expect(whole.complete).toBe(false);
  });

  it('a forged depth is refused in one line, not "Invalid string length"', async () => {
    const bad = good.slice();
    const evts = chunkSpans(bad).find((c) => c.type === 'EVTS')!;
    const dv = new DataView(bad.buffer);
    const n = dv.getUint32(evts.offset + CHUNK_HEADER_BYTES, true);
    const depthColumn = evts.offset + CHUNK_HEADER_BYTES + EVTS_FIXED_BYTES + 24 * n;
    dv.setUint32(depthColumn + 4 * 2, 0xffff_fff0, true);
    reseal(bad, evts.offset);
    expect(() => decodeDataFile(bad)).toThrow(`malformed EVTS chunk at byte ${evts.offset}: event 2 has depth 4294967280, more than 1048576`);
    await everyReaderRefuses(write('forged-depth.data', bad), /malformed EVTS chunk at byte \d+: event 2 has depth/);
  });

  it('an event of an unknown type is refused', async () => {
    const bad = good.slice();
    const evts = chunkSpans(bad).find((c) => c.type === 'EVTS')!;
    const n = new DataView(bad.buffer).getUint32(evts.offset + CHUNK_HEADER_BYTES, true);
    bad[evts.offset + CHUNK_HEADER_BYTES + EVTS_FIXED_BYTES + 30 * n + 1] = 9;
    reseal(bad, evts.offset);
    await everyReaderRefuses(write('bad-type.data', bad), /malformed EVTS chunk at byte \d+: event 1 has unknown type 9/);
  });

  it('a HEAD, INST or FOOT member of the wrong type is refused, naming it', async () => {
    const head = (h: Record<string, unknown>) => {
      const rest = good.subarray(chunkSpans(good)[1]!.offset);
      const out = new Uint8Array([...encodePreamble(), ...encodeChunk(CHUNK_HEAD, new TextEncoder().encode(JSON.stringify(h))), ...rest]);
      return out;
    };
    const base = { tracer: 'function_graph', clock: 'perf', created: 'x', version: '0.1.0' };
    await everyReaderRefuses(write('head-command.data', head({ ...base, command: 7 })), /malformed HEAD chunk at byte 16: 'command' is not a list of strings$/m);
    await everyReaderRefuses(write('head-options.data', head({ ...base, options: 'x' })), /'options' is not an object/);
    await everyReaderRefuses(write('head-buffer.data', head({ ...base, buffer: { sizeKb: 'big' } })), /'buffer' is not/);
    const json = (type: string, change: (o: Record<string, unknown>) => void, name: string) => {
      const bytes = good.slice();
      const c = chunkSpans(bytes).find((s) => s.type === type)!;
      const start = c.offset + CHUNK_HEADER_BYTES;
      const o = JSON.parse(new TextDecoder().decode(bytes.subarray(start, start + c.length))) as Record<string, unknown>;
      change(o);
      const payload = new TextEncoder().encode(JSON.stringify(o));
      const chunk = encodeChunk(new DataView(bytes.buffer).getUint32(c.offset, true), payload);
      const end = start + ((c.length + 7) & ~7);
      return write(name, new Uint8Array([...bytes.subarray(0, c.offset), ...chunk, ...bytes.subarray(end)]));
    };
    await everyReaderRefuses(json('INST', (o) => (o['functionCount'] = -3), 'inst-count.data'), /malformed INST chunk at byte \d+: bad functionCount/);
    await everyReaderRefuses(json('FOOT', (o) => (o['stats'] = { unwoundFrames: 'many' }), 'foot-stats.data'), /malformed FOOT chunk at byte \d+: 'stats' is not/);
    await everyReaderRefuses(json('FOOT', (o) => (o['lost'] = -1), 'foot-lost.data'), /malformed FOOT chunk at byte \d+: no 'lost' count/);
  });
});
