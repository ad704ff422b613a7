/** File and stream helpers for the CLI: atomic writes and user-facing read errors. */
import { closeSync, openSync, renameSync, rmSync, writeSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { describeFsError } from '../datafile/fs-errors.js';
import { CliError } from './errors.js';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** true when stderr is a terminal (progress output is shown only then) */
  isTTY?: boolean;
}

export async function readInputFile(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fs.readFile(file));
  } catch (e) {
    throw new CliError(`cannot read '${file}': ${describeFsError(e)}`);
  }
}

/**
 * Writes `data` to `file` through a temporary file in the same directory and
 * a rename, so a failure never leaves a half-written output behind.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.wasm-ftrace-tmp-${process.pid}-${Date.now()}`);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw new CliError(`cannot write '${file}': ${describeFsError(e)}`);
  }
}


const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `text` to a file descriptor before returning, waiting while
 * a pipe is full (EAGAIN): the CLI's stdout. process.stdout.write would queue
 * in memory whatever a slow reader (`| less`) has not taken yet, so a
 * streamed output of gigabytes would sit in memory; this keeps it at one block.
 */
export function writeAllSync(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let at = 0;
  while (at < bytes.length) {
    try {
      at += writeSync(fd, bytes, at, bytes.length - at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 1); // the reader is behind: let it catch up
    }
  }
}

/** Where a streamed output goes: text pieces in, flushed in blocks. */
export interface OutputSink {
  write(text: string): void;
  /** binary output, written through at once (a file output only) */
  writeBytes(bytes: Uint8Array): void;
  /** flushes; a file output is renamed into place only now */
  close(): void;
  /** after a failure: a file output's temporary file is removed, nothing is left behind */
  abort(): void;
}

const SINK_BLOCK = 1 << 16;

/**
 * A streamed output: stdout (through `io`), or `file`, written through a
 * temporary file renamed into place by close(), so that a failure half way
 * never leaves a half-written file. Pieces are gathered into blocks of
 * about 64 KiB, so memory stays flat however much is written.
 */
export function openOutput(io: CliIO, file?: string): OutputSink {
  let pending: string[] = [];
  let size = 0;
  let fd: number | null = null;
  let tmp = '';
  if (file !== undefined) {
    const dir = path.dirname(path.resolve(file));
    tmp = path.join(dir, `.${path.basename(file)}.wasm-ftrace-tmp-${process.pid}-${Date.now()}`);
    try {
      fd = openSync(tmp, 'w');
    } catch (e) {
      throw new CliError(`cannot write '${file}': ${describeFsError(e)}`);
    }
  }
  const flush = (): void => {
    if (size === 0) return;
    const text = pending.join('');
    pending = [];
    size = 0;
    if (fd === null) {
      io.stdout(text);
      return;
    }
    try {
      writeSync(fd, text);
    } catch (e) {
      throw new CliError(`cannot write '${file}': ${describeFsError(e)}`);
    }
  };
  const abort = (): void => {
    pending = [];
    size = 0;
    if (fd === null) return;
    try {
      closeSync(fd);
    } catch {
      // closing a file we are throwing away
    }
    fd = null;
    rmSync(tmp, { force: true });
  };
  return {
    write(text: string): void {
      pending.push(text);
      size += text.length;
      if (size >= SINK_BLOCK) flush();
    },
    writeBytes(bytes: Uint8Array): void {
      if (fd === null) throw new Error('binary output needs a file');
      flush();
      try {
        writeSync(fd, bytes);
      } catch (e) {
        throw new CliError(`cannot write '${file}': ${describeFsError(e)}`);
      }
    },
    close(): void {
      try {
        flush();
        if (fd !== null) {
          closeSync(fd);
          fd = null;
          renameSync(tmp, file!);
        }
      } catch (e) {
        abort();
        throw e instanceof CliError ? e : new CliError(`cannot write '${file}': ${describeFsError(e)}`);
      }
    },
    abort,
  };
}

/** Runs `produce` into an output opened for it; on failure the output is aborted (no half-written file). */
export function withOutput(io: CliIO, file: string | undefined, produce: (write: (text: string) => void, sink: OutputSink) => void): void {
  const sink = openOutput(io, file);
  try {
    produce((t) => sink.write(t), sink);
  } catch (e) {
    sink.abort();
    throw e;
  }
  sink.close();
}
