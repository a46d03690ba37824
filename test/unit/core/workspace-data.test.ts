import { describe, expect, it } from 'vitest';
import { loadCatalog } from '#config/catalog.ts';
import { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import { DATA_VOLUME_NAME, WORKSPACE_DATA_PATH_ENV } from '#contracts/names.ts';
import { planLaunch, withDataVolume } from '#core/plan-launch.ts';
import {
  dataVolumeIdOf,
  decideRestore,
  ec2ResourceId,
  latestSnapshot,
  snapshotsToPrune,
  snapshotTagsFor,
  storageOf,
  volumeConfigurationFor,
} from '#core/workspace-data.ts';
import type { DataSnapshot, DataVolume } from '#ports/workspace-volumes.ts';

const catalog = loadCatalog();
const codex = catalog.runtimes.codex;
if (!codex) throw new Error('the catalog has codex');
const owner = { workspaceId: 'ws-1', orgId: 'org-1', kind: 'workspace', runtime: 'codex' };
const settings = { roleArn: 'arn:aws:iam::123456789012:role/infra', dataTag: 'wp-test' };
const request = (overrides: Record<string, unknown> = {}) =>
  ProvisionRequestedDetail.parse({
    requestId: 'r-1',
    workspaceId: 'ws-1',
    orgId: 'org-1',
    runtime: 'codex',
    ...overrides,
  });

const snapshot = (
  snapshotId: string,
  state: DataSnapshot['state'],
  startedAt: number,
  volumeId = 'vol-1',
): DataSnapshot => ({
  snapshotId,
  state,
  sizeGiB: 20,
  startedAt,
  volumeId,
  tags: {},
});
const volume = (volumeId: string, state: DataVolume['state']): DataVolume => ({
  volumeId,
  state,
  sizeGiB: 20,
  tags: {
    'workspace-provisioner': 'wp-test',
    'workspace-id': 'ws-1',
    'org-id': 'org-1',
    kind: 'workspace',
    runtime: 'codex',
  },
});

describe('storageOf', () => {
  it('is undefined for an ephemeral request (no storage, or persistent false)', () => {
    expect(storageOf(request(), codex)).toBeUndefined();
    expect(storageOf(request({ storage: { persistent: false } }), codex)).toBeUndefined();
  });

  it("takes the runtime's data path, and its size unless the request gives one", () => {
    expect(storageOf(request({ storage: { persistent: true } }), codex)).toEqual({
      sizeGiB: 20,
      path: '/workspace',
    });
    expect(storageOf(request({ storage: { persistent: true, sizeGiB: 50 } }), codex)).toEqual({
      sizeGiB: 50,
      path: '/workspace',
    });
  });
});

describe('decideRestore', () => {
  // Each row: the workspace's volumes and snapshots as EC2 lists them, and what a launch does.
  it.each([
    { name: 'a first launch starts empty', volumes: [], snapshots: [], action: 'restore', from: undefined },
    {
      name: 'the newest completed snapshot is restored',
      volumes: [],
      snapshots: [
        snapshot('snap-old', 'completed', 1),
        snapshot('snap-new', 'completed', 3),
        snapshot('snap-mid', 'completed', 2),
      ],
      action: 'restore',
      from: 'snap-new',
    },
    {
      // Data Saved goes out before the volume is deleted: waiting for the deletion orders the launch after it.
      name: 'a saved volume not yet deleted holds the launch until its save is finished',
      volumes: [volume('vol-1', 'available')],
      snapshots: [snapshot('snap-1', 'completed', 5, 'vol-1')],
      action: 'wait',
    },
    {
      name: 'a pending snapshot is waited for',
      volumes: [],
      snapshots: [snapshot('snap-1', 'completed', 1), snapshot('snap-2', 'pending', 2, 'vol-2')],
      action: 'wait',
    },
    {
      name: 'a volume still attached to a stopping task is waited for',
      volumes: [volume('vol-2', 'in-use')],
      snapshots: [snapshot('snap-1', 'completed', 1)],
      action: 'wait',
    },
    {
      name: 'a detached volume whose save has not started is waited for',
      volumes: [volume('vol-2', 'available')],
      snapshots: [],
      action: 'wait',
    },
    {
      name: 'a volume whose only snapshot failed fails the launch',
      volumes: [volume('vol-2', 'available')],
      snapshots: [snapshot('snap-1', 'completed', 1), snapshot('snap-2', 'error', 2, 'vol-2')],
      action: 'fail',
    },
    {
      name: 'a volume being deleted is gone already',
      volumes: [volume('vol-2', 'deleting')],
      snapshots: [snapshot('snap-1', 'completed', 1)],
      action: 'restore',
      from: 'snap-1',
    },
  ])('$name', ({ volumes, snapshots, action, from }) => {
    const decision = decideRestore(volumes as DataVolume[], snapshots as DataSnapshot[]);
    expect(decision.action).toBe(action);
    if (decision.action === 'restore') expect(decision.snapshot?.snapshotId).toBe(from);
    if (decision.action === 'fail') {
      expect(decision.code).toBe('DATA_SAVE_FAILED');
      expect(decision.reason).toContain('vol-2');
    }
  });
});

describe('volumeConfigurationFor', () => {
  it('asks for an encrypted gp3 ext4 volume kept after the task, tagged for the deployment and the workspace', () => {
    const configuration = volumeConfigurationFor({ sizeGiB: 30, path: '/workspace' }, undefined, owner, {
      ...settings,
      kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k',
    });
    expect(configuration).toEqual({
      name: DATA_VOLUME_NAME,
      managedEBSVolume: {
        roleArn: settings.roleArn,
        sizeInGiB: 30,
        volumeType: 'gp3',
        encrypted: true,
        kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k',
        filesystemType: 'ext4',
        terminationPolicy: { deleteOnTermination: false },
        tagSpecifications: [
          {
            resourceType: 'volume',
            tags: [
              { key: 'workspace-provisioner', value: 'wp-test' },
              { key: 'workspace-id', value: 'ws-1' },
              { key: 'org-id', value: 'org-1' },
              { key: 'kind', value: 'workspace' },
              { key: 'runtime', value: 'codex' },
            ],
          },
        ],
      },
    });
  });

  it('restores from the snapshot, never into a smaller volume than the snapshot', () => {
    const from = { ...snapshot('snap-9', 'completed', 1), sizeGiB: 40 };
    const configuration = volumeConfigurationFor({ sizeGiB: 30, path: '/workspace' }, from, owner, settings);
    expect(configuration.managedEBSVolume.snapshotId).toBe('snap-9');
    expect(configuration.managedEBSVolume.sizeInGiB).toBe(40);
    expect(
      volumeConfigurationFor({ sizeGiB: 60, path: '/w' }, from, owner, settings).managedEBSVolume.sizeInGiB,
    ).toBe(60);
  });
});

describe('the plan of a persistent workspace', () => {
  const target = { cluster: 'workspaces', subnets: ['subnet-a'], securityGroups: ['sg-1'] };

  it('sets WORKSPACE_DATA_PATH on the workspace container and carries the data volume', () => {
    const plan = planLaunch(request({ storage: { persistent: true } }), catalog, target);
    const environment = plan.runTaskInput.overrides.containerOverrides[0]?.environment ?? [];
    expect(environment).toContainEqual({ name: WORKSPACE_DATA_PATH_ENV, value: '/workspace' });
    expect(plan.runTaskInput.volumeConfigurations).toBeUndefined();
    const configuration = volumeConfigurationFor(
      { sizeGiB: 20, path: '/workspace' },
      undefined,
      owner,
      settings,
    );
    expect(withDataVolume(plan, configuration).runTaskInput.volumeConfigurations).toEqual([configuration]);
  });

  it('leaves an ephemeral workspace without either', () => {
    const plan = planLaunch(request(), catalog, target);
    const names = plan.runTaskInput.overrides.containerOverrides[0]?.environment?.map((pair) => pair.name);
    expect(names).not.toContain(WORKSPACE_DATA_PATH_ENV);
    expect(plan.runTaskInput.volumeConfigurations).toBeUndefined();
  });

  it('refuses WORKSPACE_DATA_PATH in a request env: the system sets it', () => {
    const parsed = ProvisionRequestedDetail.safeParse({
      requestId: 'r-1',
      workspaceId: 'ws-1',
      orgId: 'org-1',
      runtime: 'codex',
      env: { WORKSPACE_DATA_PATH: '/x' },
    });
    expect(parsed.success).toBe(false);
  });
});

describe('saves and pruning', () => {
  it("tags a save's snapshot as its volume, plus the task", () => {
    expect(snapshotTagsFor(volume('vol-1', 'available'), 'arn:aws:ecs:us-east-1:1:task/c/t')).toEqual({
      'workspace-provisioner': 'wp-test',
      'workspace-id': 'ws-1',
      'org-id': 'org-1',
      kind: 'workspace',
      runtime: 'codex',
      'task-arn': 'arn:aws:ecs:us-east-1:1:task/c/t',
    });
  });

  it('prunes completed snapshots beyond the newest `keep`, never the latest', () => {
    const snapshots = [1, 5, 3, 4, 2].map((at) => snapshot(`snap-${at}`, 'completed', at));
    expect(snapshotsToPrune(snapshots, 3).map((s) => s.snapshotId)).toEqual(['snap-2', 'snap-1']);
    expect(
      snapshotsToPrune([...snapshots, snapshot('snap-p', 'pending', 9)], 0).map((s) => s.snapshotId),
    ).not.toContain('snap-5');
    expect(latestSnapshot(snapshots)?.snapshotId).toBe('snap-5');
  });

  it("reads a task's EBS attachment's volumeId (shape of ECS's attachments, AWS CLI ecs start-task example)", () => {
    expect(
      dataVolumeIdOf([
        { type: 'ElasticNetworkInterface', details: [{ name: 'privateIPv4Address', value: '10.0.0.1' }] },
        {
          type: 'AmazonElasticBlockStorage',
          details: [
            { name: 'roleArn', value: 'arn:aws:iam::1:role/r' },
            { name: 'volumeName', value: 'workspace-data' },
            { name: 'deleteOnTermination', value: 'false' },
            { name: 'volumeId', value: 'vol-0123' },
          ],
        },
      ]),
    ).toBe('vol-0123');
    expect(
      dataVolumeIdOf([{ type: 'AmazonElasticBlockStorage', details: [{ name: 'volumeName', value: 'x' }] }]),
    ).toBeUndefined();
    expect(dataVolumeIdOf(undefined)).toBeUndefined();
  });

  it("reads ids out of EBS's ARNs (EBS Snapshot Notification's snapshot_id and source)", () => {
    expect(ec2ResourceId('arn:aws:ec2::us-west-2:snapshot/snap-01234567')).toBe('snap-01234567');
    expect(ec2ResourceId('arn:aws:ec2::us-west-2:volume/vol-01234567')).toBe('vol-01234567');
    expect(ec2ResourceId('snap-1')).toBe('snap-1');
  });
});
