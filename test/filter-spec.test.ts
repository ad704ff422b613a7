/**
 * Filters parsed once (FilterSpec) and resolved by each module's core with
 * ftrace's set semantics; the command registry; filters that match nothing.
 */
import { describe, expect, it } from 'vitest';
import { FilterError, FilterSpec, resolveFilter, type FilterUniverse } from '../src/abi/index.js';
import { instrument } from '../src/index.js';
import { EVENT_ENTRY } from '../src/ring/event.js';
import { FTRACE_COMMANDS, registerFtraceCommand } from '../src/tracers/commands.js';
import { TraceArray } from '../src/tracers/trace-array.js';
import { wat } from './helpers/wat.js';

const moduleWith = (...fns: string[]) =>
  new WebAssembly.Module(
    instrument(wat(`(module ${fns.map((f) => `(func $${f} (export "${f}"))`).join(' ')})`)).binary as Uint8Array<ArrayBuffer>,
  );
const A = moduleWith('fa', 'ga');
const B = moduleWith('fb', 'gb');

/** Two modules traced by one trace array; `configure` runs before (or after) they are added. */
async function twoModules(configure: (tr: TraceArray) => void, when: 'before' | 'after') {
  const tr = new TraceArray({ tracer: 'function', clock: 'counter' });
  if (when === 'before') configure(tr);
  const a = await tr.instantiate(A, {}, 'A');
  const b = await tr.instantiate(B, {}, 'B');
  if (when === 'after') configure(tr);
  const call = (x: WebAssembly.Instance, ...names: string[]) => names.forEach((n) => (x.exports[n] as () => void)());
  call(a.instance, 'fa', 'ga');
  call(b.instance, 'fb', 'gb');
  const entries = tr
    .read()
    .events.filter((e) => e.type === EVENT_ENTRY)
    .map((e) => `${tr.instances[e.instance]!.name}:${tr.instances[e.instance]!.names[e.ip]}`);
  return { tr, entries };
}

describe('filters over several modules: set semantics', () => {
  for (const when of ['before', 'after'] as const) {
    it(`'fa !fb' traces fa only, with fa and fb in different modules (set ${when} they load)`, async () => {
      const { entries } = await twoModules((tr) => tr.setFilter('fa !fb'), when);
      expect(entries).toEqual(['A:fa']);
    });
  }

  it("'f* !fb': B's only match is removed, so B traces nothing", async () => {
    const { entries } = await twoModules((tr) => tr.setFilter('f* !fb'), 'after');
    expect(entries).toEqual(['A:fa']);
  });

  it('a negation alone removes from an empty filter: everything is traced, as in the kernel', async () => {
    const { entries } = await twoModules((tr) => tr.setFilter('!fb'), 'after');
    expect(entries).toEqual(['A:fa', 'A:ga', 'B:fb', 'B:gb']);
  });

  it('notrace and :mod: resolve per module', async () => {
    const { entries } = await twoModules((tr) => {
      tr.setFilter('*:mod:B ga');
      tr.setNotrace('gb');
    }, 'before');
    expect(entries).toEqual(['A:ga', 'B:fb']);
  });

  it('set_graph_function over two modules keeps each module its own functions', async () => {
    const tr = new TraceArray({ tracer: 'function', clock: 'counter' });
    tr.setGraphFunction('fa fb');
    await tr.instantiate(A, {}, 'A');
    await tr.instantiate(B, {}, 'B');
    expect(tr.instances.map((i) => [...(i.graphFunctions ?? [])].map((ip) => i.names[ip]))).toEqual([['fa'], ['fb']]);
  });
});

describe('a filter that matches nothing', () => {
  it('is an error when the modules are there', async () => {
    const tr = new TraceArray({ tracer: 'function' });
    await tr.instantiate(A, {}, 'A');
    expect(() => tr.setFilter('fa mian')).toThrow(new FilterError("'mian' matches no function"));
    expect(() => tr.setNotrace('mian')).toThrow(FilterError);
    expect(() => tr.setFilter('mian:traceoff')).toThrow(FilterError);
    expect(tr.filters.filter).toBe('');
  });

  it('set before any module: a warning at the first module, then unmatchedFilters() for the end', async () => {
    const tr = new TraceArray({ tracer: 'function' });
    const warnings: string[] = [];
    tr.onWarning((w) => warnings.push(w));
    tr.setFilter('fb mian');
    expect(warnings).toEqual([]);
    await tr.instantiate(A, {}, 'A');
    expect(warnings).toEqual([
      "filter 'fb' matches no function in A; it is an error unless a module loaded later has one",
      "filter 'mian' matches no function in A; it is an error unless a module loaded later has one",
    ]);
    await tr.instantiate(B, {}, 'B');
    expect(warnings).toHaveLength(2); // only at the first module
    expect(tr.unmatchedFilters()).toEqual([{ option: 'filter', text: 'mian' }]);
  });
});

describe('FilterSpec', () => {
  const universe = (names: string[], moduleName = 'm'): FilterUniverse => ({
    available: names.map((_, i) => i),
    nameOf: (ip) => names[ip]!,
    moduleName,
  });

  it('matches a name the tool prints literally first, then as a glob', () => {
    const u = universe(['func[47]', 'func4', 'func7', 'main']);
    expect([...resolveFilter(FilterSpec.parse('func[47]'), u).ips]).toEqual([0]);
    expect([...resolveFilter(FilterSpec.parse('func[47]'), universe(['func4', 'func7'])).ips]).toEqual([0, 1]);
  });

  it('reads line numbers, negations, :mod: and commands', () => {
    const spec = FilterSpec.parse(['2 !main', 'x*:mod:app,f*:traceoff:3'], ['traceoff']);
    expect(spec.exprs.map((e) => [e.text, e.negate, e.line, e.module?.source ?? null, e.command])).toEqual([
      ['2', false, 2, null, null],
      ['!main', true, null, null, null],
      ['x*:mod:app', false, null, 'app', null],
      ['f*:traceoff:3', false, null, null, { name: 'traceoff', param: '3' }],
    ]);
    const r = resolveFilter(spec, universe(['main', 'xa', 'xb'], 'app'));
    expect([...r.ips].sort()).toEqual([1, 2]);
    expect(resolveFilter(spec, universe(['main', 'xa', 'xb'], 'lib')).ips).toEqual(new Set([1]));
  });

  it('refuses unknown commands, naming the ones it takes', () => {
    expect(() => FilterSpec.parse('f:tracoff', ['traceon', 'traceoff'])).toThrow(
      "'f:tracoff': unknown filter command 'tracoff' (this filter accepts glob, !glob, N, glob:mod:NAME and the commands traceon, traceoff)",
    );
    expect(() => FilterSpec.parse('f:mod:')).toThrow(FilterError);
  });
});

describe('register_ftrace_command', () => {
  it('adds a command that filters carry as triggers; !func:cmd removes it', async () => {
    let fired = 0;
    if (!FTRACE_COMMANDS.has('count_test')) registerFtraceCommand({ name: 'count_test', fire: () => void fired++ });
    expect(() => registerFtraceCommand({ name: 'traceoff', fire: () => {} })).toThrow(/already registered/);
    const tr = new TraceArray({ tracer: 'nop' });
    const { instance } = await tr.instantiate(A, {}, 'A');
    tr.setFilter('fa:count_test:2');
    for (let i = 0; i < 3; i++) (instance.exports['fa'] as () => void)();
    expect(fired).toBe(2);
    tr.setFilter('ga:count_test');
    tr.setFilter('!ga:count_test', false);
    expect(tr.filters.triggers).toEqual([]);
    expect(() => tr.setFilter('fa:count_test:x')).toThrow("'fa:count_test:x': the count 'x' is not a number");
  });
});

describe('C++ and Rust paths', () => {
  it("'::' belongs to the name; a single ':' starts a command", () => {
    const names = ['geom::total_area(geom::Shape* const*, int)', 'util::scale(int)', 'main'];
    const u: FilterUniverse = { available: [0, 1, 2], nameOf: (ip) => names[ip]!, moduleName: 'app' };
    expect([...resolveFilter(FilterSpec.parse('geom::*'), u).ips]).toEqual([0]);
    expect([...resolveFilter(FilterSpec.parse('util::*:mod:app'), u).ips]).toEqual([1]);
    expect([...resolveFilter(FilterSpec.parse('util::*:mod:other'), u).ips]).toEqual([]);
  });
});
