/**
 * v1.3: the workspace-volumes port over the EC2 API (decision 020): the data volumes ECS creates
 * for persistent workspaces and the snapshots their saves take. It talks to EC2 on AWS and to the
 * local stack's EC2 Query endpoint alike, through the same `EC2Client`.
 *
 * Every listing is filtered by the deployment's tag (`workspace-provisioner` = `dataTag`) and the
 * workspace's (`workspace-id`), so one deployment never sees another's volumes or snapshots.
 */
import {
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  type EC2Client,
  type Filter,
  type Snapshot,
  type Tag,
  type Volume,
} from '@aws-sdk/client-ec2';
import { TAG_KEYS } from '#contracts/names.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import type {
  DataSnapshot,
  DataVolume,
  DeleteOutcome,
  SnapshotState,
  VolumeState,
  WorkspaceVolumes,
} from '#ports/workspace-volumes.ts';
import { DEFAULT_DATA_TAG } from '#wiring/names.ts';
import { Ec2ResponseError } from './errors.ts';

/** The deployment's data tag (`workspace-provisioner` = it) from the handler settings. */
export const dataTagOf = (settings: Pick<HandlerSettings, 'dataVolumes'>): string =>
  settings.dataVolumes?.dataTag ?? DEFAULT_DATA_TAG;

/** The workspace volumes over a handler's EC2 client, listed by the deployment's data tag. */
export const workspaceVolumesOf = (ports: {
  readonly ec2: EC2Client;
  readonly settings: Pick<HandlerSettings, 'dataVolumes'>;
}): WorkspaceVolumes => new Ec2WorkspaceVolumes(ports.ec2, { dataTag: dataTagOf(ports.settings) });

/** Options of {@link Ec2WorkspaceVolumes}. */
export interface Ec2WorkspaceVolumesOptions {
  /** The value of the `workspace-provisioner` tag on this deployment's volumes and snapshots. */
  readonly dataTag: string;
}

/**
 * EC2's error codes for a resource that is already gone (EC2 API Reference, "Error codes for the
 * Amazon EC2 API": `InvalidVolume.NotFound`, `InvalidSnapshot.NotFound`).
 */
export const NOT_FOUND_ERROR_CODES: ReadonlySet<string> = new Set([
  'InvalidVolume.NotFound',
  'InvalidSnapshot.NotFound',
]);

/**
 * EC2's error codes for a resource that cannot be deleted yet (same reference): a volume still
 * attached (`VolumeInUse`), a snapshot in use (`InvalidSnapshot.InUse`), a resource in a state that
 * does not allow the request (`IncorrectState`, e.g. a snapshot still `pending`).
 */
export const IN_USE_ERROR_CODES: ReadonlySet<string> = new Set([
  'VolumeInUse',
  'InvalidSnapshot.InUse',
  'IncorrectState',
]);

const VOLUME_STATES: ReadonlySet<string> = new Set<VolumeState>([
  'creating',
  'available',
  'in-use',
  'deleting',
  'deleted',
  'error',
]);
const SNAPSHOT_STATES: ReadonlySet<string> = new Set<SnapshotState>([
  'pending',
  'completed',
  'error',
  'recoverable',
  'recovering',
]);

/** The error code the SDK gives a failed EC2 call (the Query protocol's `Code`, as the error's name). */
function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, Code } = error as { name?: unknown; Code?: unknown };
  if (typeof Code === 'string') return Code;
  return typeof name === 'string' ? name : undefined;
}

function tagsOf(tags: readonly Tag[] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key && tag.Value !== undefined) result[tag.Key] = tag.Value;
  return result;
}

/** EC2's Volume as the port's; undefined without an id, an unknown state, or deleted. */
export function dataVolumeOf(volume: Volume): DataVolume | undefined {
  if (!volume.VolumeId || !volume.State || !VOLUME_STATES.has(volume.State)) return undefined;
  const state = volume.State as VolumeState;
  if (state === 'deleted') return undefined;
  return {
    volumeId: volume.VolumeId,
    state,
    sizeGiB: volume.Size ?? 0,
    ...(volume.CreateTime ? { createdAt: volume.CreateTime.getTime() } : {}),
    tags: tagsOf(volume.Tags),
  };
}

/** EC2's Snapshot as the port's; undefined without an id or with an unknown state. */
export function dataSnapshotOf(snapshot: Snapshot): DataSnapshot | undefined {
  if (!snapshot.SnapshotId || !snapshot.State || !SNAPSHOT_STATES.has(snapshot.State)) return undefined;
  return {
    snapshotId: snapshot.SnapshotId,
    state: snapshot.State as SnapshotState,
    sizeGiB: snapshot.VolumeSize ?? 0,
    startedAt: snapshot.StartTime?.getTime() ?? 0,
    ...(snapshot.VolumeId ? { volumeId: snapshot.VolumeId } : {}),
    ...(snapshot.StateMessage ? { stateMessage: snapshot.StateMessage } : {}),
    tags: tagsOf(snapshot.Tags),
  };
}

/** {@link WorkspaceVolumes} over EC2's DescribeVolumes, DescribeSnapshots, CreateSnapshot and deletes. */
export class Ec2WorkspaceVolumes implements WorkspaceVolumes {
  readonly #client: EC2Client;
  readonly #dataTag: string;

  constructor(client: EC2Client, options: Ec2WorkspaceVolumesOptions) {
    this.#client = client;
    this.#dataTag = options.dataTag;
  }

  #filtersFor(workspaceId: string): Filter[] {
    return [
      { Name: `tag:${TAG_KEYS.provisioner}`, Values: [this.#dataTag] },
      { Name: `tag:${TAG_KEYS.workspaceId}`, Values: [workspaceId] },
    ];
  }

  volumesOf(workspaceId: string): Promise<DataVolume[]> {
    return this.#volumesWhere(this.#filtersFor(workspaceId));
  }

  availableVolumes(): Promise<DataVolume[]> {
    // `status` is one of DescribeVolumes' filters (EC2 API Reference, DescribeVolumes "Filter.N"):
    // EC2 leaves out the attached volumes, which are most of them.
    return this.#volumesWhere([
      { Name: `tag:${TAG_KEYS.provisioner}`, Values: [this.#dataTag] },
      { Name: 'status', Values: ['available'] },
    ]);
  }

  async #volumesWhere(filters: Filter[]): Promise<DataVolume[]> {
    const volumes: DataVolume[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#client.send(
        new DescribeVolumesCommand({
          Filters: filters,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      for (const volume of page.Volumes ?? []) {
        const mapped = dataVolumeOf(volume);
        if (mapped) volumes.push(mapped);
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return volumes;
  }

  async snapshotsOf(workspaceId: string): Promise<DataSnapshot[]> {
    const snapshots: DataSnapshot[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#client.send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: this.#filtersFor(workspaceId),
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      for (const snapshot of page.Snapshots ?? []) {
        const mapped = dataSnapshotOf(snapshot);
        if (mapped) snapshots.push(mapped);
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return snapshots;
  }

  describeSnapshot(snapshotId: string): Promise<DataSnapshot | undefined> {
    return undefinedWhenGone(async () => {
      const page = await this.#client.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
      const found = page.Snapshots?.find((snapshot) => snapshot.SnapshotId === snapshotId);
      return found ? dataSnapshotOf(found) : undefined;
    });
  }

  describeVolume(volumeId: string): Promise<DataVolume | undefined> {
    return undefinedWhenGone(async () => {
      const page = await this.#client.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
      const found = page.Volumes?.find((volume) => volume.VolumeId === volumeId);
      return found ? dataVolumeOf(found) : undefined;
    });
  }

  async createSnapshot(
    volumeId: string,
    tags: Readonly<Record<string, string>>,
    description: string,
  ): Promise<string> {
    const created = await this.#client.send(
      new CreateSnapshotCommand({
        VolumeId: volumeId,
        Description: description,
        TagSpecifications: [
          {
            ResourceType: 'snapshot',
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          },
        ],
      }),
    );
    if (!created.SnapshotId)
      throw new Ec2ResponseError(`CreateSnapshot of ${volumeId} returned no snapshot id`);
    return created.SnapshotId;
  }

  async deleteVolume(volumeId: string): Promise<DeleteOutcome> {
    return deleteOutcomeOf(() => this.#client.send(new DeleteVolumeCommand({ VolumeId: volumeId })));
  }

  async deleteSnapshot(snapshotId: string): Promise<DeleteOutcome> {
    return deleteOutcomeOf(() => this.#client.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })));
  }
}

/** Runs a describe by id; a resource EC2 says is gone (its NotFound code) is undefined. */
async function undefinedWhenGone<T>(describe: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await describe();
  } catch (error) {
    if (NOT_FOUND_ERROR_CODES.has(errorCodeOf(error) ?? '')) return undefined;
    throw error;
  }
}

/** Runs a delete; a resource already gone is `missing`, one still in use is `in-use`. */
async function deleteOutcomeOf(send: () => Promise<unknown>): Promise<DeleteOutcome> {
  try {
    await send();
    return 'deleted';
  } catch (error) {
    const code = errorCodeOf(error) ?? '';
    if (NOT_FOUND_ERROR_CODES.has(code)) return 'missing';
    if (IN_USE_ERROR_CODES.has(code)) return 'in-use';
    throw error;
  }
}
