/**
 * Copies a data directory the way the local EBS store saves and restores one: Node's native
 * `fs.cpSync` (several times faster than the promise `fs.cp`, which walks the tree in JavaScript:
 * 0.1–0.7 s against 0.6–2.5 s for 100 MiB in 1,000 files here), run in a worker thread so that the
 * stack's event loop keeps serving while a workspace's data is copied.
 */
import { mkdir } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';

/** Copies `from` (recursively) into `to`, which must not exist. */
export type CopyDirectory = (from: string, to: string) => Promise<void>;

/**
 * The worker: copies into `<to>.partial`, then renames it to `to`, so a directory under its final
 * name is always whole, even after a crash. `COPYFILE_FICLONE` makes a copy-on-write clone where the
 * file system can (btrfs, XFS) and an ordinary copy elsewhere. CommonJS, as an `eval` worker is.
 */
const WORKER_SOURCE = `
const { constants, cpSync, renameSync, rmSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const { from, to } = workerData;
const partial = to + '.partial';
try {
  rmSync(partial, { recursive: true, force: true });
  cpSync(from, partial, {
    recursive: true,
    mode: constants.COPYFILE_FICLONE,
    preserveTimestamps: true,
    verbatimSymlinks: true,
  });
  renameSync(partial, to);
  parentPort.postMessage({ ok: true });
} catch (error) {
  parentPort.postMessage({ ok: false, message: error && error.message ? error.message : String(error) });
}
`;

/** The store's default {@link CopyDirectory}: see the file's documentation. */
export const copyDirectory: CopyDirectory = function copyDirectory(from, to) {
  return new Promise<void>((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { from, to } });
    let answered = false;
    worker.once('message', (result: { ok: boolean; message?: string }) => {
      answered = true;
      if (result.ok) resolve();
      else reject(new Error(result.message));
    });
    worker.once('error', (error) => {
      answered = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the copy worker exited with code ${code} before it answered`));
    });
  });
};

/** An empty directory (a volume that starts with no snapshot). */
export async function emptyDirectory(to: string): Promise<void> {
  await mkdir(to, { recursive: true });
}
