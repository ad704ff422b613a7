/**
 * An fs error as a user reads it (Node): what the data file readers, the
 * recorder and the CLI put after "cannot read/write '<file>': ".
 */
import { DataFileError } from './format.js';

export function describeFsError(e: unknown): string {
  if (e instanceof DataFileError) return e.message;
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a path component is not a directory';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EEXIST':
      return 'file exists';
    default:
      return err?.message ?? String(e);
  }
}
