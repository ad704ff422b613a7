/**
 * What can stop the pass, as fields a caller can act on (the interceptor
 * retries on `no-match`, the CLI prints the message), never as wording to
 * match.
 */
/**
 * - not-wasm, truncated, unsupported: the framing check (WasmFormatError's kinds)
 * - invalid: binaryen or the engine rejects the module
 * - already-instrumented: it has a wasm-ftrace section
 * - reserved-name: it exports a name the pass adds
 * - bad-pattern: an `only` / `notrace` glob that does not compile
 * - no-match: an `only` / `notrace` glob matches no function in the module
 * - internal: binaryen did something the pass does not expect
 */
export type InstrumentErrorKind =
  | 'not-wasm'
  | 'truncated'
  | 'unsupported'
  | 'invalid'
  | 'already-instrumented'
  | 'reserved-name'
  | 'bad-pattern'
  | 'no-match'
  | 'internal';

export interface InstrumentErrorFields {
  kind: InstrumentErrorKind;
  /** bad-pattern, no-match: which option held the glob */
  option?: '--only' | '--notrace';
  /** bad-pattern, no-match: the glob as given */
  pattern?: string;
}

/** An error about the user's input, with a message fit to print on one line. */
export class InstrumentError extends Error {
  override name = 'InstrumentError';
  readonly kind: InstrumentErrorKind;
  readonly option: '--only' | '--notrace' | undefined;
  readonly pattern: string | undefined;

  constructor(message: string, fields: InstrumentErrorFields = { kind: 'invalid' }) {
    super(message);
    this.kind = fields.kind;
    this.option = fields.option;
    this.pattern = fields.pattern;
  }

  /** What binaryen threw (a C++ exception object or an abort's RuntimeError), with what it printed first. */
  static fromBinaryen(error: unknown, printed: readonly string[]): InstrumentError {
    const said = printed.map((l) => l.trim()).find((l) => l.length > 0);
    const detail = said ?? (error instanceof Error ? error.message : 'it threw an exception without a message');
    return new InstrumentError(`cannot instrument this module: binaryen failed: ${detail.replace(/^Fatal: /, '')}`, { kind: 'internal' });
  }
}
