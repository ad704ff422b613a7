/** Loading a trace data file for the readers (report, replay, dump, info), filters applied. */
import { DataFileError } from '../datafile/format.js';
import { readFileSync } from 'node:fs';
import { openDataFileTrace, type DataFileTrace } from '../datafile/node-trace.js';
import { describeFsError } from '../datafile/fs-errors.js';
import { isMangled, loadDemangler } from '../symbols/demangle.js';
import { parseSymbolFile, SymbolFileError, type SymbolFile } from '../symbols/symbol-files.js';
import { symbolize } from '../symbols/symbolize.js';
import { filterStream, type ReadFilter } from '../output/filter.js';
import { traceHasSourceLines } from '../output/source-line.js';
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
    ...(flags.timeRange !== undefined ? { timeRange: flags.timeRange } : {}),
  };
}

/**
 * A data file opened for streaming (one checking pass now, warnings on
 * stderr), named (--symbols, demangling) and with read-time filters applied
 * as it streams: what report, replay and dump read, in bounded memory
 * whatever the file's size.
 */
export async function openTrace(file: string, flags: Partial<SharedFlags>, io: CliIO): Promise<TraceStream> {
  return filterStream((await openNamedDataFile(file, flags, io)).trace, readFilterOf(flags));
}

/** openDataFile, with the names --symbols and demangling give (`renamed`: some name changed). */
export async function openNamedDataFile(file: string, flags: Partial<SharedFlags>, io: CliIO): Promise<DataFileTrace & { renamed: boolean }> {
  const named = await nameDataFile(file, flags, io);
  if (flags.srcline && !traceHasSourceLines(named.trace)) {
    io.stderr(`wasm-ftrace: note: --srcline: no module in ${file} has source lines (build it with -g, or give its -g build with --symbols)\n`);
  }
  return named;
}

async function nameDataFile(file: string, flags: Partial<SharedFlags>, io: CliIO): Promise<DataFileTrace & { renamed: boolean }> {
  const opened = openDataFile(file, io);
  const symbols: SymbolFile[] = [];
  for (const f of flags.symbols ?? []) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(f);
    } catch (e) {
      throw new CliError(`cannot read symbols '${f}': ${describeFsError(e)}`);
    }
    try {
      symbols.push(parseSymbolFile(f, bytes));
    } catch (e) {
      if (e instanceof SymbolFileError) throw new CliError(e.message);
      throw e;
    }
  }
  const mangled = opened.trace.instances.some((i) => i.names.some(isMangled)) || symbols.some((s) => [...s.names.values()].some(isMangled));
  const demangle = flags.demangle !== false && mangled ? await loadDemangler() : null;
  if (symbols.length === 0 && demangle === null) return { ...opened, renamed: false };
  let named;
  try {
    named = symbolize(opened.trace, opened.summary.instances, { symbols, demangle });
  } catch (e) {
    if (e instanceof SymbolFileError) throw new CliError(e.message);
    throw e;
  }
  for (const n of named.notes) io.stderr(`wasm-ftrace: note: ${n}\n`);
  return { summary: opened.summary, trace: named.trace, renamed: true };
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
