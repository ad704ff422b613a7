/**
 * The in-wasm recorder (`--trace-memory`): the functions the prologue and the
 * exit hook call instead of the `ftrace.mcount` imports, so that while the
 * host has one recordable ops registered (the direct case) an event is a few
 * stores into the trace memory and never leaves wasm. Layout and protocol:
 * src/abi/trace-memory.ts.
 *
 *   (func $dispatch (param $ip i32) (param $parent i32)
 *     (if (i32.and (global.get $direct) (i32.ne (local.get $parent) (i32.const HOST)))
 *       (then (call $record (i32.const ENTRY) (local.get $ip) (local.get $parent)))
 *       (else (call $mcount (local.get $ip) (local.get $parent)))))
 *
 * An entry from the host always goes to JS, even in direct mode: the graph
 * tracers' shadow stack decides there, from the JS stack, whether frames
 * were unwound by a trap (shadow-stack.ts), and a call from JS crosses the
 * boundary anyway.
 */
import { ABI, HOST_IP } from '../abi/index.js';
import {
  CLOCK_KIND_CELL,
  CLOCK_KIND_COUNTER,
  RECORD_BYTES,
  RECORD_ENTRY,
  RECORD_EXIT,
  RECORD_INSTANCE_SHIFT,
  REC_IP,
  REC_PARENT,
  REC_TS,
  TM_CAPACITY,
  TM_CLOCK_CELL,
  TM_CLOCK_KIND,
  TM_HEAD,
  TM_RING,
  TRACE_MEMORY,
} from '../abi/trace-memory.js';
import binaryen, { type Module } from './binaryen.js';
import type { Ref } from './c-api.js';

export interface Recorder {
  /** (ip, parent) -> (): what the prologue calls */
  readonly entryName: string;
  /** (ip) -> (): what the exit hook calls */
  readonly exitName: string;
  /** mutable i32 globals the control export sets: the direct switch and the instance id */
  readonly directGlobal: string;
  readonly instanceGlobal: string;
}

const MEM = 'wasm-ftrace$memory';

export function addRecorder(mod: Module, mcountName: string, mcountExitName: string | null): Recorder {
  mod.setFeatures(mod.getFeatures() | binaryen.Features.MultiMemory | binaryen.Features.Atomics);
  // Shared, so the worker clock (and later other threads) can write into it.
  mod.addMemoryImport(MEM, ABI.importModule, TRACE_MEMORY.memory, true);
  const drainName = 'wasm-ftrace$drain';
  mod.addFunctionImport(drainName, ABI.importModule, TRACE_MEMORY.drain, binaryen.none, binaryen.none);
  const clockName = 'wasm-ftrace$clock';
  mod.addFunctionImport(clockName, ABI.importModule, TRACE_MEMORY.clock, binaryen.none, binaryen.f64);
  const directGlobal = 'wasm-ftrace$direct';
  const instanceGlobal = 'wasm-ftrace$instance';
  mod.addGlobal(directGlobal, binaryen.i32, true, mod.i32.const(0));
  mod.addGlobal(instanceGlobal, binaryen.i32, true, mod.i32.const(0));

  const i32 = binaryen.i32;
  const zero = () => mod.i32.const(0);
  const load = (offset: number) => mod.i32.load(offset, 4, zero(), MEM);
  const get = (i: number) => mod.local.get(i, i32);

  // $record(kind, ip, parent); locals: 3 = head, 4 = record address, 5 = clock kind
  const headFull = () => mod.i32.ge_u(get(3), load(TM_CAPACITY));
  const timestamp = (): Ref =>
    mod.if(
      mod.i32.eq(get(5), mod.i32.const(CLOCK_KIND_CELL)),
      mod.f64.load(TM_CLOCK_CELL, 8, zero(), MEM),
      mod.if(mod.i32.eq(get(5), mod.i32.const(CLOCK_KIND_COUNTER)), mod.f64.const(0), mod.call(clockName, [], binaryen.f64)),
    );
  const recordName = 'wasm-ftrace$record';
  mod.addFunction(
    recordName,
    binaryen.createType([i32, i32, i32]),
    binaryen.none,
    [i32, i32, i32],
    mod.block(null, [
      mod.local.set(3, load(TM_HEAD)),
      mod.if(
        headFull(),
        mod.block(null, [
          mod.call(drainName, [], binaryen.none),
          mod.local.set(3, load(TM_HEAD)),
          // a host that did not make room: drop the event rather than write past the ring
          mod.if(headFull(), mod.return()),
        ]),
      ),
      mod.local.set(5, load(TM_CLOCK_KIND)),
      mod.local.set(4, mod.i32.add(mod.i32.const(TM_RING), mod.i32.mul(get(3), mod.i32.const(RECORD_BYTES)))),
      mod.i32.store(0, 4, get(4), mod.i32.or(get(0), mod.i32.shl(mod.global.get(instanceGlobal, i32), mod.i32.const(RECORD_INSTANCE_SHIFT))), MEM),
      mod.i32.store(REC_IP, 4, get(4), get(1), MEM),
      mod.i32.store(REC_PARENT, 4, get(4), get(2), MEM),
      mod.f64.store(REC_TS, 8, get(4), timestamp(), MEM),
      mod.i32.store(TM_HEAD, 4, zero(), mod.i32.add(get(3), mod.i32.const(1)), MEM),
    ]),
  );

  const entryName = 'wasm-ftrace$dispatch';
  mod.addFunction(
    entryName,
    binaryen.createType([i32, i32]),
    binaryen.none,
    [],
    mod.if(
      mod.i32.and(mod.global.get(directGlobal, i32), mod.i32.ne(get(1), mod.i32.const(HOST_IP | 0))),
      mod.call(recordName, [mod.i32.const(RECORD_ENTRY), get(0), get(1)], binaryen.none),
      mod.call(mcountName, [get(0), get(1)], binaryen.none),
    ),
  );
  const exitName = 'wasm-ftrace$dispatch_exit';
  if (mcountExitName !== null) {
    mod.addFunction(
      exitName,
      i32,
      binaryen.none,
      [],
      mod.if(
        mod.global.get(directGlobal, i32),
        mod.call(recordName, [mod.i32.const(RECORD_EXIT), get(0), zero()], binaryen.none),
        mod.call(mcountExitName, [get(0)], binaryen.none),
      ),
    );
  }
  return { entryName, exitName, directGlobal, instanceGlobal };
}

/** Import names the recorder adds, in the order it adds them (for the name section). */
export const RECORDER_IMPORTS = [`${ABI.importModule}.${TRACE_MEMORY.drain}`, `${ABI.importModule}.${TRACE_MEMORY.clock}`];
