/** Loading a trace data file for the readers (report, replay, dump, info), filters applied. */
import { DataFileError } from '../datafile/format.js';
import { toTraceData, type DecodedDataFile } from '../datafile/decode.js';
import { readDataFile } from '../datafile/node-reader.js';
import { filterTrace, type ReadFilter } from '../output/filter.js';
import type { TraceData } from '../ring/event.js';
import { CliError } from './errors.js';
import type { CliIO } from './io.js';
import type { SharedFlags } from './options.js';

export const DEFAULT_DATA_FILE = 'wasm-ftrace.data';

/** Reads a data file, reporting its warnings (incomplete, torn chunk) on stderr. */
export function loadDataFile(file: string, io: CliIO): DecodedDataFile {
  let decoded: DecodedDataFile;
  try {
    decoded = readDataFile(file);
  } catch (e) {
    if (e instanceof DataFileError) throw new CliError(e.message);
    throw e;
  }
  for (const w of decoded.warnings) io.stderr(`wasm-ftrace: warning: ${file}: ${w}\n`);
  return decoded;
}

export function readFilterOf(flags: Partial<SharedFlags>): ReadFilter {
  return {
    ...(flags.filter ? { filter: flags.filter } : {}),
    ...(flags.notrace ? { notrace: flags.notrace } : {}),
    ...(flags.graphFunction ? { graphFunction: flags.graphFunction } : {}),
    ...(flags.depth !== undefined ? { depth: flags.depth } : {}),
    ...(flags.timeFilter !== undefined ? { timeFilter: flags.timeFilter } : {}),
  };
}

/** The trace of a data file, with read-time filters applied. */
export function loadTrace(file: string, flags: Partial<SharedFlags>, io: CliIO): TraceData {
  return filterTrace(toTraceData(loadDataFile(file, io)), readFilterOf(flags));
}
