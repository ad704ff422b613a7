/** File and stream helpers for the CLI: atomic writes and user-facing read errors. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describeFsError } from '../datafile/node-writer.js';
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

