/** The local EBS store: restore and save copy directories, rows and directories survive a restart. */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  copyDirectory,
  LocalVolumeStore,
  type LocalVolumeStoreOptions,
  type SnapshotRecord,
} from '#local/ec2/index.ts';
import { openDatabase } from '#local/store/index.ts';
import { temporaryStateDir } from '../helpers.ts';

const TASK_ARN = 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/0123456789abcdef0123456789abcdef';
const TAGS = { 'workspace-provisioner': 'local', 'workspace-id': 'ws-1' };

describe('LocalVolumeStore', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  function stateDir(): string {
    const dir = temporaryStateDir();
    cleanups.push(dir.remove);
    return dir.dir;
  }

  function open(dir: string, options: Partial<LocalVolumeStoreOptions> = {}) {
    const database = openDatabase(dir);
    const finished: SnapshotRecord[] = [];
    const store = new LocalVolumeStore({
      database,
      stateDir: dir,
      onSnapshotFinished: (snapshot) => finished.push(snapshot),
      ...options,
    });
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await store.close();
      database.close();
    };
    cleanups.unshift(close);
    return { store, database, finished, close };
  }

  const newTaskVolume = (store: LocalVolumeStore, snapshotId?: string, deleteOnTermination = false) =>
    store.createForTask({
      taskArn: TASK_ARN,
      sizeGiB: 20,
      tags: TAGS,
      deleteOnTermination,
      ...(snapshotId ? { snapshotId } : {}),
    });

  it('copies a directory tree whole, and rejects a copy whose source is missing without leaving the target', async () => {
    const dir = stateDir();
    mkdirSync(join(dir, 'from', 'deep', 'er'), { recursive: true });
    writeFileSync(join(dir, 'from', 'deep', 'er', 'file.txt'), 'content\n');

    await copyDirectory(join(dir, 'from'), join(dir, 'to'));
    await expect(copyDirectory(join(dir, 'missing'), join(dir, 'nowhere'))).rejects.toThrow(/ENOENT/);

    expect(readFileSync(join(dir, 'to', 'deep', 'er', 'file.txt'), 'utf8')).toBe('content\n');
    expect(existsSync(join(dir, 'to.partial'))).toBe(false);
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });

  it('gives EC2-shaped ids: vol- and snap- with 17 hex digits', async () => {
    const { store } = open(stateDir());
    const { volumeId } = await newTaskVolume(store);
    await store.releaseFromTask(volumeId);
    const snapshot = store.createSnapshot(volumeId, TAGS, 'save');
    expect(volumeId).toMatch(/^vol-[0-9a-f]{17}$/);
    expect(snapshot.snapshotId).toMatch(/^snap-[0-9a-f]{17}$/);
  });

  it('restores a snapshot into a new volume directory with the same content', async () => {
    const { store, finished } = open(stateDir());
    const first = await newTaskVolume(store);
    mkdirSync(join(first.directory, 'repo', '.git'), { recursive: true });
    writeFileSync(join(first.directory, 'notes.md'), 'kept across restarts\n');
    writeFileSync(join(first.directory, 'repo', '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await store.releaseFromTask(first.volumeId);

    const snapshot = store.createSnapshot(first.volumeId, TAGS, 'save');
    expect(snapshot.state).toBe('pending');
    expect(store.snapshotUsable(snapshot.snapshotId)).toBe(false);
    await store.idle();
    expect(finished.map((done) => [done.snapshotId, done.state])).toEqual([
      [snapshot.snapshotId, 'completed'],
    ]);
    expect(store.snapshotUsable(snapshot.snapshotId)).toBe(true);

    const second = await newTaskVolume(store, snapshot.snapshotId);
    expect(second.directory).not.toBe(first.directory);
    expect(readFileSync(join(second.directory, 'notes.md'), 'utf8')).toBe('kept across restarts\n');
    expect(readFileSync(join(second.directory, 'repo', '.git', 'HEAD'), 'utf8')).toBe(
      'ref: refs/heads/main\n',
    );
    expect(store.describeVolumes({ volumeIds: [second.volumeId] })[0]).toMatchObject({
      state: 'in-use',
      snapshotId: snapshot.snapshotId,
      taskArn: TASK_ARN,
      tags: TAGS,
    });
    // The snapshot is a copy: writing into the new volume leaves it as it was.
    writeFileSync(join(second.directory, 'notes.md'), 'changed\n');
    expect(readFileSync(join(store.snapshotDirectory(snapshot.snapshotId), 'notes.md'), 'utf8')).toBe(
      'kept across restarts\n',
    );
  });

  it('refuses to create a volume from a snapshot that does not exist or is not completed', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { store } = open(stateDir(), {
      copyDirectory: async (from, to) => {
        await released;
        await copyDirectory(from, to);
      },
    });
    const { volumeId } = await newTaskVolume(store);
    const pending = store.createSnapshot(volumeId, TAGS, 'save');

    await expect(newTaskVolume(store, 'snap-0123456789abcdef0')).rejects.toThrow(
      "The snapshot 'snap-0123456789abcdef0' does not exist.",
    );
    await expect(newTaskVolume(store, pending.snapshotId)).rejects.toThrow(
      `The snapshot '${pending.snapshotId}' is not completed (its state is pending).`,
    );
    expect(store.describeVolumes().map((volume) => volume.volumeId)).toEqual([volumeId]);
    release();
  });

  it('makes a released volume available, or deletes it with its directory when deleteOnTermination', async () => {
    const { store } = open(stateDir());
    const kept = await newTaskVolume(store);
    const dropped = await newTaskVolume(store, undefined, true);

    await store.releaseFromTask(kept.volumeId);
    await store.releaseFromTask(dropped.volumeId);

    expect(store.describeVolumes().map((volume) => [volume.volumeId, volume.state])).toEqual([
      [kept.volumeId, 'available'],
    ]);
    expect(store.directoryOf(kept.volumeId)).toBe(kept.directory);
    expect(store.directoryOf(dropped.volumeId)).toBeUndefined();
    expect(existsSync(dropped.directory)).toBe(false);
  });

  it('records a failed copy as an error snapshot with a status message and tells', async () => {
    const { store, finished } = open(stateDir(), {
      copyDirectory: async () => {
        throw new Error('ENOSPC: no space left on device');
      },
    });
    const { volumeId } = await newTaskVolume(store);
    const snapshot = store.createSnapshot(volumeId, TAGS, 'save');
    await store.idle();

    const [failed] = store.describeSnapshots({ snapshotIds: [snapshot.snapshotId] });
    expect(failed?.state).toBe('error');
    expect(failed?.statusMessage).toContain('ENOSPC: no space left on device');
    expect(finished.map((done) => done.state)).toEqual(['error']);
  });

  it('deletes a snapshot asked to be deleted while pending once it has finished', async () => {
    const { store, finished } = open(stateDir());
    const { volumeId } = await newTaskVolume(store);
    const snapshot = store.createSnapshot(volumeId, TAGS, 'save');
    store.deleteSnapshot(snapshot.snapshotId);
    // Still listed while pending: the deletion takes effect once the snapshot completes.
    expect(store.describeSnapshots().map((listed) => listed.snapshotId)).toEqual([snapshot.snapshotId]);

    await store.idle();

    expect(finished.map((done) => done.state)).toEqual(['completed']);
    expect(store.describeSnapshots()).toEqual([]);
    expect(existsSync(store.snapshotDirectory(snapshot.snapshotId))).toBe(false);
  });

  it('lets a volume be deleted while its snapshot copies, removing its directory only once the copy is done', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { store, finished } = open(stateDir(), {
      copyDirectory: async (from, to) => {
        await released;
        await copyDirectory(from, to);
      },
    });
    const { volumeId, directory } = await newTaskVolume(store);
    writeFileSync(join(directory, 'data.txt'), 'saved\n');
    await store.releaseFromTask(volumeId);
    const snapshot = store.createSnapshot(volumeId, TAGS, 'save');

    store.deleteVolume(volumeId);
    expect(store.describeVolumes()).toEqual([]);
    expect(existsSync(directory)).toBe(true);
    release();
    await store.idle();

    expect(finished.map((done) => [done.snapshotId, done.state])).toEqual([
      [snapshot.snapshotId, 'completed'],
    ]);
    expect(readFileSync(join(store.snapshotDirectory(snapshot.snapshotId), 'data.txt'), 'utf8')).toBe(
      'saved\n',
    );
    expect(existsSync(directory)).toBe(false);
  });

  it('finishes on start a snapshot a dead stack left pending, and drops what it left half made', async () => {
    const dir = stateDir();
    const first = open(dir, { copyDirectory: () => new Promise<void>(() => {}) });
    const { volumeId, directory } = await newTaskVolume(first.store);
    writeFileSync(join(directory, 'data.txt'), 'saved after the restart\n');
    await first.store.releaseFromTask(volumeId);
    const snapshot = first.store.createSnapshot(volumeId, TAGS, 'save');
    // What a crash leaves: a half-copied snapshot and a directory whose row was never written.
    mkdirSync(`${first.store.snapshotDirectory(snapshot.snapshotId)}.partial`, { recursive: true });
    mkdirSync(first.store.volumeDirectory('vol-0000000000000dead'), { recursive: true });
    // The "dead" stack: its copy never finishes, and nothing waits for it.
    first.database.close();
    cleanups.splice(cleanups.indexOf(first.close), 1);

    const second = open(dir);
    await second.store.idle();

    expect(second.finished.map((done) => [done.snapshotId, done.state])).toEqual([
      [snapshot.snapshotId, 'completed'],
    ]);
    expect(readFileSync(join(second.store.snapshotDirectory(snapshot.snapshotId), 'data.txt'), 'utf8')).toBe(
      'saved after the restart\n',
    );
    expect(existsSync(`${second.store.snapshotDirectory(snapshot.snapshotId)}.partial`)).toBe(false);
    expect(existsSync(second.store.volumeDirectory('vol-0000000000000dead'))).toBe(false);
    expect(second.store.describeVolumes().map((volume) => [volume.volumeId, volume.state])).toEqual([
      [volumeId, 'available'],
    ]);
  });

  it('fails on start a pending snapshot whose volume is gone', async () => {
    const dir = stateDir();
    const first = open(dir, { copyDirectory: () => new Promise<void>(() => {}) });
    const { volumeId, directory } = await newTaskVolume(first.store);
    const snapshot = first.store.createSnapshot(volumeId, TAGS, 'save');
    first.database.close();
    cleanups.splice(cleanups.indexOf(first.close), 1);
    rmSync(directory, { recursive: true });

    const second = open(dir);
    await second.store.idle();

    const [failed] = second.store.describeSnapshots({ snapshotIds: [snapshot.snapshotId] });
    expect(failed?.state).toBe('error');
    expect(failed?.statusMessage).toBe(`volume ${volumeId} was gone when the local stack restarted`);
    expect(second.finished.map((done) => done.state)).toEqual(['error']);
  });
});
