/**
 * Recording a trace to a data file while it runs (Node). The ring buffer
 * streams to disk: each time it fills, its onFull hook drains it into an
 * EVTS chunk before anything would be overwritten or dropped, so a trace
 * far bigger than memory loses nothing, and memory stays at the ring's size.
 *
 * I/O is synchronous (openSync, writeSync): the drain runs inside the traced
 * program's synchronous wasm calls.
 *
 * Atomic: everything goes to a temporary file next to the target,
 * `.<name>.wasm-ftrace-<pid>-<n>.partial`, which close() fsyncs and renames
 * to the target; the target never exists half written. If the process dies
 * while recording, that temporary file stays: every chunk in it is
 * self-delimiting and checksummed, so the readers read it up to its last
 * whole chunk, with the warning "incomplete: no footer, N events read".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TraceArray } from '../tracers/trace-array.js';
import type { RingColumns } from '../ring/ring-buffer.js';
import { encodeEvents, encodeFooter, encodeHeader, encodeInstance, encodePreamble, eventsChunkBytes } from '../datafile/encode.js';
import { instanceChunk } from './instance-chunk.js';
import { DataFileError, type DataFileFooter, type DataFileHeader } from '../datafile/format.js';
import { describeFsError } from '../datafile/fs-errors.js';

export interface RecordingOptions {
  /** the data file to write (created or replaced on close()) */
  path: string;
  /** the command line being recorded, for the header */
  command?: string[];
  /** the recorder's options worth keeping (filters, buffer size, ...), for the header */
  options?: Record<string, unknown>;
}

export interface Recording {
  /**
   * Drains what the ring still holds, writes the footer, fsyncs and renames
   * the temporary file to `path`. Idempotent. When a write failed (a full
   * disk), what was written whole is kept: the file is cut back to its last
   * whole chunk and renamed to `path` without a footer (readers say it is
   * incomplete), and `problem` says so. Throws DataFileError only when
   * nothing readable could be kept (then neither file is left).
   * `interrupted`: the signal that stopped the program, kept in the footer.
   */
  close(interrupted?: string): void;
  /** Ends the recording without touching `path` (an empty run must not replace an earlier trace): the temporary file goes. */
  abandon(): void;
  /** after close(): why the file at `path` is incomplete, in one line; null when it is whole */
  readonly problem: string | null;
  /** Writes what the ring holds now, so that a crash later loses none of it. */
  flush(): void;
  /** the target data file (absolute) */
  readonly path: string;
  /** where the file is written until close() */
  readonly tempPath: string;
  readonly bytesWritten: number;
  /** events written to the file so far */
  readonly events: number;
  readonly closed: boolean;
}

let recordings = 0;

/**
 * Starts recording `tr` to `options.path`: the header, every instance of
 * `tr` now and each one added later (an INST chunk always precedes the
 * events of its instance), and the events, streamed as the ring fills.
 * Events the ring holds already are written too. Until close(), the
 * recording owns the ring's onFull hook: one recording per trace array at
 * a time.
 */
export function startRecording(tr: TraceArray, options: RecordingOptions): Recording {
  return new FileRecording(tr, options);
}

class FileRecording implements Recording {
  readonly path: string;
  readonly tempPath: string;
  /** the path as the caller gave it, for messages */
  private readonly given: string;
  private fd: number;
  private written = 0;
  /** bytes of the chunks written whole: where a failed file is cut back to */
  private wholeBytes = 0;
  private eventCount = 0;
  private problemText: string | null = null;
  private isClosed = false;
  /** the first write error: nothing more is written, close() reports it */
  private failure: unknown = null;
  private scratch: Uint8Array;
  /** sequence number the next drained event should have: a gap means events never reached the file */
  private nextSeq: number;
  private overrun = 0;
  private readonly droppedAtStart: number;
  private lastTs: number | null = null;
  private readonly onFull = (): void => this.drain();
  private readonly sink = (cols: RingColumns): void => this.writeEvents(cols);

  constructor(
    private readonly tr: TraceArray,
    options: RecordingOptions,
  ) {
    this.given = options.path;
    this.path = path.resolve(options.path);
    this.tempPath = path.join(path.dirname(this.path), `.${path.basename(this.path)}.wasm-ftrace-${process.pid}-${recordings++}.partial`);
    const ring = tr.ring;
    if (ring.onFull !== null) throw new Error('this trace array is already being recorded (its ring buffer has an onFull hook)');
    try {
      this.fd = fs.openSync(this.tempPath, 'wx');
    } catch (e) {
      throw new DataFileError(`cannot write '${options.path}': ${describeFsError(e)}`);
    }
    this.scratch = new Uint8Array(eventsChunkBytes(ring.capacity));
    this.nextSeq = ring.firstSeq;
    this.droppedAtStart = ring.dropped;
    const filters = tr.filters;
    const header: DataFileHeader = {
      tracer: tr.tracer.name,
      clock: tr.clock,
      ...(tr.clockInfo ? { clockInfo: tr.clockInfo } : {}),
      created: new Date().toISOString(),
      version: packageVersion(),
      ...(options.command !== undefined ? { command: options.command } : {}),
      options: {
        ...(filters.filter !== '' ? { filter: filters.filter } : {}),
        ...(filters.notrace !== '' ? { notrace: filters.notrace } : {}),
        ...(filters.triggers.length > 0 ? { triggers: filters.triggers.map((t) => t.text) } : {}),
        ...(filters.graphFunction !== '' ? { graphFunction: filters.graphFunction } : {}),
        ...(filters.graphNotrace !== '' ? { graphNotrace: filters.graphNotrace } : {}),
        ...(tr.maxGraphDepth > 0 ? { maxGraphDepth: tr.maxGraphDepth } : {}),
        ...options.options,
      },
      buffer: { sizeKb: ring.sizeKb, capacity: ring.capacity, mode: ring.mode },
      platform: `node ${process.version} ${process.platform}-${process.arch}`,
    };
    try {
      this.write(encodePreamble());
      this.write(encodeHeader(header));
      for (const inst of tr.instances) this.write(encodeInstance(instanceChunk(inst)));
    } catch (e) {
      this.discard();
      throw new DataFileError(`cannot write '${options.path}': ${describeFsError(e)}`);
    }
    tr.onInstanceAdded((inst) => {
      // Listeners cannot be removed: a closed or failed recording ignores the call.
      if (this.isClosed || this.failure !== null) return;
      this.guarded(() => this.write(encodeInstance(instanceChunk(inst))));
    });
    ring.onFull = this.onFull;
  }

  get bytesWritten(): number {
    return this.written;
  }
  get events(): number {
    return this.eventCount;
  }
  get closed(): boolean {
    return this.isClosed;
  }
  get problem(): string | null {
    return this.problemText;
  }

  abandon(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    // what the in-wasm recorders still hold goes into the ring first
    this.tr.flush();
    const ring = this.tr.ring;
    if (ring.onFull === this.onFull) ring.onFull = null;
    this.discard();
  }

  flush(): void {
    if (this.isClosed || this.failure !== null) return;
    // what the in-wasm recorders hold first
    this.tr.flush();
    this.drain();
  }

  close(interrupted?: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    // what the in-wasm recorders still hold goes into the ring first
    this.tr.flush();
    const ring = this.tr.ring;
    if (ring.onFull === this.onFull) ring.onFull = null;
    try {
      if (this.failure !== null) throw this.failure;
      ring.drainColumns(this.sink);
      const stats = this.tr.stats;
      const dropped = Math.max(0, ring.dropped - this.droppedAtStart);
      const lost = this.overrun + dropped;
      const footer: DataFileFooter = {
        events: this.eventCount,
        written: this.eventCount + lost,
        lost,
        overrun: this.overrun,
        dropped,
        ended: new Date().toISOString(),
        lastTs: this.lastTs,
        tracer: this.tr.tracer.name,
        stats: { unwoundFrames: stats.unwoundFrames, strayExits: stats.strayExits, recursionMissed: stats.recursionMissed },
        ...(this.tr.wasmRing ? { recorder: { inWasm: this.tr.wasmRing.drained, ringRecords: this.tr.wasmRing.capacity } } : {}),
      };
      const unmatched = this.tr.unmatchedFilters();
      if (unmatched.length > 0) footer.unmatchedFilters = unmatched;
      if (interrupted !== undefined) footer.interrupted = interrupted;
      this.write(encodeFooter(footer));
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
      this.fd = -1;
      fs.renameSync(this.tempPath, this.path);
      syncDirectory(path.dirname(this.path));
    } catch (e) {
      if (this.salvage()) {
        this.problemText = `could not write all of the trace to '${this.given}': ${describeFsError(e)}; it holds the first ${this.eventCount} events (incomplete)`;
        return;
      }
      this.discard();
      throw new DataFileError(`cannot write '${this.given}': ${describeFsError(e)}`);
    }
  }

  /** After a write failed: cut the file back to its last whole chunk and put it at `path`. */
  private salvage(): boolean {
    if (this.fd < 0 || this.wholeBytes === 0) return false;
    try {
      fs.ftruncateSync(this.fd, this.wholeBytes);
      fs.closeSync(this.fd);
      this.fd = -1;
      fs.renameSync(this.tempPath, this.path);
      return true;
    } catch {
      return false;
    }
  }

  /** The ring's onFull hook: runs inside the traced program, so it must not throw. */
  private drain(): void {
    if (this.failure !== null) return;
    this.guarded(() => this.tr.ring.drainColumns(this.sink));
  }

  private writeEvents(cols: RingColumns): void {
    const n = cols.count;
    if (cols.firstSeq > this.nextSeq) this.overrun += cols.firstSeq - this.nextSeq;
    this.nextSeq = cols.firstSeq + n;
    const chunk = encodeEvents(cols, this.scratch);
    this.write(chunk);
    // A chunk with marker texts may not fit the scratch buffer: keep the bigger one.
    if (chunk.buffer !== this.scratch.buffer) this.scratch = chunk;
    this.eventCount += n;
    if (n > 0) this.lastTs = cols.ts[n - 1]!;
  }

  /**
   * Runs a write from inside the traced program (onFull, onInstanceAdded):
   * a failure (disk full) must not throw into it. The first one stops the
   * recording: the ring gets its own full-buffer policy back, and close()
   * reports the error.
   */
  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.failure = e;
      const ring = this.tr.ring;
      if (ring.onFull === this.onFull) ring.onFull = null;
    }
  }

  private write(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(this.fd, bytes, off, bytes.length - off);
    this.written += bytes.length;
    this.wholeBytes = this.written;
  }

  /** After a failure: no temporary file is left behind. */
  private discard(): void {
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed or unusable: nothing more to do with it
      }
      this.fd = -1;
    }
    fs.rmSync(this.tempPath, { force: true });
  }
}

let version: string | undefined;

/** wasm-ftrace's version, from package.json (two levels up from src/datafile and dist/datafile). */
function packageVersion(): string {
  if (version === undefined) {
    try {
      const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      version = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      version = 'unknown';
    }
  }
  return version;
}

/** After a rename: make the new directory entry durable too (best effort; not every platform can). */
function syncDirectory(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot open a directory; the rename itself is still atomic.
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}
