/**
 * The local EC2 Query endpoint with the real `EC2Client`: what the SDK sends (form bodies, flattened
 * lists) and what it parses (EC2's XML answers and error documents).
 */
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  EC2ServiceException,
  type Filter,
} from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { Ec2WorkspaceVolumes } from '#adapters/ec2-workspace-volumes.ts';
import { EBS_SNAPSHOT_NOTIFICATION } from '#contracts/names.ts';
import { ec2Route, LocalVolumeStore, snapshotNotifier } from '#local/ec2/index.ts';
import { createEcsEmulator } from '#local/ecs/index.ts';
import { createEventBridgeEmulator, createEventBus } from '#local/eventbridge/index.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import { openDatabase } from '#local/store/index.ts';
import { createLocalServer } from '#local/wire/index.ts';
import { AWS_DEFAULT_BUS } from '#wiring/names.ts';
import { CODEX, temporaryStateDir } from '../helpers.ts';

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const TASK_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/workspaces/0123456789abcdef0123456789abcdef`;

describe('the local EC2 endpoint', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function start() {
    const dir = temporaryStateDir();
    const database = openDatabase(dir.dir);
    const bus = createEventBus(database);
    const store = new LocalVolumeStore({
      database,
      stateDir: dir.dir,
      account: ACCOUNT,
      onSnapshotFinished: snapshotNotifier(bus, AWS_DEFAULT_BUS, { region: REGION, account: ACCOUNT }),
    });
    const ecs = createEcsEmulator({ database, bus, driver: 'simulated', taskDefinitions: [CODEX] });
    const eventBridge = createEventBridgeEmulator({ bus });
    const server = await createLocalServer({
      port: 0,
      eventBridge,
      ecs,
      bus,
      routes: [ec2Route({ store, region: REGION })],
      ready: () => true,
    });
    const ec2 = new EC2Client({ endpoint: server.url, region: REGION, credentials, maxAttempts: 1 });
    cleanups.unshift(async () => {
      ec2.destroy();
      await server.close();
      await ecs.close();
      await store.close();
      database.close();
      dir.remove();
    });
    /** A volume attached to a task, as the ECS emulator makes one. */
    const taskVolume = (tags: Record<string, string>) =>
      store.createForTask({ taskArn: TASK_ARN, sizeGiB: 20, tags, deleteOnTermination: false });
    /** A volume whose task has stopped. */
    const availableVolume = async (tags: Record<string, string>) => {
      const volume = await taskVolume(tags);
      await store.releaseFromTask(volume.volumeId);
      return volume;
    };
    return { url: server.url, ec2, store, taskVolume, availableVolume };
  }

  async function caught(promise: Promise<unknown>): Promise<EC2ServiceException> {
    const error = await promise.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(EC2ServiceException);
    return error as EC2ServiceException;
  }

  it('describes volumes by tag filters, volume-id and status, with their size, state, time and tags', async () => {
    const { ec2, taskVolume, availableVolume } = await start();
    const one = await availableVolume({ 'workspace-provisioner': 'local', 'workspace-id': 'ws-1' });
    const two = await taskVolume({ 'workspace-provisioner': 'local', 'workspace-id': 'ws-2' });
    const other = await availableVolume({ 'workspace-provisioner': 'elsewhere', 'workspace-id': 'ws-1' });

    // Filters are ANDed, a filter's values ORed, `*` a wildcard (EC2 API Reference, DescribeVolumes,
    // "Filter.N": https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVolumes.html).
    const cases: Array<{ filters: Filter[]; expected: string[] }> = [
      {
        filters: [{ Name: 'tag:workspace-provisioner', Values: ['local'] }],
        expected: [one.volumeId, two.volumeId],
      },
      {
        filters: [
          { Name: 'tag:workspace-provisioner', Values: ['local'] },
          { Name: 'tag:workspace-id', Values: ['ws-1'] },
        ],
        expected: [one.volumeId],
      },
      {
        filters: [{ Name: 'tag:workspace-id', Values: ['ws-1', 'ws-2'] }],
        expected: [one.volumeId, two.volumeId, other.volumeId],
      },
      { filters: [{ Name: 'tag:workspace-provisioner', Values: ['else*'] }], expected: [other.volumeId] },
      { filters: [{ Name: 'status', Values: ['in-use'] }], expected: [two.volumeId] },
      { filters: [{ Name: 'volume-id', Values: [other.volumeId] }], expected: [other.volumeId] },
      { filters: [{ Name: 'tag:workspace-id', Values: ['ws-3'] }], expected: [] },
    ];
    for (const { filters, expected } of cases) {
      const { Volumes } = await ec2.send(new DescribeVolumesCommand({ Filters: filters }));
      expect(Volumes?.map((volume) => volume.VolumeId).sort(), JSON.stringify(filters)).toEqual(
        [...expected].sort(),
      );
    }

    const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [two.volumeId] }));
    expect(Volumes).toHaveLength(1);
    const [volume] = Volumes ?? [];
    expect(volume).toMatchObject({ VolumeId: two.volumeId, Size: 20, State: 'in-use', VolumeType: 'gp3' });
    expect(volume?.CreateTime).toBeInstanceOf(Date);
    expect(volume?.Attachments?.[0]).toMatchObject({ VolumeId: two.volumeId, AssociatedResource: TASK_ARN });
    expect(volume?.Tags).toEqual([
      { Key: 'workspace-provisioner', Value: 'local' },
      { Key: 'workspace-id', Value: 'ws-2' },
    ]);
  });

  it("answers the workspace-volumes adapter's look for a deployment's unattached volumes (the sweep's)", async () => {
    const { ec2, taskVolume, availableVolume } = await start();
    const left = await availableVolume({ 'workspace-provisioner': 'local', 'workspace-id': 'ws-1' });
    await taskVolume({ 'workspace-provisioner': 'local', 'workspace-id': 'ws-2' });
    await availableVolume({ 'workspace-provisioner': 'elsewhere', 'workspace-id': 'ws-3' });
    const volumes = await new Ec2WorkspaceVolumes(ec2, { dataTag: 'local' }).availableVolumes();
    expect(volumes).toEqual([
      expect.objectContaining({
        volumeId: left.volumeId,
        state: 'available',
        tags: { 'workspace-provisioner': 'local', 'workspace-id': 'ws-1' },
      }),
    ]);
  });

  it('creates a snapshot that is pending, then completed, and lists it by tags and owner', async () => {
    const { ec2, store, availableVolume } = await start();
    const { volumeId } = await availableVolume({ 'workspace-id': 'ws-1' });

    const created = await ec2.send(
      new CreateSnapshotCommand({
        VolumeId: volumeId,
        Description: 'workspace ws-1 data',
        TagSpecifications: [
          {
            ResourceType: 'snapshot',
            Tags: [
              { Key: 'workspace-id', Value: 'ws-1' },
              { Key: 'task-arn', Value: TASK_ARN },
            ],
          },
        ],
      }),
    );
    expect(created).toMatchObject({
      VolumeId: volumeId,
      State: 'pending',
      VolumeSize: 20,
      OwnerId: ACCOUNT,
      Description: 'workspace ws-1 data',
      Tags: [
        { Key: 'workspace-id', Value: 'ws-1' },
        { Key: 'task-arn', Value: TASK_ARN },
      ],
    });
    expect(created.SnapshotId).toMatch(/^snap-[0-9a-f]{17}$/);
    expect(created.StartTime).toBeInstanceOf(Date);

    await store.idle();
    const byTag = await ec2.send(
      new DescribeSnapshotsCommand({
        OwnerIds: ['self'],
        Filters: [{ Name: 'tag:workspace-id', Values: ['ws-1'] }],
      }),
    );
    expect(
      byTag.Snapshots?.map((snapshot) => [snapshot.SnapshotId, snapshot.State, snapshot.Progress]),
    ).toEqual([[created.SnapshotId, 'completed', '100%']]);
    const byId = await ec2.send(
      new DescribeSnapshotsCommand({ SnapshotIds: [created.SnapshotId as string] }),
    );
    expect(byId.Snapshots?.[0]?.VolumeId).toBe(volumeId);
    const otherOwner = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['123456789012'] }));
    expect(otherOwner.Snapshots).toEqual([]);
  });

  it('refuses to delete a volume attached to a task with VolumeInUse, and deletes it once released', async () => {
    const { ec2, store, taskVolume } = await start();
    const { volumeId } = await taskVolume({ 'workspace-id': 'ws-1' });

    const error = await caught(ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId })));
    expect(error.name).toBe('VolumeInUse');
    expect(error.message).toBe(`Volume ${volumeId} is currently attached to ${TASK_ARN}`);
    expect(error.$metadata.httpStatusCode).toBe(400);

    await store.releaseFromTask(volumeId);
    await ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }));
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({}));
    expect(Volumes).toEqual([]);
  });

  it('answers unknown ids and unserved actions with the EC2 error codes the SDK names its exceptions by', async () => {
    const { ec2 } = await start();
    const volumeId = 'vol-0123456789abcdef0';
    const snapshotId = 'snap-0123456789abcdef0';
    // Codes and the error document: EC2 API Reference, "Error codes for the Amazon EC2 API"
    // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html): client errors
    // are HTTP 400, `InvalidAction` is "The action or operation requested is not valid".
    const cases: Array<{ send: () => Promise<unknown>; code: string }> = [
      {
        send: () => ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })),
        code: 'InvalidVolume.NotFound',
      },
      {
        send: () => ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId })),
        code: 'InvalidVolume.NotFound',
      },
      {
        send: () => ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId })),
        code: 'InvalidVolume.NotFound',
      },
      {
        send: () => ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] })),
        code: 'InvalidSnapshot.NotFound',
      },
      {
        send: () => ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })),
        code: 'InvalidSnapshot.NotFound',
      },
      {
        send: () => ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'nonsense', Values: ['x'] }] })),
        code: 'InvalidParameterValue',
      },
      {
        send: () =>
          ec2.send(
            new CreateSnapshotCommand({
              VolumeId: volumeId,
              TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'k', Value: 'v' }] }],
            }),
          ),
        code: 'InvalidParameterValue',
      },
      {
        send: () => ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1 })),
        code: 'InvalidAction',
      },
    ];
    const notFound = await caught(ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })));
    expect(notFound.message).toBe(`The volume '${volumeId}' does not exist.`);
    for (const { send, code } of cases) {
      const error = await caught(send());
      expect(error.name, code).toBe(code);
      expect((error as unknown as { Code?: string }).Code).toBe(code);
      expect(error.$fault).toBe('client');
      expect(error.$metadata.httpStatusCode).toBe(400);
    }
  });

  it('writes the error document EC2 does: Response, Errors, Error with Code and Message, RequestID', async () => {
    const { url } = await start();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DeleteVolume&Version=2016-11-15&VolumeId=vol-0123456789abcdef0',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Response><Errors><Error><Code>InvalidVolume\.NotFound<\/Code><Message>The volume &apos;vol-0123456789abcdef0&apos; does not exist\.<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/,
    );
  });

  it('answers a POST / without X-Amz-Target and without Action with MissingAction, and keeps the JSON protocols', async () => {
    const { url } = await start();
    const noAction = await fetch(url, { method: 'POST', body: '{"cluster":"workspaces"}' });
    const json = await fetch(url, {
      method: 'POST',
      headers: {
        'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListTasks',
        'content-type': 'application/x-amz-json-1.1',
      },
      body: '{"cluster":"workspaces"}',
    });

    expect(noAction.status).toBe(400);
    expect(await noAction.text()).toContain('<Code>MissingAction</Code>');
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ taskArns: [] });
  });

  it('deletes a snapshot, which DescribeSnapshots no longer lists', async () => {
    const { ec2, store, availableVolume } = await start();
    const { volumeId } = await availableVolume({ 'workspace-id': 'ws-1' });
    const { SnapshotId } = await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId }));
    await store.idle();

    const deleted = await ec2.send(new DeleteSnapshotCommand({ SnapshotId }));

    expect(deleted.$metadata.httpStatusCode).toBe(200);
    expect((await ec2.send(new DescribeSnapshotsCommand({}))).Snapshots).toEqual([]);
  });

  it('puts the EBS Snapshot Notification on the default bus once the snapshot completes', async () => {
    const { url, ec2, store, availableVolume } = await start();
    const { volumeId } = await availableVolume({ 'workspace-id': 'ws-1' });
    const { SnapshotId } = await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId }));
    await store.idle();

    const response = await fetch(
      `${url}/local/events?detail-type=${encodeURIComponent(EBS_SNAPSHOT_NOTIFICATION)}`,
    );
    const { events } = (await response.json()) as { events: EventEnvelope[] };
    expect(events).toHaveLength(1);
    const [event] = events as [EventEnvelope];
    // The sample of "Create snapshot (createSnapshot)" in "Amazon EventBridge events for Amazon EBS"
    // (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html#create-snapshot-complete):
    // "detail-type": "EBS Snapshot Notification", "source": "aws.ec2",
    // "resources": ["arn:aws:ec2::us-west-2:snapshot/snap-01234567"], "detail": {"event": "createSnapshot",
    // "result": "succeeded", "cause": "", "request-id": "", "snapshot_id": "arn:aws:ec2::us-west-2:snapshot/snap-01234567",
    // "source": "arn:aws:ec2::us-west-2:volume/vol-01234567", "startTime": "yyyy-mm-ddThh:mm:ssZ", "endTime": "…"}
    const snapshotArn = `arn:aws:ec2::${REGION}:snapshot/${SnapshotId}`;
    expect(event).toMatchObject({
      version: '0',
      'detail-type': 'EBS Snapshot Notification',
      source: 'aws.ec2',
      account: ACCOUNT,
      region: REGION,
      resources: [snapshotArn],
      detail: {
        event: 'createSnapshot',
        result: 'succeeded',
        cause: '',
        snapshot_id: snapshotArn,
        source: `arn:aws:ec2::${REGION}:volume/${volumeId}`,
      },
    });
    const detail = event.detail as Record<string, string>;
    expect(Object.keys(detail).sort()).toEqual(
      ['cause', 'endTime', 'event', 'request-id', 'result', 'snapshot_id', 'source', 'startTime'].sort(),
    );
    expect(detail.startTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(detail.endTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Date.parse(detail.endTime ?? '') >= Date.parse(detail.startTime ?? '')).toBe(true);
    expect(detail['request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
