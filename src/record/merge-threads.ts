/**
 * `record -- node`: every thread and child process the preload runs in
 * writes a data file of its own (a hidden `.<name>.thread-<pid>.<threadId>`
 * next to the target); mergeThreadFiles() puts them into the one file the
 * user asked for. Each file's instances become instances of the merged file
 * (ids renumbered, `thread` set), its events follow as EVTS chunks of their
 * own (readers keep call state per instance, so the blocks need not
 * interleave), with timestamps moved onto the first file's time line (each
 * thread's performance.now() counts from its own timeOrigin, kept in the
 * header's options).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeEvents, encodeFooter, encodeHeader, encodeInstance, encodePreamble } from '../datafile/encode.js';
import { DataFileError, type DataFileFooter, type DataFileHeader } from '../datafile/format.js';
import { streamDataFile } from '../datafile/node-reader.js';
import { finishPartial } from './partial.js';

/** The data file the thread `threadId` of process `pid` writes for `target`. */
export function threadFile(target: string, pid: number, threadId: number): string {
  return path.join(path.dirname(path.resolve(target)), `.${path.basename(target)}.thread-${threadId === 0 ? pid : `${pid}.${threadId}`}`);
}

/** `pid` or `pid.threadId`, from a thread file's name. */
function threadOf(file: string): string {
  return file.slice(file.lastIndexOf('.thread-') + '.thread-'.length);
}

/** Every thread file for `target`, finished (a thread killed with the process leaves a partial file: it is cut to its whole chunks). */
export function collectThreadFiles(target: string): string[] {
  const dir = path.dirname(path.resolve(target));
  const prefix = `.${path.basename(target)}.thread-`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const files = new Set<string>();
  for (const n of names) {
    // a thread killed with its process leaves its writer's temporary file: `.<thread file name>.wasm-ftrace-<pid>-<n>.partial`
    const partial = /^\.(.*)\.wasm-ftrace-\d+-\d+\.partial$/.exec(n);
    if (partial && partial[1]!.startsWith(prefix)) {
      const finished = path.join(dir, partial[1]!);
      if (finishPartial(path.join(dir, n), finished, 'its thread ended with the process')) files.add(finished);
    } else if (n.startsWith(prefix) && /^\d+(\.\d+)?$/.test(n.slice(prefix.length))) files.add(path.join(dir, n));
  }
  // main threads first, then by process and thread number
  const key = (f: string): number[] => threadOf(f).split('.').map(Number);
  return [...files].sort((a, b) => {
    const [pa, ta = 0] = key(a);
    const [pb, tb = 0] = key(b);
    return pa! - pb! || ta - tb;
  });
}

export interface MergeResult {
  threads: string[];
  instances: number;
  events: number;
}

/** Writes `files` (thread files, the root process's main thread first) as one data file at `target` and removes them. */
export function mergeThreadFiles(files: string[], target: string): MergeResult {
  if (files.length === 0) throw new Error('no thread file to merge');
  const temp = `${path.resolve(target)}.merging-${process.pid}`;
  const fd = fs.openSync(temp, 'w');
  const write = (b: Uint8Array): void => {
    let off = 0;
    while (off < b.length) off += fs.writeSync(fd, b, off, b.length - off);
  };
  let nextId = 0;
  let origin0: number | null = null;
  let header0: DataFileHeader | null = null;
  const total: DataFileFooter = { events: 0, written: 0, lost: 0, overrun: 0, dropped: 0, ended: new Date().toISOString(), lastTs: null };
  const threads: string[] = [];
  try {
    write(encodePreamble());
    for (const file of files) {
      // the root's own file is not named after its thread: its header says which it is
      let thread = file.includes('.thread-') ? threadOf(file) : String(process.pid);
      const ids = new Map<number, number>();
      let shift = 0;
      const summary = streamDataFile(file, (c) => {
        if (c.kind === 'header') {
          if (typeof c.header.options?.['thread'] === 'string') thread = c.header.options['thread'];
          const origin = typeof c.header.options?.['timeOrigin'] === 'number' ? (c.header.options['timeOrigin'] as number) : null;
          if (header0 === null) {
            header0 = c.header;
            origin0 = origin;
            write(encodeHeader(c.header));
          } else if (origin !== null && origin0 !== null && c.header.clock !== 'counter') shift = (origin - origin0) * 1000;
        } else if (c.kind === 'instance') {
          const id = nextId++;
          if (id > 0xffff) throw new DataFileError('more than 65536 instances across the threads: cannot merge them into one file');
          ids.set(c.instance.id, id);
          write(encodeInstance({ ...c.instance, id, thread: c.instance.thread ?? thread }));
        } else if (c.kind === 'events') {
          const cols = c.columns;
          for (let i = 0; i < cols.count; i++) {
            cols.instance[i] = ids.get(cols.instance[i]!) ?? cols.instance[i]!;
            if (shift !== 0) cols.ts[i] = cols.ts[i]! + shift;
          }
          write(encodeEvents(cols));
          if (cols.count > 0) total.lastTs = Math.max(total.lastTs ?? -Infinity, cols.ts[cols.count - 1]!);
        }
      });
      threads.push(thread);
      total.events += summary.eventCount;
      total.lost += summary.footer?.lost ?? summary.lost;
      total.overrun += summary.footer?.overrun ?? summary.lost;
      total.dropped += summary.footer?.dropped ?? 0;
    }
    total.written = total.events + total.lost;
    write(encodeFooter(total));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(temp, target);
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
    fs.rmSync(temp, { force: true });
    throw e;
  }
  for (const f of files) if (path.resolve(f) !== path.resolve(target)) fs.rmSync(f, { force: true });
  return { threads, instances: nextId, events: total.events };
}
