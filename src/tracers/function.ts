/** The function tracer: one ENTRY event per traced function entry, with its caller. */
import { createOps } from '../ftrace/ops.js';
import { functionText } from '../output/ftrace-text.js';
import { EVENT_ENTRY } from '../ring/event.js';
import { selftestFailure, type Tracer } from './tracer.js';

export const functionTracer: Tracer = {
  name: 'function',
  needsExitHooks: false,
  printText: functionText,
  nestsCalls: false,
  attach(tr, inst) {
    const ring = tr.ring;
    const id = inst.id;
    const now = tr.now;
    const ops = createOps(
      (ip, parentIp) => {
        if (tr.tracingOn) ring.write(EVENT_ENTRY, id, ip, parentIp, 0, now(), 0);
      },
      { name: 'function' },
    );
    tr.registerFiltered(inst, ops);
  },
  detach(tr, inst) {
    tr.unregisterAll(inst);
  },
  selftest({ tr, run, entered }) {
    run();
    const events = tr.read().events;
    const got = events.filter((e) => e.type === EVENT_ENTRY).map((e) => e.ip);
    if (got.join() !== entered.join()) throw selftestFailure('function', `recorded entries [${got.join(', ')}], expected [${entered.join(', ')}]`);
    if (events.length !== got.length) throw selftestFailure('function', `wrote ${events.length - got.length} events other than entries`);
    const parent = events[1]?.parent;
    if (entered.length > 1 && parent !== entered[0]) throw selftestFailure('function', `the second entry's parent is ${parent}, expected ${entered[0]}`);
  },
};

/** The nop tracer: traces nothing (the baseline, and the way to stop a tracer without removing instances). */
export const nopTracer: Tracer = {
  name: 'nop',
  needsExitHooks: false,
  printText: functionText,
  nestsCalls: false,
  attach() {},
  detach() {},
  selftest({ tr, run }) {
    run();
    const n = tr.read().events.length;
    if (n !== 0) throw selftestFailure('nop', `wrote ${n} events`);
    if (tr.instances.some((i) => i.ft.mode !== 'none')) throw selftestFailure('nop', 'left an ops registered');
  },
};
