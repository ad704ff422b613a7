/**
 * The example pages' calls (examples/browser/calls.js) traced in Node the
 * library's way, and what must agree between two traces of the same calls.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { instrument } from '../../src/instrument/pass.js';
import { TraceArray } from '../../src/tracers/trace-array.js';
import { EVENT_ENTRY, EVENT_EXIT, type TraceData, type TraceEvent } from '../../src/ring/event.js';
// plain JS, shared with the example pages
import { CALLS, FIXTURE } from '../../examples/browser/calls.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const calls = CALLS as [string, number[]][];
export const fixturePath = path.join(root, FIXTURE as string);

/** Everything but time. */
export function shape(events: readonly TraceEvent[]): string[] {
  return events.map((e) =>
    e.type === EVENT_ENTRY ? `entry ${e.instance} ${e.ip} <- ${e.parent} depth ${e.depth}` : e.type === EVENT_EXIT ? `exit ${e.instance} ${e.ip} depth ${e.depth}` : `type ${e.type} ${e.ip}`,
  );
}

/** The example's calls, traced in Node (with function_graph unless told). */
export async function traceInNode(tracer: 'function' | 'function_graph' = 'function_graph'): Promise<TraceData> {
  const { binary } = instrument(readFileSync(fixturePath), { exitHooks: tracer === 'function_graph' });
  const tr = new TraceArray({ tracer });
  const { instance } = await tr.instantiate(new WebAssembly.Module(binary), {}, 'recursion.wasm');
  for (const [name, args] of calls) (instance.exports[name] as (...a: number[]) => number)(...args);
  return tr.read();
}
