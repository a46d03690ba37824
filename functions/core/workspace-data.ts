/**
 * v1.3: persistent workspace data, the pure part (decision 020). A persistent workspace's task
 * gets a managed EBS volume, created from the workspace's latest snapshot (or empty the first
 * time) and kept when the task stops; the stop is saved as a snapshot, after which the volume is
 * deleted. What a launch restores, what a stop saves and what is pruned are decided here, from
 * what EC2 lists; the flows do the I/O.
 */
import type { RuntimeSpec } from '#config/catalog.ts';
import type { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import { DATA_FILESYSTEM_TYPE, DATA_VOLUME_NAME, EBS_ATTACHMENT_TYPE, TAG_KEYS } from '#contracts/names.ts';
import type { DataSnapshot, DataVolume } from '#ports/workspace-volumes.ts';

/** A persistent workspace's storage, resolved against its runtime's catalog entry. */
export interface WorkspaceStorage {
  readonly sizeGiB: number;
  /** The mount point in the workspace container. */
  readonly path: string;
}

/** The request's storage, or undefined for an ephemeral workspace. */
export function storageOf(
  request: Pick<ProvisionRequestedDetail, 'storage'>,
  runtime: Pick<RuntimeSpec, 'dataPath' | 'storageGiB'>,
): WorkspaceStorage | undefined {
  if (!request.storage?.persistent) return undefined;
  return { sizeGiB: request.storage.sizeGiB ?? runtime.storageGiB, path: runtime.dataPath };
}

/** What a launch does about the workspace's data. */
export type RestoreDecision =
  /** Start from `snapshot`, or empty when there is none yet. */
  | { readonly action: 'restore'; readonly snapshot?: DataSnapshot }
  /** A save is under way (or not started yet): wait, then decide again. */
  | { readonly action: 'wait'; readonly reason: string }
  /** A save failed and its volume is kept: launching would start on older data. */
  | { readonly action: 'fail'; readonly code: 'DATA_SAVE_FAILED'; readonly reason: string };

/** A volume on its way out already (`deleting`, `deleted`): nothing to save, wait for or delete. */
export const isVolumeGone = (volume: Pick<DataVolume, 'state'>): boolean =>
  volume.state === 'deleting' || volume.state === 'deleted';

/** The newest completed snapshot, by start time. */
export function latestSnapshot(snapshots: readonly DataSnapshot[]): DataSnapshot | undefined {
  let latest: DataSnapshot | undefined;
  for (const snapshot of snapshots) {
    if (snapshot.state !== 'completed') continue;
    if (!latest || snapshot.startedAt > latest.startedAt) latest = snapshot;
  }
  return latest;
}

/**
 * Decides a launch's restore from the workspace's volumes and snapshots. A save ends when the
 * volume is gone: the step that finishes it publishes `Workspace Data Saved` and then deletes the
 * volume, so a launch that waits for the volume to go comes after that event, in the order the
 * contract promises (Stopped, Data Saved, Task Launched). A volume with a pending snapshot, or
 * with none yet (its task is still stopping, or its save has not started), or with a completed
 * one not yet finished, is being saved: wait. A volume whose only snapshots failed holds data
 * nothing else has: fail rather than launch on older data.
 */
export function decideRestore(
  volumes: readonly DataVolume[],
  snapshots: readonly DataSnapshot[],
): RestoreDecision {
  if (snapshots.some((snapshot) => snapshot.state === 'pending')) {
    return { action: 'wait', reason: "a snapshot of the workspace's data is still pending" };
  }
  for (const volume of volumes) {
    if (isVolumeGone(volume)) continue;
    const own = snapshots.filter((snapshot) => snapshot.volumeId === volume.volumeId);
    if (own.some((snapshot) => snapshot.state === 'completed')) {
      return { action: 'wait', reason: `the save of volume ${volume.volumeId} is being finished` };
    }
    if (own.some((snapshot) => snapshot.state === 'error')) {
      return {
        action: 'fail',
        code: 'DATA_SAVE_FAILED',
        reason: `the last save of the workspace's data failed; volume ${volume.volumeId} is kept and must be saved or erased first`,
      };
    }
    return { action: 'wait', reason: `volume ${volume.volumeId} of the workspace is not saved yet` };
  }
  const snapshot = latestSnapshot(snapshots);
  return snapshot ? { action: 'restore', snapshot } : { action: 'restore' };
}

/** Where data volumes come from: the deployment's ECS infrastructure role, KMS key and tag. */
export interface DataVolumeSettings {
  /** The ECS infrastructure role ECS creates and attaches the volumes with. */
  readonly roleArn: string;
  /** The KMS key the volumes are encrypted with; EBS's default key when absent. */
  readonly kmsKeyId?: string;
  /** The value of the `workspace-provisioner` tag on every volume and snapshot of this deployment. */
  readonly dataTag: string;
}

/** A tag in RunTask's shape. */
export interface DataTag {
  readonly key: string;
  readonly value: string;
}

/** RunTask's `volumeConfigurations[]` entry for the data volume, in the SDK's shape, free of SDK types. */
export interface VolumeConfiguration {
  readonly name: string;
  readonly managedEBSVolume: {
    readonly roleArn: string;
    readonly sizeInGiB: number;
    readonly volumeType: 'gp3';
    readonly encrypted: true;
    readonly kmsKeyId?: string;
    readonly snapshotId?: string;
    readonly filesystemType: typeof DATA_FILESYSTEM_TYPE;
    readonly terminationPolicy: { readonly deleteOnTermination: false };
    readonly tagSpecifications: ReadonlyArray<{
      readonly resourceType: 'volume';
      readonly tags: readonly DataTag[];
    }>;
  };
}

/** Who a data volume or snapshot belongs to. */
export interface DataOwner {
  readonly workspaceId: string;
  readonly orgId: string;
  readonly kind: string;
  readonly runtime: string;
}

/** The tags every data volume carries: the deployment's, and the workspace's. */
export function dataVolumeTags(owner: DataOwner, dataTag: string): DataTag[] {
  return [
    { key: TAG_KEYS.provisioner, value: dataTag },
    { key: TAG_KEYS.workspaceId, value: owner.workspaceId },
    { key: TAG_KEYS.orgId, value: owner.orgId },
    { key: TAG_KEYS.kind, value: owner.kind },
    { key: TAG_KEYS.runtime, value: owner.runtime },
  ];
}

/**
 * The data volume of a launch: restored from `from` when there is one (at least the snapshot's
 * size: EBS cannot restore into a smaller volume), kept when the task stops.
 */
export function volumeConfigurationFor(
  storage: WorkspaceStorage,
  from: DataSnapshot | undefined,
  owner: DataOwner,
  settings: DataVolumeSettings,
): VolumeConfiguration {
  return {
    name: DATA_VOLUME_NAME,
    managedEBSVolume: {
      roleArn: settings.roleArn,
      sizeInGiB: Math.max(storage.sizeGiB, from?.sizeGiB ?? 0),
      volumeType: 'gp3',
      encrypted: true,
      ...(settings.kmsKeyId ? { kmsKeyId: settings.kmsKeyId } : {}),
      ...(from ? { snapshotId: from.snapshotId } : {}),
      filesystemType: DATA_FILESYSTEM_TYPE,
      terminationPolicy: { deleteOnTermination: false },
      tagSpecifications: [{ resourceType: 'volume', tags: dataVolumeTags(owner, settings.dataTag) }],
    },
  };
}

/** The tags of a save's snapshot: the volume's own (workspace and deployment), and the task's ARN. */
export function snapshotTagsFor(volume: DataVolume, taskArn: string | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const key of [
    TAG_KEYS.provisioner,
    TAG_KEYS.workspaceId,
    TAG_KEYS.orgId,
    TAG_KEYS.kind,
    TAG_KEYS.runtime,
  ]) {
    const value = volume.tags[key];
    if (value !== undefined) tags[key] = value;
  }
  if (taskArn) tags[TAG_KEYS.taskArn] = taskArn;
  return tags;
}

/** Completed snapshots beyond the newest `keep`, oldest last: what a save prunes. */
export function snapshotsToPrune(snapshots: readonly DataSnapshot[], keep: number): DataSnapshot[] {
  return snapshots
    .filter((snapshot) => snapshot.state === 'completed')
    .sort((a, b) => b.startedAt - a.startedAt)
    .slice(Math.max(1, keep));
}

/** An ECS task attachment, as DescribeTasks and the task state change event carry it. */
export interface TaskAttachmentLike {
  readonly type?: string;
  readonly details?: ReadonlyArray<{ readonly name?: string; readonly value?: string }>;
}

/** The managed EBS volume of a task (its `AmazonElasticBlockStorage` attachment's `volumeId`). */
export function dataVolumeIdOf(attachments: readonly TaskAttachmentLike[] | undefined): string | undefined {
  for (const attachment of attachments ?? []) {
    if (attachment.type !== EBS_ATTACHMENT_TYPE) continue;
    const volumeId = attachment.details?.find((detail) => detail.name === 'volumeId')?.value;
    if (volumeId) return volumeId;
  }
  return undefined;
}

/** `arn:aws:ec2::us-west-2:snapshot/snap-01234567` -> `snap-01234567`; an id is kept as it is. */
export function ec2ResourceId(arnOrId: string): string {
  const slash = arnOrId.lastIndexOf('/');
  return arnOrId.startsWith('arn:') && slash >= 0 ? arnOrId.slice(slash + 1) : arnOrId;
}
