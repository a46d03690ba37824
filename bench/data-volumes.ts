/**
 * Local save and restore of a persistent workspace's data: a 100 MiB data directory (1,000 files of
 * mixed sizes in nested folders) in a local EBS volume is snapshotted (CreateSnapshot until the
 * snapshot is `completed` and its notification is out) and restored (a task's new volume created
 * from that snapshot), several times; min and median of each. Runs the `LocalVolumeStore` the stack
 * uses, on a file database and a state directory under the OS temp directory.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalVolumeStore } from '#local/ec2/index.ts';
import { openDatabase } from '#local/store/index.ts';
import { type BenchmarkResult, progress } from './lib/report.ts';
import { median, round } from './lib/stats.ts';

const TOTAL_BYTES = 100 * 1024 * 1024;
const FILES = 1_000;
const ITERATIONS = 5;
const TASK_ARN = 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/0123456789abcdef0123456789abcdef';

/**
 * File sizes: most files small (source, notes), a few large (archives, models), scaled so they add
 * up to exactly {@link TOTAL_BYTES}.
 */
function fileSizes(): number[] {
  const weights = Array.from({ length: FILES }, (_, index) => {
    if (index % 100 === 0) return 400; // 10 large files
    if (index % 10 === 0) return 40; // 90 medium
    return 1 + (index % 7); // 900 small, of seven sizes
  });
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const sizes = weights.map((weight) => Math.floor((weight / total) * TOTAL_BYTES));
  sizes[0] = (sizes[0] as number) + TOTAL_BYTES - sizes.reduce((sum, size) => sum + size, 0);
  return sizes;
}

/** Writes the data set into `directory`: 1,000 files over 50 nested folders, random content. */
function writeDataSet(directory: string): void {
  fileSizes().forEach((size, index) => {
    const folder = join(directory, `project-${index % 5}`, `module-${index % 10}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `file-${index}.bin`), randomBytes(size));
  });
}

const fileSystemOf = (path: string): string => {
  try {
    return execFileSync('stat', ['-f', '-c', '%T', path], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};

const summary = (samples: readonly number[]) => ({
  min: round(Math.min(...samples), 1),
  median: round(median(samples), 1),
  max: round(Math.max(...samples), 1),
  n: samples.length,
});

export async function runDataVolumesBenchmark(): Promise<BenchmarkResult> {
  const stateDir = await mkdtemp(join(tmpdir(), 'bench-data-volumes-'));
  const database = openDatabase(stateDir);
  const notified = new Set<string>();
  const store = new LocalVolumeStore({
    database,
    stateDir,
    onSnapshotFinished: (snapshot) => {
      if (snapshot.state === 'completed') notified.add(snapshot.snapshotId);
    },
  });
  try {
    const source = await store.createForTask({
      taskArn: TASK_ARN,
      sizeGiB: 20,
      tags: { 'workspace-id': 'ws-bench' },
      deleteOnTermination: false,
    });
    writeDataSet(source.directory);
    await store.releaseFromTask(source.volumeId);
    progress(`data-volumes: ${FILES} files, ${TOTAL_BYTES / 2 ** 20} MiB, ${ITERATIONS} iterations`);

    const saveMs: number[] = [];
    const restoreMs: number[] = [];
    for (let iteration = 0; iteration < ITERATIONS; iteration += 1) {
      const saveStart = performance.now();
      const snapshot = store.createSnapshot(source.volumeId, { 'workspace-id': 'ws-bench' }, 'bench');
      // Settles once the background copy is done and the snapshot recorded completed, notifier told.
      await store.idle();
      saveMs.push(performance.now() - saveStart);
      if (!notified.has(snapshot.snapshotId)) {
        throw new Error(`snapshot ${snapshot.snapshotId} did not complete`);
      }

      const restoreStart = performance.now();
      const restored = await store.createForTask({
        taskArn: TASK_ARN,
        sizeGiB: 20,
        snapshotId: snapshot.snapshotId,
        tags: { 'workspace-id': 'ws-bench' },
        deleteOnTermination: true,
      });
      restoreMs.push(performance.now() - restoreStart);

      await store.releaseFromTask(restored.volumeId);
      store.deleteSnapshot(snapshot.snapshotId);
      await store.idle();
      progress(
        `data-volumes: iteration ${iteration + 1}: save ${round(saveMs.at(-1) as number, 1)} ms, restore ${round(restoreMs.at(-1) as number, 1)} ms`,
      );
    }
    const fileSystem = fileSystemOf(stateDir);
    return {
      figures: {
        dataVolumes: {
          saveMs: summary(saveMs),
          restoreMs: summary(restoreMs),
          files: FILES,
          mebibytes: TOTAL_BYTES / 2 ** 20,
          fileSystem,
        },
      },
      checks: [
        { key: 'dataVolumes.saveMs.median', target: 'reported', met: 'reported' },
        { key: 'dataVolumes.restoreMs.median', target: 'reported', met: 'reported' },
      ],
      notes: [
        `save: CreateSnapshot on the LocalVolumeStore until the snapshot is completed (directory copy, then the row and its notifier in one transaction); restore: createForTask from that snapshot (directory copy into a new volume); ${FILES} files, 100 MiB, random content; state directory on ${fileSystem} (COPYFILE_FICLONE clones only where the file system supports reflinks, otherwise it copies)`,
      ],
    };
  } finally {
    await store.close();
    database.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}
