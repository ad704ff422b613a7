/**
 * Reading data files from disk (Node): whole, or chunk by chunk through the
 * streaming decoder with fs.readSync in blocks (1 MiB by default), so that a
 * file bigger than memory can be gone through holding one chunk at a time.
 *
 * Errors are DataFileErrors whose message starts with the file name:
 * "trace.dat: not a wasm-ftrace data file (no WFTRACE magic at byte 0)",
 * or "cannot read 'trace.dat': no such file or directory".
 */
import * as fs from 'node:fs';
import { columnsToEvents } from './trace-data.js';
import { DataFileDecoder, type DataFileChunk, type DataFileSummary, type DecodedDataFile, type EventFilter } from './decode.js';
import { DataFileError } from './format.js';
import { describeFsError } from './fs-errors.js';

export interface StreamOptions {
  /** bytes read at a time; default 1 MiB */
  blockSize?: number;
  /**
   * true: the columns onChunk gets stay valid after it returns (a copy of
   * each chunk). Default false: they are views of the reader's buffers,
   * valid only during the call, and nothing is allocated per chunk.
   */
  retain?: boolean;
}

export const DEFAULT_BLOCK_SIZE = 1 << 20;

/**
 * Reads a data file chunk by chunk: `onChunk` gets each complete chunk in
 * file order (events as columns, valid during the call unless `retain`),
 * and the summary comes back at the end. Memory: one block plus the largest
 * chunk, however big the file.
 */
export function streamDataFile(file: string, onChunk: (chunk: DataFileChunk) => void, options: StreamOptions = {}): DataFileSummary {
  const chunks = readChunks(file, options);
  for (;;) {
    const r = chunks.next();
    if (r.done) return r.value;
    onChunk(r.value);
  }
}

/**
 * The chunks of a data file as a generator (what streamDataFile calls back
 * with), returning the summary when done. Columns are valid until the next
 * chunk is asked for, unless `retain`. Leaving the loop early closes the file.
 */
export function* readChunks(file: string, options: StreamOptions = {}): Generator<DataFileChunk, DataFileSummary, undefined> {
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!(blockSize >= 1)) throw new RangeError(`blockSize must be at least 1, not ${blockSize}`);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new DataFileError(`cannot read '${file}': ${describeFsError(e)}`);
  }
  try {
    const retain = options.retain ?? false;
    const decoder = new DataFileDecoder({ copy: retain, reuse: !retain });
    const block = new Uint8Array(blockSize);
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, block, 0, blockSize, null);
      } catch (e) {
        throw new DataFileError(`cannot read '${file}': ${describeFsError(e)}`);
      }
      if (n === 0) break;
      yield* withFileName(file, () => decoder.push(block.subarray(0, n)));
    }
    return withFileName(file, () => decoder.finish());
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a whole data file, events as objects; `accept` filters them before any object is made. */
export function readDataFile(file: string, options: { accept?: EventFilter } & StreamOptions = {}): DecodedDataFile {
  const events: DecodedDataFile['events'] = [];
  const summary = streamDataFile(
    file,
    (chunk) => {
      if (chunk.kind === 'events') columnsToEvents(chunk.columns, options.accept, events);
    },
    options,
  );
  return { ...summary, events };
}

function withFileName<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DataFileError) throw new DataFileError(`${file}: ${e.message}`, e.offset);
    throw e;
  }
}
