/**
 * Makes sure a state directory exists and can be written, or fails at once with a message that names
 * the path and why. Node's `mkdirSync(path, { recursive: true })` spins forever at full CPU on a path
 * under `/proc` (the kernel answers ENOENT for the missing child and the recursive walk retries it
 * without end), so the directories are created one level at a time here.
 */

import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { StateDirectoryError } from './errors.ts';

/**
 * Creates `stateDir` and any missing parents (one `mkdir` per level, never recursive) and checks it
 * is a writable directory.
 *
 * @throws StateDirectoryError naming the path and the reason (a file, not writable, cannot be created).
 */
export function prepareStateDirectory(stateDir: string): void {
  const target = resolve(stateDir);
  const missing: string[] = [];
  let existing = target;
  for (;;) {
    const kind = kindOf(existing);
    if (kind === 'directory') break;
    if (kind === 'other') {
      throw new StateDirectoryError(
        `state directory ${stateDir} cannot be used: ${existing} exists and is not a directory`,
      );
    }
    missing.unshift(existing);
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  for (const directory of missing) {
    try {
      mkdirSync(directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && kindOf(directory) === 'directory') continue;
      // ENOENT with the parent in place: a file system that takes no new entries, such as /proc.
      const why =
        (error as NodeJS.ErrnoException).code === 'ENOENT' && kindOf(dirname(directory)) === 'directory'
          ? `${dirname(directory)} does not take new directories (ENOENT)`
          : reasonOf(error);
      throw new StateDirectoryError(
        `state directory ${stateDir} cannot be created: mkdir ${directory} failed: ${why}`,
        { cause: error },
      );
    }
  }
  try {
    accessSync(target, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new StateDirectoryError(`state directory ${stateDir} is not writable: ${reasonOf(error)}`, {
      cause: error,
    });
  }
}

/** What is at `path`: a directory, something else, or nothing. */
function kindOf(path: string): 'directory' | 'other' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'other';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a parent is a file, which the walk up finds and names.
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw new StateDirectoryError(`state directory path ${path} cannot be inspected: ${reasonOf(error)}`, {
      cause: error,
    });
  }
}

/** The message of a file system error, for a one-line reason. */
function reasonOf(error: unknown): string {
  // Node's messages already start with the code: "EACCES: permission denied, mkdir '...'".
  return (error as Error).message ?? String(error);
}
