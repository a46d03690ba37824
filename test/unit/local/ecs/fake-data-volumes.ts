/**
 * An in-memory local EBS store over a temporary directory, for the ECS emulator's tests: volumes and
 * snapshots are directories, a volume restored from a snapshot starts as a copy of it, and every call
 * is recorded in order. The real store is `local/ec2/` (H-ebs); this fake keeps only what the
 * `EcsDataVolumes` interface promises.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EcsDataVolumes } from '#local/ecs/data-volumes.ts';

export interface FakeVolume {
  readonly volumeId: string;
  readonly directory: string;
  readonly taskArn: string;
  readonly sizeGiB: number;
  readonly snapshotId?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly deleteOnTermination: boolean;
  state: 'in-use' | 'available';
}

export interface FakeDataVolumes extends EcsDataVolumes {
  /** Every call, in order (`create <taskArn>`, `release <volumeId>`, `directoryOf <volumeId>`). */
  readonly calls: string[];
  /** The volumes that exist. */
  readonly volumes: Map<string, FakeVolume>;
  /** Adds a snapshot holding `files` (path to content); `pending` ones cannot be restored yet. */
  addSnapshot(files: Readonly<Record<string, string>>, state?: 'completed' | 'pending'): string;
}

const ec2Id = (prefix: string): string => `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;

/**
 * The fake store under `root`. `beforeRelease` runs at the start of each release (to look at what the
 * bus holds at that moment); `createFails` makes every `createForTask` reject with that message;
 * `createMs` is how long a creation takes (default 5 ms).
 */
export function fakeDataVolumes(
  root: string,
  options: { beforeRelease?: (volumeId: string) => void; createFails?: string; createMs?: number } = {},
): FakeDataVolumes {
  const calls: string[] = [];
  const volumes = new Map<string, FakeVolume>();
  const snapshots = new Map<string, { directory: string; state: 'completed' | 'pending' }>();
  return {
    calls,
    volumes,
    addSnapshot(files, state = 'completed') {
      const snapshotId = ec2Id('snap');
      const directory = join(root, 'snapshots', snapshotId);
      mkdirSync(directory, { recursive: true });
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(dirname(join(directory, path)), { recursive: true });
        writeFileSync(join(directory, path), content);
      }
      snapshots.set(snapshotId, { directory, state });
      return snapshotId;
    },
    async createForTask(input) {
      calls.push(`create ${input.taskArn}`);
      await new Promise((resolve) => setTimeout(resolve, options.createMs ?? 5));
      if (options.createFails !== undefined) throw new Error(options.createFails);
      const snapshot = input.snapshotId === undefined ? undefined : snapshots.get(input.snapshotId);
      if (input.snapshotId !== undefined && snapshot?.state !== 'completed') {
        throw new Error(`The snapshot '${input.snapshotId}' does not exist.`);
      }
      const volumeId = ec2Id('vol');
      const directory = join(root, 'volumes', volumeId);
      if (snapshot !== undefined) cpSync(snapshot.directory, directory, { recursive: true });
      else mkdirSync(directory, { recursive: true });
      volumes.set(volumeId, { ...input, volumeId, directory, state: 'in-use' });
      return { volumeId, directory };
    },
    async releaseFromTask(volumeId) {
      options.beforeRelease?.(volumeId);
      calls.push(`release ${volumeId}`);
      // A release takes a moment: the STOPPED event must wait for it, not race it.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const volume = volumes.get(volumeId);
      if (volume === undefined) return;
      if (volume.deleteOnTermination) {
        rmSync(volume.directory, { recursive: true, force: true });
        volumes.delete(volumeId);
      } else {
        volume.state = 'available';
      }
    },
    directoryOf(volumeId) {
      calls.push(`directoryOf ${volumeId}`);
      return volumes.get(volumeId)?.directory;
    },
    snapshotUsable(snapshotId) {
      return snapshots.get(snapshotId)?.state === 'completed';
    },
  };
}
