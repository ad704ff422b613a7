/** What every command shares with main: its I/O, and the exit code its action reports back. */
import type { CliIO } from './io.js';

export interface CommandContext {
  io: CliIO;
  exitCode: number;
}
