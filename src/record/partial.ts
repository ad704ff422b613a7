/**
 * What a recorder that died leaves behind: its temporary file,
 * `.<name>.wasm-ftrace-<pid>-<n>.partial`, whose whole chunks are a
 * readable trace. finishPartial() turns it into the data file the user
 * asked for: cut back to its last whole chunk, a footer that counts what it
 * holds and says why it ended, renamed to the target. `record` runs it for
 * a traced program that was interrupted (Ctrl-C) or killed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeFooter } from '../datafile/encode.js';
import { DataFileError, type DataFileFooter } from '../datafile/format.js';
import { streamDataFile } from '../datafile/node-reader.js';

/** The temporary files a recorder in process `pid` left for `target`. */
export function partialsOf(target: string, pid: number): string[] {
  const dir = path.dirname(path.resolve(target));
  const prefix = `.${path.basename(target)}.wasm-ftrace-${pid}-`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(prefix) && n.endsWith('.partial')).map((n) => path.join(dir, n));
}

/**
 * Makes `partial` the complete data file `target`, ended by `reason` (e.g.
 * 'SIGINT'). Returns the events it holds, or null when it holds nothing
 * readable (it ends inside its header): then it is removed and `target` is
 * left as it was.
 */
export function finishPartial(partial: string, target: string, reason: string): { events: number } | null {
  let summary;
  try {
    summary = streamDataFile(partial, () => {});
  } catch (e) {
    if (!(e instanceof DataFileError)) throw e;
    fs.rmSync(partial, { force: true });
    return null;
  }
  if (summary.complete) {
    fs.renameSync(partial, target);
    return { events: summary.eventCount };
  }
  const footer: DataFileFooter = {
    events: summary.eventCount,
    written: summary.eventCount + summary.lost,
    lost: summary.lost,
    overrun: summary.lost,
    dropped: 0,
    ended: new Date().toISOString(),
    lastTs: summary.lastTs,
    interrupted: reason,
  };
  const fd = fs.openSync(partial, 'r+');
  try {
    fs.ftruncateSync(fd, summary.bytes);
    const bytes = encodeFooter(footer);
    try {
      let off = 0;
      while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off, summary.bytes + off);
      fs.fsyncSync(fd);
    } catch {
      // no room even for the footer (a full disk): the whole chunks still read, as incomplete
      fs.ftruncateSync(fd, summary.bytes);
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(partial, target);
  return { events: summary.eventCount };
}
