/**
 * The local stack's EBS: volumes and snapshots as rows of the stack's database and directories
 * under its state directory (`<stateDir>/ebs/volumes/<vol-id>/`, `<stateDir>/ebs/snapshots/<snap-id>/`).
 * A snapshot is a copy of its volume's directory, made in the background like EBS's; a volume for a
 * task is a copy of its snapshot's directory (or an empty one). The ECS emulator uses it through
 * {@link EcsDataVolumes}; the EC2 Query endpoint through the describe, snapshot and delete methods.
 *
 * After a restart, rows and directories are as the last stack left them: a volume left `creating`
 * (its task never got it) is deleted, and a snapshot left `pending` is **finished**: its copy starts
 * again from the volume's directory (or it fails, with a status message, when that is gone), and
 * its notification goes out as usual. Directories without a row are removed.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { EcsDataVolumes } from '../ecs/data-volumes.ts';
import type { LocalDatabase } from '../interfaces.ts';
import { type CopyDirectory, copyDirectory, emptyDirectory } from './copy-directory.ts';
import { Ec2ApiError, VolumeCreationError } from './errors.ts';
import { type Ec2Filter, filterSnapshots, filterVolumes } from './filters.ts';
import { newSnapshotId, newVolumeId } from './ids.ts';
import { type EbsRecords, openEbsRecords, type SnapshotRecord, type VolumeRecord } from './records.ts';

/** Options for {@link LocalVolumeStore}. */
export interface LocalVolumeStoreOptions {
  readonly database: LocalDatabase;
  /** The stack's state directory; the store keeps its directories under `<stateDir>/ebs`. */
  readonly stateDir: string;
  /** The owner of the snapshots (DescribeSnapshots `OwnerIds`). @default '000000000000' */
  readonly account?: string;
  /**
   * Told once a snapshot has completed or failed, inside the transaction that records it (the
   * stack's notifier puts the `EBS Snapshot Notification` on the default bus). @default none
   */
  readonly onSnapshotFinished?: (snapshot: SnapshotRecord) => void;
  /** @default Date */
  readonly clock?: { now(): number };
  /** How directories are copied (a test gives a failing one). @default {@link copyDirectory} */
  readonly copyDirectory?: CopyDirectory;
  /** Receives a line per background failure. @default discards */
  readonly log?: (line: string) => void;
}

/** What DescribeVolumes asks. */
export interface DescribeVolumesQuery {
  readonly volumeIds?: readonly string[];
  readonly filters?: readonly Ec2Filter[];
}

/** What DescribeSnapshots asks. */
export interface DescribeSnapshotsQuery {
  readonly snapshotIds?: readonly string[];
  /** `self` or account ids; other owners' snapshots do not exist here. */
  readonly ownerIds?: readonly string[];
  readonly filters?: readonly Ec2Filter[];
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The local EBS store. One per stack; see the file's documentation. */
export class LocalVolumeStore implements EcsDataVolumes {
  /** The snapshots' owner id. */
  readonly account: string;
  private readonly records: EbsRecords;
  private readonly database: LocalDatabase;
  private readonly volumesDir: string;
  private readonly snapshotsDir: string;
  private readonly clock: { now(): number };
  private readonly copy: CopyDirectory;
  private readonly onSnapshotFinished: (snapshot: SnapshotRecord) => void;
  private readonly log: (line: string) => void;
  /** Background work (snapshot copies, restores, removals) that `idle` and `close` wait for. */
  private readonly work = new Set<Promise<unknown>>();
  /** Directories a copy is reading, with how many copies; removed only once unread. */
  private readonly readers = new Map<string, number>();
  /** Directories whose volume or snapshot is gone, to remove once no copy reads them. */
  private readonly doomed = new Set<string>();
  private closing = false;

  constructor(options: LocalVolumeStoreOptions) {
    this.database = options.database;
    this.records = openEbsRecords(options.database);
    this.account = options.account ?? '000000000000';
    const root = resolve(options.stateDir, 'ebs');
    this.volumesDir = join(root, 'volumes');
    this.snapshotsDir = join(root, 'snapshots');
    this.clock = options.clock ?? Date;
    this.copy = options.copyDirectory ?? copyDirectory;
    this.onSnapshotFinished = options.onSnapshotFinished ?? (() => {});
    this.log = options.log ?? (() => {});
    this.recover();
  }

  /** Where a volume's data lives (whether or not the volume exists). */
  volumeDirectory(volumeId: string): string {
    return join(this.volumesDir, volumeId);
  }

  /** Where a snapshot's data lives (whether or not the snapshot exists). */
  snapshotDirectory(snapshotId: string): string {
    return join(this.snapshotsDir, snapshotId);
  }

  // --- EcsDataVolumes -------------------------------------------------------------------------

  async createForTask(input: Parameters<EcsDataVolumes['createForTask']>[0]) {
    if (this.closing) throw new VolumeCreationError('the local EBS store is shutting down');
    let source: SnapshotRecord | undefined;
    if (input.snapshotId !== undefined) {
      source = this.records.snapshot(input.snapshotId);
      if (source === undefined || source.deleteRequested) {
        throw new VolumeCreationError(`The snapshot '${input.snapshotId}' does not exist.`);
      }
      if (source.state !== 'completed') {
        throw new VolumeCreationError(
          `The snapshot '${input.snapshotId}' is not completed (its state is ${source.state}).`,
        );
      }
    }
    const volumeId = newVolumeId();
    const directory = this.volumeDirectory(volumeId);
    const volume: VolumeRecord = {
      volumeId,
      state: 'creating',
      // EBS cannot restore a snapshot into a smaller volume.
      sizeGiB: Math.max(input.sizeGiB, source?.sizeGiB ?? 0),
      ...(source ? { snapshotId: source.snapshotId } : {}),
      taskArn: input.taskArn,
      deleteOnTermination: input.deleteOnTermination,
      createdAt: this.clock.now(),
      tags: { ...input.tags },
    };
    this.records.putVolume(volume);
    const restore = source
      ? this.reading(this.snapshotDirectory(source.snapshotId), () =>
          this.copy(this.snapshotDirectory((source as SnapshotRecord).snapshotId), directory),
        )
      : mkdir(this.volumesDir, { recursive: true }).then(() => emptyDirectory(directory));
    try {
      await this.track(restore);
    } catch (error) {
      this.records.deleteVolume(volumeId);
      await rm(`${directory}.partial`, { recursive: true, force: true });
      await rm(directory, { recursive: true, force: true });
      throw new VolumeCreationError(
        `restoring snapshot ${source?.snapshotId} into a new volume failed: ${messageOf(error)}`,
        { cause: error },
      );
    }
    this.records.putVolume({ ...volume, state: 'in-use' });
    return { volumeId, directory };
  }

  async releaseFromTask(volumeId: string): Promise<void> {
    const volume = this.records.volume(volumeId);
    if (volume === undefined || volume.state === 'creating') return;
    if (volume.deleteOnTermination) {
      this.records.deleteVolume(volumeId);
      await this.removeWhenUnread(this.volumeDirectory(volumeId));
      return;
    }
    this.records.putVolume({ ...volume, state: 'available' });
  }

  directoryOf(volumeId: string): string | undefined {
    return this.records.volume(volumeId) ? this.volumeDirectory(volumeId) : undefined;
  }

  snapshotUsable(snapshotId: string): boolean {
    const snapshot = this.records.snapshot(snapshotId);
    return snapshot !== undefined && snapshot.state === 'completed' && !snapshot.deleteRequested;
  }

  // --- EC2 operations -------------------------------------------------------------------------

  /** DescribeVolumes. @throws Ec2ApiError `InvalidVolume.NotFound` naming the ids that do not exist. */
  describeVolumes(query: DescribeVolumesQuery = {}): VolumeRecord[] {
    let volumes = this.records.volumes();
    if (query.volumeIds && query.volumeIds.length > 0) {
      const wanted = new Set(query.volumeIds);
      volumes = volumes.filter((volume) => wanted.has(volume.volumeId));
      const missing = [...wanted].filter((id) => !volumes.some((volume) => volume.volumeId === id));
      if (missing.length > 0) {
        throw new Ec2ApiError('InvalidVolume.NotFound', `The volume '${missing.join(',')}' does not exist.`);
      }
    }
    return filterVolumes(volumes, query.filters ?? []);
  }

  /** DescribeSnapshots. @throws Ec2ApiError `InvalidSnapshot.NotFound` naming the ids that do not exist. */
  describeSnapshots(query: DescribeSnapshotsQuery = {}): SnapshotRecord[] {
    let snapshots = this.records.snapshots();
    if (query.snapshotIds && query.snapshotIds.length > 0) {
      const wanted = new Set(query.snapshotIds);
      snapshots = snapshots.filter((snapshot) => wanted.has(snapshot.snapshotId));
      const missing = [...wanted].filter((id) => !snapshots.some((snapshot) => snapshot.snapshotId === id));
      if (missing.length > 0) {
        throw new Ec2ApiError(
          'InvalidSnapshot.NotFound',
          `The snapshot '${missing.join(',')}' does not exist.`,
        );
      }
    }
    if (query.ownerIds && query.ownerIds.length > 0) {
      const ours = query.ownerIds.some((owner) => owner === 'self' || owner === this.account);
      if (!ours) return [];
    }
    return filterSnapshots(snapshots, query.filters ?? []);
  }

  /**
   * CreateSnapshot: records a `pending` snapshot and copies the volume's directory in the
   * background; then the snapshot is `completed` (or `error`, with a status message) and
   * `onSnapshotFinished` is told.
   *
   * @throws Ec2ApiError `InvalidVolume.NotFound`; `IncorrectState` for a volume still being created.
   */
  createSnapshot(
    volumeId: string,
    tags: Readonly<Record<string, string>>,
    description: string,
    requestId: string = randomUUID(),
  ): SnapshotRecord {
    const volume = this.records.volume(volumeId);
    if (volume === undefined) {
      throw new Ec2ApiError('InvalidVolume.NotFound', `The volume '${volumeId}' does not exist.`);
    }
    if (volume.state === 'creating') {
      throw new Ec2ApiError('IncorrectState', `The volume '${volumeId}' is still being created.`);
    }
    if (this.closing) {
      throw new Ec2ApiError('InternalError', 'The local EBS store is shutting down.', { statusCode: 500 });
    }
    const snapshot: SnapshotRecord = {
      snapshotId: newSnapshotId(),
      volumeId,
      state: 'pending',
      sizeGiB: volume.sizeGiB,
      description,
      startedAt: this.clock.now(),
      deleteRequested: false,
      requestId,
      tags: { ...tags },
    };
    this.records.putSnapshot(snapshot);
    this.track(this.takeSnapshot(snapshot));
    return snapshot;
  }

  /** DeleteVolume. @throws Ec2ApiError `InvalidVolume.NotFound`; `VolumeInUse` while attached to a task. */
  deleteVolume(volumeId: string): void {
    const volume = this.records.volume(volumeId);
    if (volume === undefined) {
      throw new Ec2ApiError('InvalidVolume.NotFound', `The volume '${volumeId}' does not exist.`);
    }
    if (volume.state !== 'available') {
      throw new Ec2ApiError('VolumeInUse', `Volume ${volumeId} is currently attached to ${volume.taskArn}`);
    }
    this.records.deleteVolume(volumeId);
    this.track(this.removeWhenUnread(this.volumeDirectory(volumeId)));
  }

  /**
   * DeleteSnapshot. A `pending` snapshot is deleted once it has finished, as EBS does ("Although
   * you can delete a snapshot that is still in progress, the snapshot must complete before the
   * deletion takes effect", https://docs.aws.amazon.com/ebs/latest/userguide/ebs-deleting-snapshot.html).
   *
   * @throws Ec2ApiError `InvalidSnapshot.NotFound`.
   */
  deleteSnapshot(snapshotId: string): void {
    const snapshot = this.records.snapshot(snapshotId);
    if (snapshot === undefined) {
      throw new Ec2ApiError('InvalidSnapshot.NotFound', `The snapshot '${snapshotId}' does not exist.`);
    }
    if (snapshot.state === 'pending') {
      this.records.putSnapshot({ ...snapshot, deleteRequested: true });
      return;
    }
    this.records.deleteSnapshot(snapshotId);
    this.track(this.removeWhenUnread(this.snapshotDirectory(snapshotId)));
  }

  // --- lifecycle ------------------------------------------------------------------------------

  /** Settles once no copy or removal is under way (snapshots started before the call have finished). */
  async idle(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }

  /** Refuses new work and waits for what is under way; close before the database. */
  async close(): Promise<void> {
    this.closing = true;
    await this.idle();
  }

  // --- inside ---------------------------------------------------------------------------------

  private track<T>(promise: Promise<T>): Promise<T> {
    this.work.add(promise);
    const forget = () => this.work.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Runs `copy` with `directory` marked as read, so a delete meanwhile defers its removal. */
  private async reading<T>(directory: string, copy: () => Promise<T>): Promise<T> {
    this.readers.set(directory, (this.readers.get(directory) ?? 0) + 1);
    try {
      return await copy();
    } finally {
      const left = (this.readers.get(directory) ?? 1) - 1;
      if (left > 0) this.readers.set(directory, left);
      else {
        this.readers.delete(directory);
        if (this.doomed.delete(directory)) await rm(directory, { recursive: true, force: true });
      }
    }
  }

  private async removeWhenUnread(directory: string): Promise<void> {
    if (this.readers.has(directory)) {
      this.doomed.add(directory);
      return;
    }
    await rm(directory, { recursive: true, force: true });
  }

  /** Copies the volume's directory into the snapshot's, then records how it ended and tells. */
  private async takeSnapshot(snapshot: SnapshotRecord): Promise<void> {
    const target = this.snapshotDirectory(snapshot.snapshotId);
    let failure: string | undefined;
    try {
      await this.reading(this.volumeDirectory(snapshot.volumeId), async () => {
        await mkdir(this.snapshotsDir, { recursive: true });
        await this.copy(this.volumeDirectory(snapshot.volumeId), target);
      });
    } catch (error) {
      failure = `copying volume ${snapshot.volumeId}'s data failed: ${messageOf(error)}`;
      this.log(`ebs    snapshot ${snapshot.snapshotId} failed: ${messageOf(error)}`);
      await rm(`${target}.partial`, { recursive: true, force: true });
    }
    this.finish(snapshot.snapshotId, failure);
  }

  /** Records the end of a pending snapshot, tells, and carries out a delete asked for meanwhile. */
  private finish(snapshotId: string, failure: string | undefined): void {
    const finished = this.database.transaction(() => {
      const current = this.records.snapshot(snapshotId);
      if (current === undefined || current.state !== 'pending') return undefined;
      const { statusMessage: _previous, ...rest } = current;
      const ended: SnapshotRecord = {
        ...rest,
        state: failure === undefined ? 'completed' : 'error',
        finishedAt: this.clock.now(),
        ...(failure !== undefined ? { statusMessage: failure } : {}),
      };
      this.records.putSnapshot(ended);
      this.onSnapshotFinished(ended);
      if (ended.deleteRequested) this.records.deleteSnapshot(snapshotId);
      return ended;
    });
    if (finished?.deleteRequested) this.track(this.removeWhenUnread(this.snapshotDirectory(snapshotId)));
  }

  /**
   * What a previous stack left: see the file's documentation. The sweep runs synchronously in the
   * constructor, before this stack can start a copy whose directory it would take for an orphan.
   */
  private recover(): void {
    for (const volume of this.records.volumes()) {
      if (volume.state === 'creating') this.records.deleteVolume(volume.volumeId);
    }
    this.removeDirectoriesWithoutRows();
    for (const snapshot of this.records.snapshots()) {
      if (snapshot.state !== 'pending') continue;
      if (this.records.volume(snapshot.volumeId) && existsSync(this.volumeDirectory(snapshot.volumeId))) {
        this.track(this.takeSnapshot(snapshot));
      } else {
        this.finish(
          snapshot.snapshotId,
          `volume ${snapshot.volumeId} was gone when the local stack restarted`,
        );
      }
    }
  }

  private removeDirectoriesWithoutRows(): void {
    const sweeps: Array<[string, (name: string) => boolean]> = [
      [this.volumesDir, (name) => this.records.volume(name) !== undefined],
      [this.snapshotsDir, (name) => this.records.snapshot(name)?.state === 'completed'],
    ];
    for (const [directory, kept] of sweeps) {
      if (!existsSync(directory)) continue;
      for (const name of readdirSync(directory)) {
        if (!kept(name)) rmSync(join(directory, name), { recursive: true, force: true });
      }
    }
  }
}
