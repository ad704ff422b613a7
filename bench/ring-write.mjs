#!/usr/bin/env node
/**
 * Cost of one RingBuffer.write, the tracers' hot path, in ns: a tight loop
 * into a default-size (1408 KiB) buffer, overwrite and stop mode, median of
 * several rounds. Build first (npx tsc -p .). Nothing here asserts a time.
 * Both wall time and this process's CPU time are shown: on a busy machine
 * the wall time also counts the time the process waited for a CPU.
 *
 *   node bench/ring-write.mjs [--n EVENTS] [--rounds N]
 */
import { RingBuffer, EVENT_ENTRY } from '../dist/ring/index.js';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const N = opt('--n', 20_000_000);
const ROUNDS = opt('--rounds', 7);

/** ns per iteration of body(n): [wall, cpu] */
function time(body, n) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  body(n);
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return [(wall * 1e6) / n, ((c.user + c.system) * 1e3) / n];
}

function writes(ring) {
  return (n) => {
    for (let i = 0; i < n; i++) ring.write(EVENT_ENTRY, i & 3, i, i - 1, i & 15, i, 0);
  };
}

// The same loop with no ring: what the loop and its arguments cost.
const sink = new Float64Array(1);
function empty(n) {
  for (let i = 0; i < n; i++) sink[0] = (i & 3) + (i & 15) + i;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rows = [];
function measure(label, body) {
  body(1_000_000); // warm up, let V8 optimise
  const wall = [];
  const cpu = [];
  for (let r = 0; r < ROUNDS; r++) {
    const [w, c] = time(body, N);
    wall.push(w);
    cpu.push(c);
  }
  rows.push({ loop: label, 'ns/write (wall)': median(wall).toFixed(2), 'ns/write (cpu)': median(cpu).toFixed(2), 'M writes/s (cpu)': (1e3 / median(cpu)).toFixed(0) });
}
const full = new RingBuffer();
measure('write, overwrite mode (full, wrapping)', writes(full));
const stop = new RingBuffer({ mode: 'stop' });
measure('write, stop mode (full: dropped)', writes(stop));
measure('empty loop', empty);
console.log(`RingBuffer: ${full.capacity} records of ${full.bytesPerRecord} bytes (${full.sizeKb} KiB); ${N} writes a round, median of ${ROUNDS}`);
console.table(rows);
