/**
 * The pass as the interceptor, the bundler plugins and `run` use it: globs
 * that match nothing in one of the many modules a program loads are dropped
 * for that module. (The small runtime's build gives its module cache
 * page-pass.ts instead: there the pass runs in the instrumenting worker,
 * which does this itself.)
 */
import type { InstrumentError } from '../instrument/errors.js';
import type { InstrumentOptions, InstrumentResult } from '../instrument/pass.js';
import type { Instrumenter } from './instrumenter.js';

/**
 * The pass, dropping `notrace` globs that match nothing in this module and
 * `only` globs likewise (a program loads many modules; a glob written for
 * one matches nothing in the others). null: `only` selects nothing here.
 */
export function instrumentSelecting(pass: Instrumenter, bytes: Uint8Array, options: InstrumentOptions): InstrumentResult | null {
  let only = [...(options.only ?? [])];
  let notrace = [...(options.notrace ?? [])];
  for (;;) {
    try {
      return pass(bytes, { ...options, only, notrace });
    } catch (e) {
      // (read as fields, not by class: the class would cost the small runtime bytes, and this is the only check)
      if (!isNoMatch(e)) throw e;
      const before = only.length + notrace.length;
      if (e.option === '--only') only = only.filter((g) => g !== e.pattern);
      else notrace = notrace.filter((g) => g !== e.pattern);
      if (only.length + notrace.length === before) throw e;
      if (e.option === '--only' && only.length === 0) return null;
    }
  }
}

function isNoMatch(e: unknown): e is InstrumentError {
  return (e as Partial<InstrumentError> | null)?.kind === 'no-match';
}
