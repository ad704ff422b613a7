/** Loading a trace data file for the readers (report, replay, dump, info), filters applied. */
import { DataFileError } from '../datafile/format.js';
import { openDataFileTrace, type DataFileTrace } from '../datafile/node-trace.js';
import { filterStream, type ReadFilter } from '../output/filter.js';
import type { TraceStream } from '../ring/event.js';
import { CliError } from './errors.js';
import type { CliIO } from './io.js';
import type { SharedFlags } from './options.js';

export const DEFAULT_DATA_FILE = 'wasm-ftrace.data';

export function readFilterOf(flags: Partial<SharedFlags>): ReadFilter {
  return {
    ...(flags.filter ? { filter: flags.filter } : {}),
    ...(flags.notrace ? { notrace: flags.notrace } : {}),
    ...(flags.graphFunction ? { graphFunction: flags.graphFunction } : {}),
    ...(flags.depth !== undefined ? { depth: flags.depth } : {}),
    ...(flags.timeFilter !== undefined ? { timeFilter: flags.timeFilter } : {}),
  };
}

/**
 * A data file opened for streaming (one checking pass now, warnings on
 * stderr), read-time filters applied as it streams: what report, replay
 * and dump read, in bounded memory whatever the file's size.
 */
export function openTrace(file: string, flags: Partial<SharedFlags>, io: CliIO): TraceStream {
  return filterStream(openDataFile(file, io).trace, readFilterOf(flags));
}

/** A data file opened for streaming reads, unfiltered; its warnings are reported on stderr. */
export function openDataFile(file: string, io: CliIO): DataFileTrace {
  let opened: DataFileTrace;
  try {
    opened = openDataFileTrace(file);
  } catch (e) {
    if (e instanceof DataFileError) throw new CliError(e.message);
    throw e;
  }
  for (const w of opened.summary.warnings) io.stderr(`wasm-ftrace: warning: ${file}: ${w}\n`);
  return opened;
}
