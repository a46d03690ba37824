/**
 * The EBS store in the assembled local stack: the EC2 endpoint answers on the stack's URL, volumes
 * and snapshots a previous run left on the state directory are there, and a snapshot's notification
 * lands on the default bus.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateSnapshotCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { EBS_SNAPSHOT_NOTIFICATION } from '#contracts/names.ts';
import { LocalVolumeStore } from '#local/ec2/index.ts';
import { startLocalStack } from '#local/stack.ts';
import { openDatabase } from '#local/store/index.ts';
import { AWS_DEFAULT_BUS } from '#wiring/names.ts';
import { temporaryStateDir } from '../helpers.ts';

const TASK_ARN = 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/0123456789abcdef0123456789abcdef';

describe('the local stack’s EBS', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('serves the volumes a previous run left and puts a snapshot’s notification on the default bus', async () => {
    const dir = temporaryStateDir();
    cleanups.push(() => rmSync(dir.dir, { recursive: true, force: true }));
    // A previous run: a workspace's task wrote into its volume and stopped.
    const database = openDatabase(dir.dir);
    const before = new LocalVolumeStore({ database, stateDir: dir.dir });
    const { volumeId, directory } = await before.createForTask({
      taskArn: TASK_ARN,
      sizeGiB: 20,
      tags: { 'workspace-id': 'ws-1' },
      deleteOnTermination: false,
    });
    writeFileSync(join(directory, 'notes.md'), 'hello\n');
    await before.releaseFromTask(volumeId);
    await before.close();
    database.close();

    const stack = await startLocalStack({ port: 0, driver: 'simulated', quiet: true, stateDir: dir.dir });
    cleanups.unshift(() => stack.stop());
    const ec2 = new EC2Client({
      endpoint: stack.url,
      region: stack.region,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    cleanups.unshift(() => ec2.destroy());

    const { Volumes } = await ec2.send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'tag:workspace-id', Values: ['ws-1'] }] }),
    );
    expect(Volumes?.map((volume) => [volume.VolumeId, volume.State])).toEqual([[volumeId, 'available']]);

    const { SnapshotId } = await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId }));
    const deadline = Date.now() + 20_000;
    let notification: { envelope: { detail: { snapshot_id: string; result: string } } } | undefined;
    while (notification === undefined && Date.now() < deadline) {
      notification = stack.bus
        .list({ detailType: EBS_SNAPSHOT_NOTIFICATION })
        .find((event) => event.bus === AWS_DEFAULT_BUS) as typeof notification;
      if (notification === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(notification?.envelope.detail).toMatchObject({
      snapshot_id: `arn:aws:ec2::${stack.region}:snapshot/${SnapshotId}`,
      result: 'succeeded',
    });
    const { Snapshots } = await ec2.send(
      new DescribeSnapshotsCommand({ SnapshotIds: [SnapshotId as string] }),
    );
    expect(Snapshots?.[0]?.State).toBe('completed');
  });
});
