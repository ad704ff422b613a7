/**
 * register_ftrace_command(): the commands a filter expression may carry,
 * `glob:NAME[:COUNT]` (set_ftrace_filter's function triggers). Each fires on
 * entry to a matching function, at most COUNT times when a count is given.
 */
import { FilterError } from '../abi/filter-spec.js';
import type { TracedInstance } from './instance.js';
import type { TracerHost } from './tracer.js';

export interface FtraceCommand {
  readonly name: string;
  /** what happens when a matching function is entered */
  fire(tr: TracerHost, inst: TracedInstance, ip: number, parentIp: number): void;
}

export const FTRACE_COMMANDS = new Map<string, FtraceCommand>();

export function registerFtraceCommand(cmd: FtraceCommand): void {
  if (FTRACE_COMMANDS.has(cmd.name) || cmd.name === 'mod') throw new Error(`a filter command named '${cmd.name}' is already registered`);
  FTRACE_COMMANDS.set(cmd.name, cmd);
}

/** The count of `glob:cmd:COUNT` (-1: unlimited); a FilterError for anything but digits. */
export function commandCount(text: string, param: string | undefined): number {
  if (param === undefined) return -1;
  if (!/^\d+$/.test(param)) throw new FilterError(`'${text}': the count '${param}' is not a number`);
  return Number(param);
}

for (const cmd of [
  { name: 'traceon', fire: (tr: TracerHost) => void (tr.tracingOn = true) },
  { name: 'traceoff', fire: (tr: TracerHost) => void (tr.tracingOn = false) },
  { name: 'stacktrace', fire: (tr: TracerHost, inst: TracedInstance, ip: number, parent: number) => tr.stackTrace(inst, ip, parent) },
]) {
  registerFtraceCommand(cmd);
}
