/**
 * Runs one converted spec test file (wast2json's JSON and .wasm files) on
 * this engine, either as it is or with every module instrumented by
 * wasm-ftrace (exit hooks on, the function_graph tracer recording): the
 * commands are the same, so an assertion that passes plain and fails
 * instrumented is something instrumentation broke.
 *
 * Values cross the JS API, so what it cannot carry is skipped in both runs
 * alike: v128 arguments and results, and NaN payloads (any NaN matches a NaN).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The spectest host module every spec file may import. */
function spectest() {
  return {
    print: () => {},
    print_i32: () => {},
    print_i64: () => {},
    print_f32: () => {},
    print_f64: () => {},
    print_i32_f32: () => {},
    print_f64_f64: () => {},
    global_i32: new WebAssembly.Global({ value: 'i32' }, 666),
    global_i64: new WebAssembly.Global({ value: 'i64' }, 666n),
    global_f32: new WebAssembly.Global({ value: 'f32' }, 666.6),
    global_f64: new WebAssembly.Global({ value: 'f64' }, 666.6),
    table: new WebAssembly.Table({ initial: 10, maximum: 20, element: 'anyfunc' }),
    memory: new WebAssembly.Memory({ initial: 1, maximum: 2 }),
  };
}

class Unsupported extends Error {}

const f32 = new Float32Array(1);
const f32bits = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const f64bits = new BigUint64Array(f64.buffer);

function toJs(v, externs) {
  switch (v.type) {
    case 'i32':
      return Number(BigInt.asIntN(32, BigInt(v.value)));
    case 'i64':
      return BigInt.asIntN(64, BigInt(v.value));
    case 'f32':
      f32bits[0] = Number(v.value);
      return f32[0];
    case 'f64':
      f64bits[0] = BigInt(v.value);
      return f64[0];
    case 'externref':
      if (v.value === 'null') return null;
      if (!externs.has(v.value)) externs.set(v.value, { extern: v.value });
      return externs.get(v.value);
    case 'funcref':
      if (v.value === 'null') return null;
      throw new Unsupported('funcref argument');
    default:
      throw new Unsupported(`${v.type} value`);
  }
}

function matches(actual, expected, externs) {
  const { type, value } = expected;
  if (type === 'v128') throw new Unsupported('v128 result');
  if ((type === 'f32' || type === 'f64') && typeof value === 'string' && value.startsWith('nan:')) return Number.isNaN(actual);
  if (type === 'f32' || type === 'f64') {
    const want = toJs(expected, externs);
    return Number.isNaN(want) ? Number.isNaN(actual) : Object.is(actual, want);
  }
  if (type === 'externref' || type === 'funcref') {
    if (value === 'null') return actual === null;
    if (type === 'funcref') return typeof actual === 'function';
    return actual === toJs(expected, externs);
  }
  if (type === 'i32' || type === 'i64') return actual === toJs(expected, externs);
  throw new Unsupported(`${type} result`);
}

/**
 * Runs the commands of `json` (a path). `prepare(bytes)` returns the module
 * bytes to compile (the instrumented ones, or the same) and an
 * `instantiate(module, imports)` that returns an Instance.
 * Returns one { line, type, ok, skipped } per assertion.
 */
export async function runSpecFile(json, mode) {
  const dir = path.dirname(json);
  const { commands } = JSON.parse(readFileSync(json, 'utf8'));
  const registry = { spectest: spectest() };
  const named = new Map();
  const externs = new Map();
  let current = null;
  const results = [];
  const record = (c, ok, skipped = false) => results.push({ line: c.line, type: c.type, ok, skipped });

  const load = (file) => {
    const module = mode.compile(readFileSync(path.join(dir, file)));
    return mode.instantiate(module, registry);
  };
  const target = (c) => (c.action.module ? named.get(c.action.module) : current);
  const act = (c) => {
    const inst = target(c);
    if (!inst) throw new Error('no module');
    const { action } = c;
    if (action.type === 'get') {
      const g = inst.exports[action.field];
      return [g instanceof WebAssembly.Global ? g.value : g];
    }
    const args = action.args.map((a) => toJs(a, externs));
    const r = mode.call(() => inst.exports[action.field](...args));
    return Array.isArray(r) ? r : r === undefined ? [] : [r];
  };

  for (const c of commands) {
    try {
      switch (c.type) {
        case 'module': {
          current = null;
          try {
            current = await load(c.filename);
            record(c, true);
          } catch {
            record(c, false);
          }
          if (c.name && current) named.set(c.name, current);
          break;
        }
        case 'register': {
          const inst = c.name ? named.get(c.name) : current;
          if (inst) registry[c.as] = inst.exports;
          break;
        }
        case 'action':
          act(c);
          record(c, true);
          break;
        case 'assert_return': {
          const got = act(c);
          record(c, got.length === c.expected.length && c.expected.every((e, i) => matches(got[i], e, externs)));
          break;
        }
        case 'assert_trap':
        case 'assert_exhaustion':
        case 'assert_exception': {
          let threw = null;
          try {
            act(c);
          } catch (e) {
            if (e instanceof Unsupported) throw e;
            threw = e;
          }
          const want = c.type === 'assert_trap' ? threw instanceof WebAssembly.RuntimeError : c.type === 'assert_exhaustion' ? threw instanceof RangeError : threw instanceof WebAssembly.Exception;
          record(c, want);
          break;
        }
        case 'assert_uninstantiable':
        case 'assert_unlinkable': {
          let failed = false;
          try {
            await load(c.filename);
          } catch {
            failed = true;
          }
          record(c, failed);
          break;
        }
        case 'assert_invalid':
        case 'assert_malformed': {
          if (c.module_type !== 'binary') break;
          let rejected = false;
          try {
            mode.compile(readFileSync(path.join(dir, c.filename)));
          } catch {
            rejected = true;
          }
          record(c, rejected);
          break;
        }
        default:
          break;
      }
    } catch (e) {
      record(c, false, e instanceof Unsupported);
    }
  }
  return results;
}
