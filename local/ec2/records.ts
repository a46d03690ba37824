/**
 * The local EBS store's rows: tables `ebs_volumes` and `ebs_snapshots` in the stack's database
 * (created if missing, as each part of the local stack creates its own), and the records they map to.
 */
import type { LocalDatabase } from '../interfaces.ts';

/** EC2's volume states the local store uses (EC2 API Reference, `Volume.State`). */
export type LocalVolumeState = 'creating' | 'available' | 'in-use';
/** EC2's snapshot states the local store uses (EC2 API Reference, `Snapshot.State`). */
export type LocalSnapshotState = 'pending' | 'completed' | 'error';

/** One volume. */
export interface VolumeRecord {
  readonly volumeId: string;
  readonly state: LocalVolumeState;
  readonly sizeGiB: number;
  /** The snapshot it was restored from. */
  readonly snapshotId?: string;
  /** The task it is (or was last) attached to. */
  readonly taskArn?: string;
  readonly deleteOnTermination: boolean;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly tags: Readonly<Record<string, string>>;
}

/** One snapshot. */
export interface SnapshotRecord {
  readonly snapshotId: string;
  readonly volumeId: string;
  readonly state: LocalSnapshotState;
  readonly sizeGiB: number;
  readonly description: string;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Epoch ms, once completed or failed. */
  readonly finishedAt?: number;
  /** Why it failed. */
  readonly statusMessage?: string;
  /** DeleteSnapshot was called while it was pending: it goes once it has finished. */
  readonly deleteRequested: boolean;
  /** The CreateSnapshot request's id, for the notification's `request-id`. */
  readonly requestId: string;
  readonly tags: Readonly<Record<string, string>>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ebs_volumes (
  volume_id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  size_gib INTEGER NOT NULL,
  snapshot_id TEXT,
  task_arn TEXT,
  delete_on_termination INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  tags_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ebs_snapshots (
  snapshot_id TEXT PRIMARY KEY,
  volume_id TEXT NOT NULL,
  state TEXT NOT NULL,
  size_gib INTEGER NOT NULL,
  description TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  status_message TEXT,
  delete_requested INTEGER NOT NULL DEFAULT 0,
  request_id TEXT NOT NULL,
  tags_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ebs_snapshots_by_volume ON ebs_snapshots (volume_id);
`;

interface VolumeRow {
  volume_id: string;
  state: string;
  size_gib: number;
  snapshot_id: string | null;
  task_arn: string | null;
  delete_on_termination: number;
  created_at: number;
  tags_json: string;
}

interface SnapshotRow {
  snapshot_id: string;
  volume_id: string;
  state: string;
  size_gib: number;
  description: string;
  started_at: number;
  finished_at: number | null;
  status_message: string | null;
  delete_requested: number;
  request_id: string;
  tags_json: string;
}

/** Reads and writes the two tables; every method is one statement. */
export interface EbsRecords {
  volume(volumeId: string): VolumeRecord | undefined;
  volumes(): VolumeRecord[];
  putVolume(volume: VolumeRecord): void;
  deleteVolume(volumeId: string): void;
  snapshot(snapshotId: string): SnapshotRecord | undefined;
  snapshots(): SnapshotRecord[];
  snapshotsOfVolume(volumeId: string): SnapshotRecord[];
  putSnapshot(snapshot: SnapshotRecord): void;
  deleteSnapshot(snapshotId: string): void;
}

/** Creates the tables if missing and returns their reader and writer. */
export function openEbsRecords(database: LocalDatabase): EbsRecords {
  const { db } = database;
  db.exec(SCHEMA);
  const selectVolume = db.prepare('SELECT * FROM ebs_volumes WHERE volume_id = ?');
  const selectVolumes = db.prepare('SELECT * FROM ebs_volumes ORDER BY created_at, volume_id');
  const upsertVolume = db.prepare(
    `INSERT INTO ebs_volumes (volume_id, state, size_gib, snapshot_id, task_arn, delete_on_termination, created_at, tags_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (volume_id) DO UPDATE SET state = excluded.state, size_gib = excluded.size_gib,
       snapshot_id = excluded.snapshot_id, task_arn = excluded.task_arn,
       delete_on_termination = excluded.delete_on_termination, tags_json = excluded.tags_json`,
  );
  const removeVolume = db.prepare('DELETE FROM ebs_volumes WHERE volume_id = ?');
  const selectSnapshot = db.prepare('SELECT * FROM ebs_snapshots WHERE snapshot_id = ?');
  const selectSnapshots = db.prepare('SELECT * FROM ebs_snapshots ORDER BY started_at, snapshot_id');
  const selectSnapshotsOfVolume = db.prepare(
    'SELECT * FROM ebs_snapshots WHERE volume_id = ? ORDER BY started_at, snapshot_id',
  );
  const upsertSnapshot = db.prepare(
    `INSERT INTO ebs_snapshots (snapshot_id, volume_id, state, size_gib, description, started_at, finished_at, status_message, delete_requested, request_id, tags_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (snapshot_id) DO UPDATE SET state = excluded.state, finished_at = excluded.finished_at,
       status_message = excluded.status_message, delete_requested = excluded.delete_requested,
       tags_json = excluded.tags_json`,
  );
  const removeSnapshot = db.prepare('DELETE FROM ebs_snapshots WHERE snapshot_id = ?');

  return {
    volume: (volumeId) => {
      const row = selectVolume.get(volumeId) as VolumeRow | undefined;
      return row ? volumeOf(row) : undefined;
    },
    volumes: () => (selectVolumes.all() as unknown as VolumeRow[]).map(volumeOf),
    putVolume(volume) {
      upsertVolume.run(
        volume.volumeId,
        volume.state,
        volume.sizeGiB,
        volume.snapshotId ?? null,
        volume.taskArn ?? null,
        volume.deleteOnTermination ? 1 : 0,
        volume.createdAt,
        JSON.stringify(volume.tags),
      );
    },
    deleteVolume(volumeId) {
      removeVolume.run(volumeId);
    },
    snapshot: (snapshotId) => {
      const row = selectSnapshot.get(snapshotId) as SnapshotRow | undefined;
      return row ? snapshotOf(row) : undefined;
    },
    snapshots: () => (selectSnapshots.all() as unknown as SnapshotRow[]).map(snapshotOf),
    snapshotsOfVolume: (volumeId) =>
      (selectSnapshotsOfVolume.all(volumeId) as unknown as SnapshotRow[]).map(snapshotOf),
    putSnapshot(snapshot) {
      upsertSnapshot.run(
        snapshot.snapshotId,
        snapshot.volumeId,
        snapshot.state,
        snapshot.sizeGiB,
        snapshot.description,
        snapshot.startedAt,
        snapshot.finishedAt ?? null,
        snapshot.statusMessage ?? null,
        snapshot.deleteRequested ? 1 : 0,
        snapshot.requestId,
        JSON.stringify(snapshot.tags),
      );
    },
    deleteSnapshot(snapshotId) {
      removeSnapshot.run(snapshotId);
    },
  };
}

function volumeOf(row: VolumeRow): VolumeRecord {
  return {
    volumeId: row.volume_id,
    state: row.state as LocalVolumeState,
    sizeGiB: row.size_gib,
    ...(row.snapshot_id !== null ? { snapshotId: row.snapshot_id } : {}),
    ...(row.task_arn !== null ? { taskArn: row.task_arn } : {}),
    deleteOnTermination: row.delete_on_termination === 1,
    createdAt: row.created_at,
    tags: JSON.parse(row.tags_json) as Record<string, string>,
  };
}

function snapshotOf(row: SnapshotRow): SnapshotRecord {
  return {
    snapshotId: row.snapshot_id,
    volumeId: row.volume_id,
    state: row.state as LocalSnapshotState,
    sizeGiB: row.size_gib,
    description: row.description,
    startedAt: row.started_at,
    ...(row.finished_at !== null ? { finishedAt: row.finished_at } : {}),
    ...(row.status_message !== null ? { statusMessage: row.status_message } : {}),
    deleteRequested: row.delete_requested === 1,
    requestId: row.request_id,
    tags: JSON.parse(row.tags_json) as Record<string, string>,
  };
}
