/** Option parsers shared by commands. */
import { InvalidArgumentError } from 'commander';

/** For repeatable options: `--notrace a --notrace b` -> ['a', 'b']. Also splits commas, as set_ftrace_filter accepts lists. */
export function collectGlobs(value: string, previous: string[] = []): string[] {
  const parts = value
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (parts.length === 0) throw new InvalidArgumentError('an empty pattern matches nothing');
  return [...previous, ...parts];
}
