/** The function tracer: one ENTRY event per traced function entry, with its caller. */
import { createOps } from '../ftrace/ops.js';
import { functionText } from '../output/ftrace-text.js';
import { EVENT_ENTRY } from '../ring/event.js';
import { functionSelftest, nopSelftest } from './selftests.js';
import type { Tracer } from './tracer.js';
import { functionReplay } from './replay.js';

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
      {
        name: 'function',
        recordable: true,
        replay: functionReplay(() => tr.tracingOn, ring, id, now),
      },
    );
    tr.registerFiltered(inst, ops);
  },
  detach(tr, inst) {
    tr.unregisterAll(inst);
  },
  selftest: functionSelftest,
};

/** The nop tracer: traces nothing (the baseline, and the way to stop a tracer without removing instances). */
export const nopTracer: Tracer = {
  name: 'nop',
  needsExitHooks: false,
  printText: functionText,
  nestsCalls: false,
  attach() {},
  detach() {},
  selftest: nopSelftest,
};
