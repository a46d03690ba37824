/**
 * v1.3: the workspace-volumes port: the EBS volumes and snapshots that hold persistent workspaces'
 * data (decision 020). `adapters/ec2-workspace-volumes.ts` implements it with the EC2 API, on AWS
 * and against the local stack's EC2 endpoint alike; this file stays SDK-free so the flows can be
 * tested over a fake.
 *
 * Every volume and snapshot of the system carries the tag `workspace-provisioner` (its value the
 * deployment's `dataTag`) and `workspace-id`: the listings below return only those, and the
 * deployment's IAM lets the functions snapshot and delete nothing else.
 */

/** EC2's volume states (EC2 API Reference, Volume `State`). */
export type VolumeState = 'creating' | 'available' | 'in-use' | 'deleting' | 'deleted' | 'error';
/** EC2's snapshot states (EC2 API Reference, Snapshot `State`). */
export type SnapshotState = 'pending' | 'completed' | 'error' | 'recoverable' | 'recovering';

export interface DataVolume {
  readonly volumeId: string;
  readonly state: VolumeState;
  readonly sizeGiB: number;
  /** Epoch ms. */
  readonly createdAt?: number;
  readonly tags: Readonly<Record<string, string>>;
}

export interface DataSnapshot {
  readonly snapshotId: string;
  readonly state: SnapshotState;
  /** The size of the volume it was taken from. */
  readonly sizeGiB: number;
  /** Epoch ms at which the snapshot was started: the order of a workspace's saves. */
  readonly startedAt: number;
  /** The volume it was taken from (EC2's `VolumeId`). */
  readonly volumeId?: string;
  /** EC2's `StateMessage`, for a snapshot in `error`. */
  readonly stateMessage?: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** What a delete found: done, already gone, or still attached (a volume) / in use (a snapshot). */
export type DeleteOutcome = 'deleted' | 'missing' | 'in-use';

export interface WorkspaceVolumes {
  /** The workspace's volumes (by its `workspace-id` and this deployment's tag), deleted ones excluded. */
  volumesOf(workspaceId: string): Promise<DataVolume[]>;
  /**
   * Every volume of this deployment (by its tag) attached to nothing (`available`), across
   * workspaces: what the sweep looks through for saves that never finished.
   */
  availableVolumes(): Promise<DataVolume[]>;
  /** The workspace's snapshots (by its `workspace-id` and this deployment's tag), any state. */
  snapshotsOf(workspaceId: string): Promise<DataSnapshot[]>;
  /** One snapshot, or undefined when it does not exist (any more). */
  describeSnapshot(snapshotId: string): Promise<DataSnapshot | undefined>;
  /** One volume, or undefined when it does not exist (any more). */
  describeVolume(volumeId: string): Promise<DataVolume | undefined>;
  /** Starts a snapshot of the volume with these tags; its completion is announced on the default bus. */
  createSnapshot(
    volumeId: string,
    tags: Readonly<Record<string, string>>,
    description: string,
  ): Promise<string>;
  deleteVolume(volumeId: string): Promise<DeleteOutcome>;
  deleteSnapshot(snapshotId: string): Promise<DeleteOutcome>;
}
