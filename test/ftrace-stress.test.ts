/**
 * Randomized interleavings of register, unregister, filter changes, the
 * ftrace_enabled switch and wasm calls, from outside and from inside
 * callbacks (nested dispatch), against a model of what ftrace promises:
 *   - no ops is called after its unregister returned;
 *   - each dispatch calls exactly the ops whose hashes allow the ip (and that
 *     are not already running);
 *   - a function no ops wants never reaches the hook, and one that some ops
 *     wants always does (the guards are exact);
 *   - the direct/list choice always follows update_ftrace_function()'s rule.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createOps, Ftrace, FtraceError, FTRACE_OPS_FL_ENABLED, type FtraceOps } from '../src/ftrace/index.js';
import { coreModule, IP } from './helpers/core-fixture.js';

const TRACED = [IP.main, IP.fib, IP.leaf, IP.helper_a, IP.helper_b, IP.callback];
/** filter text -> the ips the model expects it to select (hand-resolved) */
const FILTERS: [string, number[]][] = [
  ['', []],
  ['fib', [IP.fib]],
  ['leaf', [IP.leaf]],
  ['helper_*', [IP.helper_a, IP.helper_b]],
  ['main fib', [IP.main, IP.fib]],
  ['*', TRACED],
  ['*l*', [IP.leaf, IP.helper_a, IP.helper_b, IP.callback]],
];
const CALLS: [string, number[]][] = [
  ['main', [3]],
  ['fib', [4]],
  ['leaf', []],
  ['helper_a', []],
  ['helper_b', []],
];
const NOPS = 4;
const isDynamic = (i: number) => i >= 2;

type Action =
  | { kind: 'register' | 'unregister'; op: number }
  | { kind: 'filter' | 'notrace'; op: number; text: number }
  | { kind: 'call'; fn: number }
  | { kind: 'toggle' };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constantFrom('register' as const, 'unregister' as const), op: fc.nat(NOPS - 1) }),
  fc.record({ kind: fc.constantFrom('filter' as const, 'notrace' as const), op: fc.nat(NOPS - 1), text: fc.nat(FILTERS.length - 1) }),
  fc.record({ kind: fc.constant('call' as const), fn: fc.nat(CALLS.length - 1) }),
  fc.constant({ kind: 'toggle' as const }),
);

interface Frame {
  ip: number;
  expected: Set<number>;
  actual: Set<number>;
  dirty: Set<number>;
}

function runScenario(actions: Action[], scripts: Action[][]): void {
  const ft = new Ftrace(coreModule.metadata);
  const model = {
    registered: new Array<boolean>(NOPS).fill(false),
    filter: new Array<Set<number>>(NOPS).fill(new Set()),
    notrace: new Array<Set<number>>(NOPS).fill(new Set()),
    busy: new Array<number>(NOPS).fill(0),
    invocations: new Array<number>(NOPS).fill(0),
    enabled: true,
  };
  const wants = (i: number, ip: number) =>
    model.registered[i]! && (model.filter[i]!.size === 0 || model.filter[i]!.has(ip)) && !model.notrace[i]!.has(ip);
  const frames: Frame[] = [];
  /** the dispatch that just ended, consumed by the body's env.enter that follows it */
  let justDispatched: { ip: number; wanted: boolean; changed: boolean } | null = null;
  const markDirty = (i: number | 'all') => {
    for (const f of frames) {
      if (i === 'all') for (let k = 0; k < NOPS; k++) f.dirty.add(k);
      else f.dirty.add(i);
    }
  };

  const ops: FtraceOps[] = [];
  for (let i = 0; i < NOPS; i++) {
    const op = createOps(
      () => {
        // never called after unregister returned
        expect(model.registered[i], `ops ${i} called while unregistered`).toBe(true);
        expect(op.flags & FTRACE_OPS_FL_ENABLED).toBeTruthy();
        frames[frames.length - 1]!.actual.add(i);
        const n = model.invocations[i]!++;
        const action = scripts[i]?.[n];
        model.busy[i]!++;
        try {
          if (action) perform(action);
        } finally {
          model.busy[i]!--;
        }
      },
      { name: `ops${i}`, dynamic: isDynamic(i) },
    );
    ops.push(op);
  }

  const instance = new WebAssembly.Instance(coreModule.module, {
    env: {
      enter: (ip: number) => {
        const wanted = model.enabled && [...Array(NOPS).keys()].some((i) => wants(i, ip));
        if (justDispatched?.ip === ip) {
          // judged by the state when the prologue ran, unless a callback changed it since
          if (!justDispatched.changed) expect(justDispatched.wanted, `ip ${ip} reached the hook though no ops wants it`).toBe(true);
        } else {
          expect(wanted, `ip ${ip} is wanted but never reached the hook`).toBe(false);
        }
        justDispatched = null;
      },
      host: () => {},
    },
    ftrace: {
      ...ft.imports,
      mcount: (ip: number, parent: number) => {
        const expected = new Set<number>();
        for (let i = 0; i < NOPS; i++) if (model.enabled && wants(i, ip) && model.busy[i] === 0) expected.add(i);
        const wantedAtStart = model.enabled && [...Array(NOPS).keys()].some((i) => wants(i, ip));
        const frame: Frame = { ip, expected, actual: new Set(), dirty: new Set() };
        frames.push(frame);
        try {
          ft.mcount(ip, parent);
        } finally {
          frames.pop();
        }
        for (let i = 0; i < NOPS; i++) {
          if (frame.dirty.has(i)) continue; // changed during this dispatch: either answer is right
          expect(frame.actual.has(i), `ops ${i} for ip ${ip}`).toBe(frame.expected.has(i));
        }
        justDispatched = { ip, wanted: wantedAtStart, changed: frame.dirty.size > 0 };
      },
    },
  });
  ft.attach(instance);
  const exports = instance.exports as unknown as Record<string, (...a: number[]) => number>;

  const checkMode = () => {
    const live = [...Array(NOPS).keys()].filter((i) => model.registered[i]);
    const rule = !model.enabled || live.length === 0 ? 'none' : live.length === 1 && !isDynamic(live[0]!) ? 'direct' : 'list';
    expect(ft.mode).toBe(rule);
  };

  function perform(a: Action): void {
    switch (a.kind) {
      case 'register':
        if (model.registered[a.op]) {
          expect(() => ft.register(ops[a.op]!)).toThrow(FtraceError);
        } else {
          markDirty(a.op);
          ft.register(ops[a.op]!);
          model.registered[a.op] = true;
        }
        break;
      case 'unregister':
        if (!model.registered[a.op]) {
          expect(() => ft.unregister(ops[a.op]!)).toThrow(FtraceError);
        } else {
          markDirty(a.op);
          ft.unregister(ops[a.op]!);
          model.registered[a.op] = false; // from here on it must never be called
        }
        break;
      case 'filter':
      case 'notrace': {
        const [text, ips] = FILTERS[a.text]!;
        markDirty(a.op);
        if (a.kind === 'filter') {
          ft.setFilter(ops[a.op]!, text);
          model.filter[a.op] = new Set(ips);
        } else {
          ft.setNotrace(ops[a.op]!, text);
          model.notrace[a.op] = new Set(text === '' ? [] : ips);
        }
        break;
      }
      case 'toggle':
        markDirty('all');
        model.enabled = !model.enabled;
        ft.ftraceEnabled = model.enabled;
        break;
      case 'call': {
        const [name, args] = CALLS[a.fn]!;
        exports[name]!(...args);
        break;
      }
    }
    checkMode();
  }

  for (const a of actions) perform(a);
  expect(ft.rcu.depth).toBe(0);
}

describe('ftrace core under random interleavings', () => {
  it('keeps every promise across 400 random scenarios', () => {
    fc.assert(
      fc.property(
        fc.array(actionArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.array(actionArb, { maxLength: 3 }), { minLength: NOPS, maxLength: NOPS }),
        (actions, scripts) => runScenario(actions, scripts),
      ),
      { numRuns: 400, seed: 20261126 },
    );
  });

  it('is not vacuous: scenarios reach nested dispatch and in-callback unregister', () => {
    // One hand-picked scenario exercising the paths the random ones are meant to hit.
    const actions: Action[] = [
      { kind: 'register', op: 0 },
      { kind: 'register', op: 2 },
      { kind: 'call', fn: 0 },
    ];
    const scripts: Action[][] = [[{ kind: 'call', fn: 2 }], [], [{ kind: 'unregister', op: 2 }], []];
    expect(() => runScenario(actions, scripts)).not.toThrow();
  });
});
