/**
 * Reading the pass's input: framing, globs and binaryen's parse, each
 * failure an InstrumentError with a one-line message.
 */
import { WasmFormatError, compileGlob, readSections, type Glob, type Section } from '../abi/index.js';
import { captureBinaryenOutput, readBinary, READ_FEATURES, type Module } from './binaryen.js';
import { InstrumentError } from './errors.js';

export function checkedSections(input: Uint8Array): Section[] {
  try {
    return readSections(input);
  } catch (e) {
    if (e instanceof WasmFormatError) throw new InstrumentError(e.message, { kind: e.kind === 'malformed' ? 'invalid' : e.kind });
    throw e;
  }
}

export function compileGlobs(patterns: readonly string[], option: '--only' | '--notrace'): Glob[] {
  return patterns.map((p) => {
    try {
      return compileGlob(p);
    } catch (e) {
      throw new InstrumentError(`${option}: ${(e as Error).message}`, { kind: 'bad-pattern', option, pattern: p });
    }
  });
}

/** Reads the input; `engineAccepts` is WebAssembly.validate(input), computed once by the caller. */
export function readModule(input: Uint8Array, engineAccepts: boolean): Module {
  const read = captureBinaryenOutput(() => readBinary(input, READ_FEATURES));
  if (read.error !== undefined || !read.result) {
    throw new InstrumentError(`invalid module: ${firstLine(read.output, read.error)}`, { kind: 'invalid' });
  }
  const mod = read.result;
  // Engines validate cheaply what they support; binaryen validates the rest.
  if (!engineAccepts) {
    const v = captureBinaryenOutput(() => mod.validate());
    if (!v.result) {
      mod.dispose();
      throw new InstrumentError(`invalid module: ${firstLine(v.output, v.error)}`, { kind: 'invalid' });
    }
  }
  return mod;
}

/**
 * Binaryen reads past some errors an engine rejects (malformed encodings it
 * re-encodes, invalid code it drops as unreachable): a module this engine
 * refuses must not come out as one it runs. When the output still fails
 * validation, the engine lacks a feature the module uses, and that is no
 * reason to refuse it (a newer engine runs it).
 */
export function checkNotRepaired(input: Uint8Array, engineAccepts: boolean, output: Uint8Array<ArrayBuffer>): void {
  if (engineAccepts || !WebAssembly.validate(output)) return;
  let reason = 'this engine rejects it';
  try {
    new WebAssembly.Module(input as Uint8Array<ArrayBuffer>);
  } catch (e) {
    reason = (e as Error).message.replace(/^WebAssembly\.Module\(\): /, '');
  }
  throw new InstrumentError(`invalid module: ${reason}`, { kind: 'invalid' });
}

function firstLine(output: string[], error: unknown): string {
  const text = output.join('\n').replace(/\[parse exception: /, '').replace(/\]\s*$/, '');
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (line.length > 0) {
    // "[wasm-validator error in function 3] unexpected false: ..., on" -> without the trailing "on"
    return line.slice(0, 2).join(' ').replace(/,? on$/, '').replace(/^\[|\]$/g, '');
  }
  const msg = (error as { message?: string } | undefined)?.message;
  return msg ?? 'binaryen could not read it';
}
