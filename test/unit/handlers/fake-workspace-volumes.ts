import { TAG_KEYS } from '#contracts/names.ts';
import type {
  DataSnapshot,
  DataVolume,
  DeleteOutcome,
  SnapshotState,
  WorkspaceVolumes,
} from '#ports/workspace-volumes.ts';

/**
 * v1.3: the workspace-volumes port in memory, for the save and erase flows' tests. It keeps EC2's
 * rules that the flows rely on: listings filter by the deployment's and the workspace's tags;
 * an attached (`in-use`) volume cannot be deleted; a `pending` snapshot cannot be deleted
 * (`IncorrectState`); a delete of something gone is `missing`. Tests move volumes and snapshots
 * along by hand (`detach`, `completeSnapshot`), as ECS and EBS would.
 */
export class FakeWorkspaceVolumes implements WorkspaceVolumes {
  readonly volumes = new Map<string, DataVolume>();
  readonly snapshots = new Map<string, DataSnapshot>();
  /** Every CreateSnapshot, in order. */
  readonly created: Array<{ volumeId: string; tags: Record<string, string>; description: string }> = [];
  readonly deletedVolumes: string[] = [];
  readonly deletedSnapshots: string[] = [];
  #next = 1;
  #now: () => number;

  constructor(
    readonly dataTag: string,
    now: () => number = () => Date.parse('2026-03-01T12:00:00Z'),
  ) {
    this.#now = now;
  }

  /** Adds a volume of `workspaceId` tagged as the deployment's launches tag it. */
  addVolume(
    workspaceId: string,
    overrides: Partial<DataVolume> & { readonly extraTags?: Record<string, string> } = {},
  ): DataVolume {
    const { extraTags, ...rest } = overrides;
    const volume: DataVolume = {
      volumeId: `vol-${String(this.#next++).padStart(17, '0')}`,
      state: 'available',
      sizeGiB: 20,
      createdAt: this.#now(),
      tags: {
        [TAG_KEYS.provisioner]: this.dataTag,
        [TAG_KEYS.workspaceId]: workspaceId,
        [TAG_KEYS.orgId]: 'org-1',
        [TAG_KEYS.kind]: 'workspace',
        [TAG_KEYS.runtime]: 'codex',
        ...extraTags,
      },
      ...rest,
    };
    this.volumes.set(volume.volumeId, volume);
    return volume;
  }

  /** Adds a snapshot with the given tags (a save's, unless the test says otherwise). */
  addSnapshot(snapshot: Partial<DataSnapshot> & { readonly tags: Record<string, string> }): DataSnapshot {
    const added: DataSnapshot = {
      snapshotId: `snap-${String(this.#next++).padStart(17, '0')}`,
      state: 'completed',
      sizeGiB: 20,
      startedAt: this.#now(),
      ...snapshot,
    };
    this.snapshots.set(added.snapshotId, added);
    return added;
  }

  /** ECS detached the volume from its stopped task. */
  detach(volumeId: string): void {
    const volume = this.volumes.get(volumeId);
    if (volume) this.volumes.set(volumeId, { ...volume, state: 'available' });
  }

  /** EBS finished the snapshot. */
  completeSnapshot(snapshotId: string, state: SnapshotState = 'completed'): void {
    const snapshot = this.snapshots.get(snapshotId);
    if (snapshot) this.snapshots.set(snapshotId, { ...snapshot, state });
  }

  #ours(tags: Readonly<Record<string, string>>, workspaceId: string): boolean {
    return tags[TAG_KEYS.provisioner] === this.dataTag && tags[TAG_KEYS.workspaceId] === workspaceId;
  }

  async volumesOf(workspaceId: string): Promise<DataVolume[]> {
    return [...this.volumes.values()].filter(
      (volume) => this.#ours(volume.tags, workspaceId) && volume.state !== 'deleted',
    );
  }

  async availableVolumes(): Promise<DataVolume[]> {
    return [...this.volumes.values()].filter(
      (volume) => volume.tags[TAG_KEYS.provisioner] === this.dataTag && volume.state === 'available',
    );
  }

  async snapshotsOf(workspaceId: string): Promise<DataSnapshot[]> {
    return [...this.snapshots.values()].filter((snapshot) => this.#ours(snapshot.tags, workspaceId));
  }

  async describeSnapshot(snapshotId: string): Promise<DataSnapshot | undefined> {
    return this.snapshots.get(snapshotId);
  }

  async describeVolume(volumeId: string): Promise<DataVolume | undefined> {
    return this.volumes.get(volumeId);
  }

  async createSnapshot(
    volumeId: string,
    tags: Readonly<Record<string, string>>,
    description: string,
  ): Promise<string> {
    const volume = this.volumes.get(volumeId);
    if (!volume)
      throw Object.assign(new Error(`The volume '${volumeId}' does not exist.`), {
        name: 'InvalidVolume.NotFound',
      });
    this.created.push({ volumeId, tags: { ...tags }, description });
    return this.addSnapshot({ state: 'pending', volumeId, sizeGiB: volume.sizeGiB, tags: { ...tags } })
      .snapshotId;
  }

  async deleteVolume(volumeId: string): Promise<DeleteOutcome> {
    const volume = this.volumes.get(volumeId);
    if (!volume) return 'missing';
    if (volume.state === 'in-use') return 'in-use';
    this.volumes.delete(volumeId);
    this.deletedVolumes.push(volumeId);
    return 'deleted';
  }

  async deleteSnapshot(snapshotId: string): Promise<DeleteOutcome> {
    const snapshot = this.snapshots.get(snapshotId);
    if (!snapshot) return 'missing';
    if (snapshot.state === 'pending') return 'in-use';
    this.snapshots.delete(snapshotId);
    this.deletedSnapshots.push(snapshotId);
    return 'deleted';
  }
}
