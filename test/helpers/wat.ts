/** Compiles WAT text for tests (wabt), with names kept and the features our fixtures use. */
import wabtInit from 'wabt';

const wabt = await wabtInit();

export function wat(source: string, opts: { names?: boolean } = {}): Uint8Array {
  const mod = wabt.parseWat('test.wat', source, {
    exceptions: true,
    mutable_globals: true,
    sat_float_to_int: true,
    sign_extension: true,
    simd: true,
    threads: true,
    multi_value: true,
    tail_call: true,
    bulk_memory: true,
    reference_types: true,
    multi_memory: true,
  });
  try {
    mod.resolveNames();
    mod.validate();
    return new Uint8Array(mod.toBinary({ write_debug_names: opts.names ?? true }).buffer);
  } finally {
    mod.destroy();
  }
}

export type Event = [string, string];

/** Instantiates an instrumented module, recording (name, parent name | 'HOST') per mcount call. */
export function traced(
  binary: Uint8Array,
  names: string[],
  imports: WebAssembly.Imports = {},
): { instance: WebAssembly.Instance; events: Event[] } {
  const events: Event[] = [];
  const mcount = (ip: number, parent: number) => events.push([names[ip]!, parent === -1 ? 'HOST' : names[parent]!]);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>), { ...imports, ftrace: { mcount } });
  return { instance, events };
}
