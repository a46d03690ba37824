import {
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { Ec2WorkspaceVolumes } from '#adapters/ec2-workspace-volumes.ts';
import { TAG_KEYS } from '#contracts/names.ts';
import { ec2WithMock, serviceError } from '../handlers/harness.ts';

const DATA_TAG = 'deployment-a';
const CREATED = new Date('2026-03-01T12:00:00Z');
const STARTED = new Date('2026-03-01T12:05:00Z');

function setup() {
  const { ec2, ec2Mock } = ec2WithMock();
  return { ec2Mock, volumes: new Ec2WorkspaceVolumes(ec2, { dataTag: DATA_TAG }) };
}

const workspaceFilters = (workspaceId: string) => [
  { Name: `tag:${TAG_KEYS.provisioner}`, Values: [DATA_TAG] },
  { Name: `tag:${TAG_KEYS.workspaceId}`, Values: [workspaceId] },
];

describe('Ec2WorkspaceVolumes listings', () => {
  it('lists the workspace volumes by the deployment and workspace tags, page after page', async () => {
    const { volumes, ec2Mock } = setup();
    ec2Mock
      .on(DescribeVolumesCommand)
      .resolvesOnce({
        Volumes: [
          {
            VolumeId: 'vol-1',
            State: 'available',
            Size: 20,
            CreateTime: CREATED,
            Tags: [{ Key: TAG_KEYS.workspaceId, Value: 'ws-1' }],
          },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        Volumes: [
          { VolumeId: 'vol-2', State: 'in-use', Size: 30 },
          { VolumeId: 'vol-3', State: 'deleted', Size: 30 },
        ],
      });

    await expect(volumes.volumesOf('ws-1')).resolves.toEqual([
      {
        volumeId: 'vol-1',
        state: 'available',
        sizeGiB: 20,
        createdAt: CREATED.getTime(),
        tags: { [TAG_KEYS.workspaceId]: 'ws-1' },
      },
      { volumeId: 'vol-2', state: 'in-use', sizeGiB: 30, tags: {} },
    ]);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeVolumesCommand, 2);
    expect(ec2Mock).toHaveReceivedNthCommandWith(DescribeVolumesCommand, 1, {
      Filters: workspaceFilters('ws-1'),
    });
    expect(ec2Mock).toHaveReceivedNthCommandWith(DescribeVolumesCommand, 2, {
      Filters: workspaceFilters('ws-1'),
      NextToken: 'page-2',
    });
  });

  it("lists the deployment's unattached volumes across workspaces, by its tag and EC2's status filter, page after page", async () => {
    const { volumes, ec2Mock } = setup();
    ec2Mock
      .on(DescribeVolumesCommand)
      .resolvesOnce({
        Volumes: [{ VolumeId: 'vol-1', State: 'available', Size: 20, CreateTime: CREATED }],
        NextToken: 'page-2',
      })
      .resolvesOnce({ Volumes: [{ VolumeId: 'vol-2', State: 'available', Size: 30 }] });

    await expect(volumes.availableVolumes()).resolves.toEqual([
      { volumeId: 'vol-1', state: 'available', sizeGiB: 20, createdAt: CREATED.getTime(), tags: {} },
      { volumeId: 'vol-2', state: 'available', sizeGiB: 30, tags: {} },
    ]);
    // DescribeVolumes' `status` filter (EC2 API Reference, DescribeVolumes "Filter.N": status,
    // creating | available | in-use | deleting | deleted | error).
    const filters = [
      { Name: `tag:${TAG_KEYS.provisioner}`, Values: [DATA_TAG] },
      { Name: 'status', Values: ['available'] },
    ];
    expect(ec2Mock).toHaveReceivedNthCommandWith(DescribeVolumesCommand, 1, { Filters: filters });
    expect(ec2Mock).toHaveReceivedNthCommandWith(DescribeVolumesCommand, 2, {
      Filters: filters,
      NextToken: 'page-2',
    });
  });

  it('lists the workspace snapshots owned by the account, page after page', async () => {
    const { volumes, ec2Mock } = setup();
    ec2Mock
      .on(DescribeSnapshotsCommand)
      .resolvesOnce({
        Snapshots: [
          {
            SnapshotId: 'snap-1',
            State: 'completed',
            VolumeSize: 20,
            StartTime: STARTED,
            VolumeId: 'vol-1',
            Tags: [{ Key: TAG_KEYS.taskArn, Value: 'arn:task' }],
          },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        Snapshots: [
          { SnapshotId: 'snap-2', State: 'error', VolumeSize: 20, StartTime: STARTED, StateMessage: 'boom' },
        ],
      });

    await expect(volumes.snapshotsOf('ws-1')).resolves.toEqual([
      {
        snapshotId: 'snap-1',
        state: 'completed',
        sizeGiB: 20,
        startedAt: STARTED.getTime(),
        volumeId: 'vol-1',
        tags: { [TAG_KEYS.taskArn]: 'arn:task' },
      },
      {
        snapshotId: 'snap-2',
        state: 'error',
        sizeGiB: 20,
        startedAt: STARTED.getTime(),
        stateMessage: 'boom',
        tags: {},
      },
    ]);
    expect(ec2Mock).toHaveReceivedNthCommandWith(DescribeSnapshotsCommand, 1, {
      OwnerIds: ['self'],
      Filters: workspaceFilters('ws-1'),
    });
    expect(ec2Mock).toHaveReceivedNthCommandWith(DescribeSnapshotsCommand, 2, {
      OwnerIds: ['self'],
      Filters: workspaceFilters('ws-1'),
      NextToken: 'page-2',
    });
  });
});

describe('Ec2WorkspaceVolumes describe by id', () => {
  it('describes one snapshot and one volume', async () => {
    const { volumes, ec2Mock } = setup();
    ec2Mock.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-1'] }).resolves({
      Snapshots: [{ SnapshotId: 'snap-1', State: 'pending', VolumeSize: 25, StartTime: STARTED }],
    });
    ec2Mock.on(DescribeVolumesCommand, { VolumeIds: ['vol-1'] }).resolves({
      Volumes: [{ VolumeId: 'vol-1', State: 'in-use', Size: 25 }],
    });

    await expect(volumes.describeSnapshot('snap-1')).resolves.toMatchObject({
      snapshotId: 'snap-1',
      state: 'pending',
      sizeGiB: 25,
    });
    await expect(volumes.describeVolume('vol-1')).resolves.toMatchObject({
      volumeId: 'vol-1',
      state: 'in-use',
      sizeGiB: 25,
    });
  });

  // EC2 API Reference, "Error codes for the Amazon EC2 API" (client error codes for specific
  // actions), https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html: a
  // Describe* call naming an id that does not exist fails with `Invalid<Resource>.NotFound`.
  const notFound: ReadonlyArray<[string, 'describeSnapshot' | 'describeVolume', string, string]> = [
    ['snapshot', 'describeSnapshot', 'snap-gone', 'InvalidSnapshot.NotFound'],
    ['volume', 'describeVolume', 'vol-gone', 'InvalidVolume.NotFound'],
  ];
  it.each(notFound)('a %s that does not exist is undefined (%s, %s)', async (_what, method, id, code) => {
    const { volumes, ec2Mock } = setup();
    ec2Mock.on(DescribeSnapshotsCommand).rejects(serviceError(code, `The ${id} does not exist.`));
    ec2Mock.on(DescribeVolumesCommand).rejects(serviceError(code, `The ${id} does not exist.`));
    await expect(volumes[method](id)).resolves.toBeUndefined();
  });

  it('passes any other error through', async () => {
    const { volumes, ec2Mock } = setup();
    ec2Mock.on(DescribeVolumesCommand).rejects(serviceError('UnauthorizedOperation', 'denied', 403));
    await expect(volumes.describeVolume('vol-1')).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
  });
});

describe('Ec2WorkspaceVolumes.createSnapshot', () => {
  it('snapshots the volume with its tags on the snapshot', async () => {
    const { volumes, ec2Mock } = setup();
    ec2Mock.on(CreateSnapshotCommand).resolves({ SnapshotId: 'snap-9', State: 'pending' });

    await expect(
      volumes.createSnapshot(
        'vol-1',
        { [TAG_KEYS.workspaceId]: 'ws-1', [TAG_KEYS.taskArn]: 'arn:t' },
        'save',
      ),
    ).resolves.toBe('snap-9');
    expect(ec2Mock).toHaveReceivedCommandWith(CreateSnapshotCommand, {
      VolumeId: 'vol-1',
      Description: 'save',
      TagSpecifications: [
        {
          ResourceType: 'snapshot',
          Tags: [
            { Key: TAG_KEYS.workspaceId, Value: 'ws-1' },
            { Key: TAG_KEYS.taskArn, Value: 'arn:t' },
          ],
        },
      ],
    });
  });

  it('fails when EC2 answers without a snapshot id', async () => {
    const { volumes, ec2Mock } = setup();
    ec2Mock.on(CreateSnapshotCommand).resolves({});
    await expect(volumes.createSnapshot('vol-1', {}, 'save')).rejects.toMatchObject({
      name: 'Ec2ResponseError',
    });
  });
});

describe('Ec2WorkspaceVolumes deletes', () => {
  it('reports a delete that went through', async () => {
    const { volumes, ec2Mock } = setup();
    ec2Mock.on(DeleteVolumeCommand).resolves({});
    ec2Mock.on(DeleteSnapshotCommand).resolves({});
    await expect(volumes.deleteVolume('vol-1')).resolves.toBe('deleted');
    await expect(volumes.deleteSnapshot('snap-1')).resolves.toBe('deleted');
    expect(ec2Mock).toHaveReceivedCommandWith(DeleteVolumeCommand, { VolumeId: 'vol-1' });
    expect(ec2Mock).toHaveReceivedCommandWith(DeleteSnapshotCommand, { SnapshotId: 'snap-1' });
  });

  // EC2 API Reference, "Error codes for the Amazon EC2 API",
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html:
  // - InvalidVolume.NotFound: the specified volume does not exist.
  // - InvalidSnapshot.NotFound: the specified snapshot does not exist.
  // - VolumeInUse: the specified EBS volume is attached to an instance (DeleteVolume: "The volume
  //   must be in the available state (not attached to an instance)", DeleteVolume reference).
  // - InvalidSnapshot.InUse: the snapshot is in use (e.g. by an AMI).
  // - IncorrectState: the resource is in an incorrect state for the request (e.g. a snapshot
  //   that is still pending).
  const outcomes: ReadonlyArray<['deleteVolume' | 'deleteSnapshot', string, 'missing' | 'in-use']> = [
    ['deleteVolume', 'InvalidVolume.NotFound', 'missing'],
    ['deleteSnapshot', 'InvalidSnapshot.NotFound', 'missing'],
    ['deleteVolume', 'VolumeInUse', 'in-use'],
    ['deleteVolume', 'IncorrectState', 'in-use'],
    ['deleteSnapshot', 'InvalidSnapshot.InUse', 'in-use'],
    ['deleteSnapshot', 'IncorrectState', 'in-use'],
  ];
  it.each(outcomes)('%s failing with %s is %s', async (method, code, outcome) => {
    const { volumes, ec2Mock } = setup();
    ec2Mock.on(DeleteVolumeCommand).rejects(serviceError(code, 'refused'));
    ec2Mock.on(DeleteSnapshotCommand).rejects(serviceError(code, 'refused'));
    await expect(volumes[method]('id-1')).resolves.toBe(outcome);
  });

  it('passes any other delete error through', async () => {
    const { volumes, ec2Mock } = setup();
    ec2Mock.on(DeleteSnapshotCommand).rejects(serviceError('UnauthorizedOperation', 'denied', 403));
    await expect(volumes.deleteSnapshot('snap-1')).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
  });
});
