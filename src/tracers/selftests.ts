/**
 * The tracers' selftests (struct tracer's .selftest): each tracer's
 * `selftest` is its function here, in a module of its own so that the small
 * browser runtime (wasm-ftrace/runtime) can leave them out: its build gives
 * the tracers src/runtime/no-selftests.ts instead (scripts/build-browser.mjs).
 * The test suite runs every registered tracer's (test/tracer-selftest.test.ts).
 */
import type { ProfileRow } from '../output/profile.js';
import { EVENT_ENTRY, EVENT_EXIT } from '../ring/event.js';
import { selftestFailure, type SelftestTarget, type TracerHost } from './tracer.js';

/** function: one ENTRY per call entered, in order, each with its caller, and nothing else. */
export function functionSelftest({ tr, run, entered }: SelftestTarget): void {
  run();
  const events = tr.read().events;
  const got = events.filter((e) => e.type === EVENT_ENTRY).map((e) => e.ip);
  if (got.join() !== entered.join()) throw selftestFailure('function', `recorded entries [${got.join(', ')}], expected [${entered.join(', ')}]`);
  if (events.length !== got.length) throw selftestFailure('function', `wrote ${events.length - got.length} events other than entries`);
  const parent = events[1]?.parent;
  if (entered.length > 1 && parent !== entered[0]) throw selftestFailure('function', `the second entry's parent is ${parent}, expected ${entered[0]}`);
}

/** nop: no event, and no ops left registered. */
export function nopSelftest({ tr, run }: SelftestTarget): void {
  run();
  const n = tr.read().events.length;
  if (n !== 0) throw selftestFailure('nop', `wrote ${n} events`);
  if (tr.instances.some((i) => i.ft.mode !== 'none')) throw selftestFailure('nop', 'left an ops registered');
}

/** function_graph: entries and exits that nest, at the right depths, with durations. */
export function functionGraphSelftest({ tr, run, entered }: SelftestTarget): void {
  const fail = (what: string) => selftestFailure('function_graph', what);
  run();
  // Every entry is matched by the exit at its depth, in stack order.
  const open: { ip: number; ts: number }[] = [];
  const got: number[] = [];
  for (const e of tr.read().events) {
    if (e.type === EVENT_ENTRY) {
      if (e.depth !== open.length) throw fail(`entry of ${e.ip} at depth ${e.depth}, expected ${open.length}`);
      open.push({ ip: e.ip, ts: e.ts });
      got.push(e.ip);
    } else if (e.type === EVENT_EXIT) {
      const top = open.pop();
      if (top === undefined || top.ip !== e.ip || e.depth !== open.length) throw fail(`exit of ${e.ip} at depth ${e.depth} does not close the innermost call`);
      if (!(e.duration >= 0)) throw fail(`exit of ${e.ip} has duration ${e.duration}`);
    }
  }
  if (open.length > 0) throw fail(`${open.length} calls never exited`);
  if (got.join() !== entered.join()) throw fail(`recorded entries [${got.join(', ')}], expected [${entered.join(', ')}]`);
}

/** profiler: no event; a row per function entered, with its hits; total >= self >= 0. `rows`: the profiler's trace_stat. */
export function profilerSelftest({ tr, run, entered }: SelftestTarget, rows: (tr: TracerHost) => ProfileRow[]): void {
  run();
  const fail = (what: string) => selftestFailure('profiler', what);
  const n = tr.read().events.length;
  if (n !== 0) throw fail(`wrote ${n} events`);
  const expected = new Map<number, number>();
  for (const ip of entered) expected.set(ip, (expected.get(ip) ?? 0) + 1);
  const got = rows(tr);
  for (const [ip, hits] of expected) {
    const row = got.find((r) => r.ip === ip);
    if (!row || row.hits !== hits) throw fail(`function ${ip}: ${row?.hits ?? 0} hits, expected ${hits}`);
    if (!(row.total >= row.self && row.self >= 0)) throw fail(`function ${ip}: total ${row.total} < self ${row.self}`);
  }
  if (got.length !== expected.size) throw fail(`${got.length} rows, expected ${expected.size}`);
}
