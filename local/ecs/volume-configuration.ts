/**
 * RunTask's `volumeConfigurations` (v1.3), checked as ECS checks them and kept as the task's one
 * managed EBS volume request. The rules and their sources (ECS API Reference):
 *
 * - `Volume`: "only one volume configured at launch is supported", so at most one entry;
 * - `TaskVolumeConfiguration`: `name` "must match the volume name from the Volume object in the task
 *   definition" (ECS answers `Volume configuration provided but no matching configuredAtLaunch volume
 *   found in task definition.`); `managedEBSVolume` is optional, and without it no volume is made;
 * - `TaskManagedEBSVolumeConfiguration`: `roleArn` required; "You must specify either a volume size
 *   or a snapshot ID", the snapshot's size being the default; sizes per volume type (`gp2`/`gp3`
 *   1-16,384, `io1`/`io2` 4-16,384, `st1`/`sc1` 125-16,384), "The magnetic volume type is not
 *   supported on Fargate"; `iops` "is required for io1 and io2"; `filesystemType` one of `ext3`,
 *   `ext4`, `xfs` (`xfs` by default); `encrypted` on by default;
 * - `TaskManagedEBSVolumeTerminationPolicy`: `deleteOnTermination` defaults to true;
 * - `EBSTagSpecification`: `resourceType` `volume`; `AmazonECSCreated` and `AmazonECSManaged` "are
 *   reserved tags that can't be used".
 *
 * A task definition volume `configuredAtLaunch` without a volume configuration is accepted: the task
 * runs without a volume, as an ephemeral workspace must. The AWS documentation found does not say
 * what ECS does then; it makes `volumeConfigurations` and `managedEBSVolume` optional and calls
 * `configuredAtLaunch` a way to keep task definitions "not constrained to a specific data volume
 * type", which is what this follows. To be confirmed against a real ECS.
 */
import { AwsApiError } from '../wire/errors.ts';
import {
  optionalBoolean,
  optionalList,
  optionalNumber,
  optionalString,
  optionalStructure,
  type WireObject,
  wireObject,
} from '../wire/wire-input.ts';
import type { EcsTaskDefinition } from './task-definitions.ts';

/** The managed EBS volume a RunTask asks for, with ECS's defaults filled in. */
export interface TaskDataVolumeRequest {
  /** The task definition volume it fills. */
  readonly name: string;
  readonly roleArn: string;
  /** Absent when the snapshot's size is to be used. */
  readonly sizeInGiB?: number;
  readonly snapshotId?: string;
  /** @default 'gp3' */
  readonly volumeType: string;
  /** @default 'xfs' */
  readonly filesystemType: string;
  /** @default true */
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
  /** The `volume` tag specification's tags. */
  readonly tags: Readonly<Record<string, string>>;
  /** @default true */
  readonly deleteOnTermination: boolean;
}

/** Whether a snapshot can be restored: the local EBS store's answer. */
export interface SnapshotCheck {
  snapshotUsable(snapshotId: string): boolean;
}

/** ECS's answer for a volume configuration naming no `configuredAtLaunch` volume of the task definition. */
export const NO_MATCHING_VOLUME_MESSAGE =
  'Volume configuration provided but no matching configuredAtLaunch volume found in task definition.';

/** Size limits per volume type, in GiB (TaskManagedEBSVolumeConfiguration `sizeInGiB`). */
export const VOLUME_SIZE_LIMITS: Readonly<Record<string, { readonly min: number; readonly max: number }>> = {
  gp2: { min: 1, max: 16_384 },
  gp3: { min: 1, max: 16_384 },
  io1: { min: 4, max: 16_384 },
  io2: { min: 4, max: 16_384 },
  st1: { min: 125, max: 16_384 },
  sc1: { min: 125, max: 16_384 },
};

const FILESYSTEM_TYPES = new Set(['ext3', 'ext4', 'xfs']);
const RESERVED_VOLUME_TAGS = new Set(['AmazonECSCreated', 'AmazonECSManaged']);

const invalid = (message: string): AwsApiError => new AwsApiError('InvalidParameterException', message);

function parseVolumeTags(managed: WireObject): Record<string, string> {
  const tags: Record<string, string> = {};
  const specifications = optionalList(managed, 'tagSpecifications') ?? [];
  for (const [index, item] of specifications.entries()) {
    const specification = wireObject(item, `managedEBSVolume.tagSpecifications.${index + 1}`);
    const resourceType = optionalString(specification, 'resourceType');
    if (resourceType !== 'volume') {
      throw invalid(
        `Invalid resourceType ${JSON.stringify(resourceType ?? '')}: the only valid value is volume.`,
      );
    }
    optionalString(specification, 'propagateTags');
    for (const [tagIndex, tagItem] of (optionalList(specification, 'tags') ?? []).entries()) {
      const tag = wireObject(tagItem, `managedEBSVolume.tagSpecifications.${index + 1}.tags.${tagIndex + 1}`);
      const key = optionalString(tag, 'key');
      if (!key || key.length > 128) throw invalid('Tag keys must be 1 to 128 characters long.');
      if (RESERVED_VOLUME_TAGS.has(key) || key.toLowerCase().startsWith('aws:')) {
        throw invalid(`Tag key "${key}" is reserved and can't be used on a volume.`);
      }
      tags[key] = optionalString(tag, 'value') ?? '';
    }
  }
  return tags;
}

function checkSize(sizeInGiB: number | undefined, volumeType: string, snapshotId: string | undefined): void {
  if (sizeInGiB === undefined) {
    if (snapshotId === undefined) throw invalid('You must specify either a volume size or a snapshot ID.');
    return;
  }
  const limits = VOLUME_SIZE_LIMITS[volumeType] as { min: number; max: number };
  if (!Number.isInteger(sizeInGiB) || sizeInGiB < limits.min || sizeInGiB > limits.max) {
    throw invalid(
      `The size of a ${volumeType} volume must be between ${limits.min} and ${limits.max} GiB; got ${sizeInGiB}.`,
    );
  }
}

/**
 * The managed EBS volume RunTask's `volumeConfigurations` asks for, or `undefined` when it asks for
 * none.
 *
 * @throws AwsApiError `InvalidParameterException` where ECS refuses the configuration (see the file's
 *   TSDoc), also for a `snapshotId` that `snapshots` says cannot be restored.
 */
export function parseVolumeConfigurations(
  request: WireObject,
  definition: EcsTaskDefinition,
  snapshots: SnapshotCheck | undefined,
): TaskDataVolumeRequest | undefined {
  const configurations = optionalList(request, 'volumeConfigurations') ?? [];
  if (configurations.length === 0) return undefined;
  if (configurations.length > 1) {
    throw invalid(
      `Only one volume configured at launch is supported; got ${configurations.length} volume configurations.`,
    );
  }
  const configuration = wireObject(configurations[0], 'volumeConfigurations.1');
  const name = optionalString(configuration, 'name');
  if (name === undefined || definition.dataVolume === undefined || definition.dataVolume.name !== name) {
    throw invalid(NO_MATCHING_VOLUME_MESSAGE);
  }
  const managed = optionalStructure(configuration, 'managedEBSVolume');
  if (managed === undefined) return undefined;

  const roleArn = optionalString(managed, 'roleArn');
  if (!roleArn) throw invalid('roleArn can not be blank.');
  const volumeType = optionalString(managed, 'volumeType') ?? 'gp3';
  if (volumeType === 'standard') throw invalid('The magnetic volume type is not supported on Fargate.');
  if (VOLUME_SIZE_LIMITS[volumeType] === undefined) {
    throw invalid(`Invalid volumeType ${JSON.stringify(volumeType)}: one of gp2, gp3, io1, io2, st1, sc1.`);
  }
  if ((volumeType === 'io1' || volumeType === 'io2') && optionalNumber(managed, 'iops') === undefined) {
    throw invalid(`iops is required for ${volumeType} volumes.`);
  }
  const sizeInGiB = optionalNumber(managed, 'sizeInGiB');
  const snapshotId = optionalString(managed, 'snapshotId');
  checkSize(sizeInGiB, volumeType, snapshotId);
  const filesystemType = optionalString(managed, 'filesystemType') ?? 'xfs';
  if (!FILESYSTEM_TYPES.has(filesystemType)) {
    throw invalid(`Invalid filesystemType ${JSON.stringify(filesystemType)}: one of ext3, ext4, xfs.`);
  }
  const terminationPolicy = optionalStructure(managed, 'terminationPolicy');
  const deleteOnTermination =
    terminationPolicy === undefined
      ? true
      : (optionalBoolean(terminationPolicy, 'deleteOnTermination') ?? true);
  const kmsKeyId = optionalString(managed, 'kmsKeyId');
  optionalNumber(managed, 'throughput');
  optionalNumber(managed, 'volumeInitializationRate');
  const tags = parseVolumeTags(managed);
  if (snapshotId !== undefined && snapshots !== undefined && !snapshots.snapshotUsable(snapshotId)) {
    throw invalid(`The snapshot ${snapshotId} does not exist or is not completed.`);
  }
  return {
    name,
    roleArn,
    ...(sizeInGiB !== undefined ? { sizeInGiB } : {}),
    ...(snapshotId !== undefined ? { snapshotId } : {}),
    volumeType,
    filesystemType,
    encrypted: optionalBoolean(managed, 'encrypted') ?? true,
    ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
    tags,
    deleteOnTermination,
  };
}
