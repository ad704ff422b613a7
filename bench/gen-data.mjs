#!/usr/bin/env node
// A synthetic data file of N events, for measuring the readers at sizes no
// fixture reaches (10^6 .. 10^8 events):
//
//   node bench/gen-data.mjs 1e8 /tmp/big.data [--function] [--instances 2]
//
// A function_graph trace (clock perf) of properly nested calls: 240 functions
// whose callees depend on the caller (so the call graph has structure), depth
// up to 14, a marker every ~100k events, every call closed by the end.
// --function writes entries only (the function tracer). Deterministic: the
// same N gives the same file. Needs `npm run build` (uses dist/).
import { closeSync, openSync, writeSync } from 'node:fs';
import {
  CHUNK_EVTS,
  encodeChunk,
  encodeEvents,
  encodeFooter,
  encodeHeader,
  encodeInstance,
  encodePreamble,
} from '../dist/datafile/index.js';

const args = process.argv.slice(2);
const positional = args.filter((a, i) => !a.startsWith('--') && !(args[i - 1] ?? '').startsWith('--instances'));
const total = Number(positional[0] ?? 1e6);
const file = positional[1] ?? 'big.data';
const functionOnly = args.includes('--function');
const instancesArg = args.indexOf('--instances');
const instanceCount = instancesArg >= 0 ? Number(args[instancesArg + 1]) : 1;
if (!Number.isInteger(total) || total < 0) throw new Error(`not a number of events: ${positional[0]}`);
void CHUNK_EVTS;

const FUNCS = 240;
const MAX_DEPTH = 14;
const CHUNK = 1 << 16;
const WORDS = ['parse', 'read', 'write', 'hash', 'alloc', 'free', 'emit', 'scan', 'sort', 'merge', 'copy', 'find'];
const NOUNS = ['token', 'node', 'block', 'table', 'buffer', 'string', 'value', 'entry', 'page', 'row'];
const names = ['env.clock', 'env.log', 'main', '_start'];
for (let i = names.length; i < FUNCS; i++) names.push(`${WORDS[i % WORDS.length]}_${NOUNS[Math.floor(i / WORDS.length) % NOUNS.length]}_${i}`);

// xorshift32: fast and deterministic
let seed = 0x2545f491;
const rand = () => {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed;
};

const fd = openSync(file, 'w');
const write = (bytes) => writeSync(fd, bytes);
write(encodePreamble());
write(
  encodeHeader({
    tracer: functionOnly ? 'function' : 'function_graph',
    clock: 'perf',
    created: '2026-01-01T00:00:00.000Z',
    version: 'gen-data',
    command: ['bench/gen-data.mjs', String(total)],
  }),
);
for (let k = 0; k < instanceCount; k++) {
  write(encodeInstance({ id: k, name: `synthetic${k}.wasm`, functionCount: FUNCS, importCount: 2, names }));
}

const cols = {
  count: 0,
  firstSeq: 0,
  type: new Uint8Array(CHUNK),
  instance: new Uint16Array(CHUNK),
  ip: new Uint32Array(CHUNK),
  parent: new Uint32Array(CHUNK),
  depth: new Uint32Array(CHUNK),
  ts: new Float64Array(CHUNK),
  duration: new Float64Array(CHUNK),
  markers: new Map(),
};
const scratch = new Uint8Array(16 + 31 * CHUNK + 4096);
let seq = 0;
let lastTs = 0;
const flush = () => {
  if (cols.count === 0) return;
  cols.firstSeq = seq;
  write(encodeEvents(cols, scratch));
  seq += cols.count;
  cols.count = 0;
  cols.markers = new Map();
};
const push = (type, instance, ip, parent, depth, ts, duration) => {
  const i = cols.count++;
  cols.type[i] = type;
  cols.instance[i] = instance;
  cols.ip[i] = ip;
  cols.parent[i] = parent;
  cols.depth[i] = depth;
  cols.ts[i] = ts;
  cols.duration[i] = duration;
  lastTs = ts;
  if (cols.count === CHUNK) flush();
};

// per instance: a stack of (ip, entry ts)
const stackIp = [];
const stackTs = [];
for (let k = 0; k < instanceCount; k++) {
  stackIp.push(new Uint32Array(MAX_DEPTH + 1));
  stackTs.push(new Float64Array(MAX_DEPTH + 1));
}
const depthOf = new Array(instanceCount).fill(0);
let ts = 1000;

const HOST = 0xffffffff;
let written = 0;
let inst = 0;
while (written < total) {
  ts += 0.05 + (rand() % 1000) / 1000;
  if ((rand() & 0xffff) < 2) inst = rand() % instanceCount; // switch instances now and then
  const d = depthOf[inst];
  const left = total - written;
  if (written > 0 && written % 100_000 === 0) {
    const i = cols.count;
    push(3, inst, 0, 0, 0, ts, 0);
    cols.markers.set(i, `marker ${written}\n`);
    written++;
    continue;
  }
  if (functionOnly) {
    const parent = d === 0 ? 3 : stackIp[inst][d - 1];
    const ip = 4 + ((parent * 7 + (rand() % 5)) % (FUNCS - 4));
    push(1, inst, ip, d === 0 ? HOST : parent, 0, ts, 0);
    written++;
    if (rand() % 3 === 0 && d < MAX_DEPTH) {
      stackIp[inst][d] = ip;
      depthOf[inst] = d + 1;
    } else if (d > 0 && rand() % 2 === 0) depthOf[inst] = d - 1;
    continue;
  }
  // enter while there is room to close everything afterwards, else leave
  const canEnter = d < MAX_DEPTH && left >= d + 2 + 1;
  if (d === 0 || (canEnter && rand() % 100 < 52 - d * 2)) {
    if (!canEnter) break;
    const parent = d === 0 ? HOST : stackIp[inst][d - 1];
    const ip = d === 0 ? 2 : 4 + ((parent * 7 + (rand() % 5)) % (FUNCS - 4));
    push(1, inst, ip, parent, d, ts, 0);
    stackIp[inst][d] = ip;
    stackTs[inst][d] = ts;
    depthOf[inst] = d + 1;
  } else {
    const ip = stackIp[inst][d - 1];
    push(2, inst, ip, 0, d - 1, ts, ts - stackTs[inst][d - 1]);
    depthOf[inst] = d - 1;
  }
  written++;
  lastTs = ts;
}
// close what is open (the loop leaves room for it, one instance at a time)
for (let k = 0; k < instanceCount && written < total; k++) {
  while (depthOf[k] > 0 && written < total) {
    ts += 0.1;
    const d = depthOf[k] - 1;
    push(2, k, stackIp[k][d], 0, d, ts, ts - stackTs[k][d]);
    depthOf[k] = d;
    written++;
    lastTs = ts;
  }
}
flush();
write(
  encodeFooter({ events: seq, written: seq, lost: 0, overrun: 0, dropped: 0, ended: '2026-01-01T00:00:01.000Z', lastTs }),
);
closeSync(fd);
process.stderr.write(`gen-data: ${seq} events to ${file}\n`);
