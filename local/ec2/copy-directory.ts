/** Copies a data directory the way the local EBS store saves and restores one. */
import { constants } from 'node:fs';
import { cp, mkdir, rename, rm } from 'node:fs/promises';

/** Copies `from` (recursively) into `to`, which must not exist. */
export type CopyDirectory = (from: string, to: string) => Promise<void>;

/**
 * Copies into `<to>.partial` and renames it to `to` once complete, so a directory under its final
 * name is always whole, even after a crash. `COPYFILE_FICLONE` makes a copy-on-write clone where the
 * file system can (btrfs, XFS) and an ordinary copy elsewhere.
 */
export const copyDirectory: CopyDirectory = async function copyDirectory(from, to) {
  const partial = `${to}.partial`;
  await rm(partial, { recursive: true, force: true });
  await cp(from, partial, {
    recursive: true,
    mode: constants.COPYFILE_FICLONE,
    preserveTimestamps: true,
    verbatimSymlinks: true,
    errorOnExist: true,
  });
  await rename(partial, to);
};

/** An empty directory (a volume that starts with no snapshot). */
export async function emptyDirectory(to: string): Promise<void> {
  await mkdir(to, { recursive: true });
}
