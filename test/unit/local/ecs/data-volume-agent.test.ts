/**
 * The ECS agent and the task's managed EBS volume (v1.3), over a fake local EBS store: the volume is
 * created (restored from its snapshot) before the workspace starts and reported on the task's
 * `AmazonElasticBlockStorage` attachment with its `volumeId` in every later state change; it is
 * released before the STOPPED event is recorded (so the save that event sets off finds it detached);
 * a volume that cannot be created stops the task as failed to start; a task adopted after a restart
 * gets its volume's directory back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskDriver, TaskLaunch } from '#local/ecs/drivers/types.ts';
import type { EcsTaskDefinition } from '#local/ecs/index.ts';
import { withTaskAgent } from '#local/ecs/task-agent.ts';
import type { DataVolumeAttachmentRecord } from '#local/ecs/task-record.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';
import {
  CODEX,
  type EcsHarness,
  ecsHarness,
  runTaskRequest,
  temporaryStateDir,
  waitFor,
} from '../helpers.ts';
import { type FakeDataVolumes, fakeDataVolumes } from './fake-data-volumes.ts';
import { taskIn } from './task-fixture.ts';

const ROLE_ARN = 'arn:aws:iam::000000000000:role/WorkspaceProvisioner-ecs-infrastructure';
const CODEX_WITH_DATA: EcsTaskDefinition = {
  ...CODEX,
  dataVolume: { name: 'workspace-data', mountPath: '/workspace' },
};
const TAGS = { 'workspace-provisioner': 'local', 'workspace-id': 'ws-1' };

/** A RunTask for one task with a managed EBS volume on `workspace-data`. */
function withVolume(managed: Record<string, unknown> = {}): Record<string, unknown> {
  return runTaskRequest({
    startedBy: 'ws-1',
    volumeConfigurations: [
      {
        name: 'workspace-data',
        managedEBSVolume: {
          roleArn: ROLE_ARN,
          sizeInGiB: 20,
          filesystemType: 'ext4',
          terminationPolicy: { deleteOnTermination: false },
          tagSpecifications: [
            { resourceType: 'volume', tags: Object.entries(TAGS).map(([key, value]) => ({ key, value })) },
          ],
          ...managed,
        },
      },
    ],
  });
}

type Attachment = { type: string; status: string; details: Array<{ name: string; value: string }> };
const ebsOf = (change: Record<string, unknown>): Attachment | undefined =>
  (change.attachments as Attachment[]).find((attachment) => attachment.type === 'AmazonElasticBlockStorage');
const detail = (attachment: Attachment | undefined, name: string): string | undefined =>
  attachment?.details.find((candidate) => candidate.name === name)?.value;

describe('the ECS agent with a managed EBS volume', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  function open(
    options: Parameters<typeof fakeDataVolumes>[1] = {},
  ): EcsHarness & { volumes: FakeDataVolumes; releases: Array<{ volumeId: string; statuses: string[] }> } {
    const state = temporaryStateDir();
    const releases: Array<{ volumeId: string; statuses: string[] }> = [];
    let harness: EcsHarness | undefined;
    const volumes = fakeDataVolumes(state.dir, {
      ...options,
      // What the bus holds for the task when its volume is being released.
      beforeRelease: (volumeId) =>
        releases.push({
          volumeId,
          statuses: (harness?.stateChanges() ?? []).map((change) => change.lastStatus as string),
        }),
    });
    harness = ecsHarness({ taskDefinitions: [CODEX_WITH_DATA], dataVolumes: volumes });
    const opened = harness;
    cleanups.push(async () => {
      await opened.close();
      state.remove();
    });
    return { ...opened, volumes, releases };
  }

  it('restores the snapshot into a new volume before the task runs and reports its volumeId on every later change', async () => {
    const harness = open();
    const snapshotId = harness.volumes.addSnapshot({ 'repo/README.md': '# kept\n', 'notes.txt': 'n' });
    const taskArn = harness.ecs.runTask(withVolume({ snapshotId })).tasks[0]?.taskArn as string;
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');

    const [volume] = [...harness.volumes.volumes.values()];
    expect(volume).toMatchObject({
      taskArn,
      sizeGiB: 20,
      snapshotId,
      tags: TAGS,
      deleteOnTermination: false,
      state: 'in-use',
    });
    expect(readFileSync(join(volume?.directory as string, 'repo', 'README.md'), 'utf8')).toBe('# kept\n');
    expect(readFileSync(join(volume?.directory as string, 'notes.txt'), 'utf8')).toBe('n');

    const changes = harness.stateChanges(taskArn);
    // Every change carries the attachment; the volumeId from the one that recorded its creation on.
    expect(changes.every((change) => ebsOf(change) !== undefined)).toBe(true);
    const firstWithVolume = changes.findIndex((change) => detail(ebsOf(change), 'volumeId') !== undefined);
    expect(firstWithVolume).toBeGreaterThan(0);
    expect(changes.slice(0, firstWithVolume).map((change) => ebsOf(change)?.status)).toEqual(
      Array(firstWithVolume).fill('PRECREATED'),
    );
    for (const change of changes.slice(firstWithVolume)) {
      expect(ebsOf(change)).toEqual({
        id: expect.any(String),
        type: 'AmazonElasticBlockStorage',
        status: 'ATTACHED',
        details: [
          { name: 'roleArn', value: ROLE_ARN },
          { name: 'volumeName', value: 'workspace-data' },
          { name: 'deleteOnTermination', value: 'false' },
          { name: 'volumeId', value: volume?.volumeId },
        ],
      });
    }
    const described = harness.ecs.describeTasks({ cluster: 'workspaces', tasks: [taskArn] })
      .tasks[0] as Record<string, unknown>;
    expect(detail(ebsOf(described), 'volumeId')).toBe(volume?.volumeId);
  });

  it.each([
    { deleteOnTermination: false, status: 'DETACHED', kept: true },
    { deleteOnTermination: true, status: 'DELETED', kept: false },
  ])(
    'releases the volume before STOPPED is recorded (deleteOnTermination $deleteOnTermination: $status)',
    async ({ deleteOnTermination, status, kept }) => {
      const harness = open();
      const taskArn = harness.ecs.runTask(withVolume({ terminationPolicy: { deleteOnTermination } })).tasks[0]
        ?.taskArn as string;
      await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');
      const volumeId = [...harness.volumes.volumes.keys()][0] as string;
      harness.ecs.stopTask({ cluster: 'workspaces', task: taskArn, reason: 'done' });
      await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');

      expect(harness.releases).toEqual([{ volumeId, statuses: expect.not.arrayContaining(['STOPPED']) }]);
      const stopped = harness.stateChanges(taskArn).at(-1) as Record<string, unknown>;
      expect(ebsOf(stopped)?.status).toBe(status);
      expect(detail(ebsOf(stopped), 'volumeId')).toBe(volumeId);
      expect(harness.volumes.volumes.get(volumeId)?.state).toBe(kept ? 'available' : undefined);
      expect(harness.volumes.calls.filter((call) => call.startsWith('release'))).toEqual([
        `release ${volumeId}`,
      ]);
    },
  );

  it('stops the task as failed to start when the volume cannot be created, naming why on the task and its attachment', async () => {
    const harness = open({ createFails: "The snapshot 'snap-0123456789abcdef0' does not exist." });
    const taskArn = harness.ecs.runTask(withVolume()).tasks[0]?.taskArn as string;
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');

    const stopped = harness.stateChanges(taskArn).at(-1) as Record<string, unknown>;
    expect(stopped).toMatchObject({
      stopCode: 'TaskFailedToStart',
      stoppedReason:
        "ResourceInitializationError: failed to create the EBS volume: The snapshot 'snap-0123456789abcdef0' does not exist.",
    });
    expect(ebsOf(stopped)).toMatchObject({ status: 'FAILED' });
    expect(detail(ebsOf(stopped), 'statusReason')).toBe(
      "The snapshot 'snap-0123456789abcdef0' does not exist.",
    );
    expect(detail(ebsOf(stopped), 'volumeId')).toBeUndefined();
    expect(harness.stateChanges(taskArn).map((change) => change.lastStatus)).not.toContain('RUNNING');
    expect(harness.releases).toEqual([]);
  });

  it('stops a task StopTask reaches while its volume is being created once the volume exists, and releases it first', async () => {
    const harness = open({ createMs: 150 });
    const taskArn = harness.ecs.runTask(withVolume()).tasks[0]?.taskArn as string;
    await waitFor(() => harness.volumes.calls.length > 0, 'the volume creation');
    harness.ecs.stopTask({ cluster: 'workspaces', task: taskArn, reason: 'changed my mind' });
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');

    const volumeId = [...harness.volumes.volumes.keys()][0] as string;
    expect(harness.releases).toEqual([{ volumeId, statuses: expect.not.arrayContaining(['STOPPED']) }]);
    const stopped = harness.stateChanges(taskArn).at(-1) as Record<string, unknown>;
    expect(stopped).toMatchObject({ stopCode: 'UserInitiated', stoppedReason: 'changed my mind' });
    expect(detail(ebsOf(stopped), 'volumeId')).toBe(volumeId);
    expect(harness.stateChanges(taskArn).map((change) => change.lastStatus)).not.toContain('RUNNING');
  });
});

describe('the ECS agent adopting a task with a managed EBS volume after a restart', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  async function adopt(volumes: FakeDataVolumes, dataVolume: DataVolumeAttachmentRecord) {
    const adopted: Array<TaskLaunch | undefined> = [];
    const stopped: unknown[] = [];
    const driver: TaskDriver = {
      name: 'process',
      start: () => {},
      stop: () => {},
      adopt: (_task, _definition, launch) => {
        adopted.push(launch);
      },
      close: async () => {},
    };
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    const wrapped = withTaskAgent(driver, {
      configsRoot: state.dir,
      dataVolumes: volumes,
      hooks: {
        pending: () => {},
        running: () => {},
        stopped: (_arn, outcome) => stopped.push(outcome),
        bootStepExited: () => {},
        dataVolumeAttached: () => {
          throw new Error('an adopted task keeps its volume: none is created');
        },
      },
      log: () => {},
    });
    await wrapped.adopt(taskIn('RUNNING', 'RUNNING', { startedAt: 2_000, dataVolume }), CODEX_WITH_DATA);
    return { adopted, stopped };
  }

  const request = {
    name: 'workspace-data',
    roleArn: ROLE_ARN,
    sizeInGiB: 20,
    volumeType: 'gp3',
    filesystemType: 'ext4',
    encrypted: true,
    tags: TAGS,
    deleteOnTermination: false,
  };

  it('hands the driver the directory of the volume the task already has', async () => {
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    const volumes = fakeDataVolumes(state.dir);
    const { volumeId, directory } = await volumes.createForTask({
      taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/0123456789abcdef0123456789abcdef',
      sizeGiB: 20,
      tags: TAGS,
      deleteOnTermination: false,
    });
    const { adopted, stopped } = await adopt(volumes, { id: 'a', status: 'ATTACHED', request, volumeId });

    expect(stopped).toEqual([]);
    expect(adopted).toEqual([
      { environmentFileVariables: {}, dataDirectory: directory, dataMountPath: '/workspace', pending: true },
    ]);
    expect(volumes.calls.filter((call) => call.startsWith('create'))).toHaveLength(1);
    expect(volumes.calls).toContain(`directoryOf ${volumeId}`);
  });

  it('stops the task when its volume is gone', async () => {
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    const volumes = fakeDataVolumes(state.dir);
    const volumeId = 'vol-0123456789abcdef0';
    const { adopted, stopped } = await adopt(volumes, { id: 'a', status: 'ATTACHED', request, volumeId });

    expect(adopted).toEqual([]);
    expect(stopped).toEqual([
      {
        failedToStart: false,
        stoppedReason: `ResourceInitializationError: the task's EBS volume ${volumeId} is gone`,
      },
    ]);
  });
  it('creates the volume of a task the restart caught before it had one, and stops it instead when StopTask came meanwhile', async () => {
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    const volumes = fakeDataVolumes(state.dir, { createMs: 100 });
    const events: string[] = [];
    const wrapped = withTaskAgent(
      {
        name: 'process',
        start: () => {},
        stop: () => events.push('driver stop'),
        adopt: () => {
          events.push('driver adopt');
        },
        close: async () => {},
      },
      {
        configsRoot: state.dir,
        dataVolumes: volumes,
        hooks: {
          pending: () => {},
          running: () => {},
          stopped: () => events.push('stopped'),
          bootStepExited: () => {},
          dataVolumeAttached: (_arn, volumeId) => events.push(`attached ${volumeId}`),
        },
        log: () => {},
      },
    );
    const task = taskIn('PROVISIONING', 'RUNNING', {
      dataVolume: { id: 'a', status: 'PRECREATED', request },
    });
    const adopting = wrapped.adopt(task, CODEX_WITH_DATA);
    await new Promise((resolve) => setTimeout(resolve, 20));
    wrapped.stop(task);
    await adopting;

    const volumeId = [...volumes.volumes.keys()][0];
    expect(events).toEqual([`attached ${volumeId}`, 'stopped']);
  });
});

describe('the emulator releasing volumes of tasks it stops on its own', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('releases the volume of a task the stack stops on close before recording it STOPPED', async () => {
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    const statusesAtRelease: string[][] = [];
    let harness: EcsHarness | undefined;
    const volumes = fakeDataVolumes(state.dir, {
      beforeRelease: () =>
        statusesAtRelease.push((harness?.stateChanges() ?? []).map((change) => change.lastStatus as string)),
    });
    const database = openDatabase(IN_MEMORY);
    cleanups.push(() => database.close());
    harness = ecsHarness({
      database,
      driver: 'process',
      stopTimeoutMs: 2000,
      taskDefinitions: [CODEX_WITH_DATA],
      dataVolumes: volumes,
      configsDirectory: join(state.dir, 'configs'),
    });
    const taskArn = harness.ecs.runTask(withVolume()).tasks[0]?.taskArn as string;
    await waitFor(() => harness?.stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');
    await harness.close();

    expect(statusesAtRelease).toEqual([expect.not.arrayContaining(['STOPPED'])]);
    const stopped = harness.stateChanges(taskArn).at(-1) as Record<string, unknown>;
    expect(stopped).toMatchObject({ lastStatus: 'STOPPED', stoppedReason: 'Local stack shut down' });
    expect(ebsOf(stopped)?.status).toBe('DETACHED');
    expect([...volumes.volumes.values()].map((volume) => volume.state)).toEqual(['available']);
  });

  it('releases the volume of a task a restart cannot adopt (another driver) before recording it STOPPED', async () => {
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    const database = openDatabase(IN_MEMORY);
    cleanups.push(() => database.close());
    const volumes = fakeDataVolumes(state.dir);
    const first = ecsHarness({ database, taskDefinitions: [CODEX_WITH_DATA], dataVolumes: volumes });
    const taskArn = first.ecs.runTask(withVolume()).tasks[0]?.taskArn as string;
    await waitFor(() => first.stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');
    // The simulated driver leaves its tasks running on close, as a crashed stack would.
    await first.close();

    const second = ecsHarness({
      database,
      driver: 'process',
      taskDefinitions: [CODEX_WITH_DATA],
      dataVolumes: volumes,
      configsDirectory: join(state.dir, 'configs'),
    });
    cleanups.unshift(() => second.close());
    await second.ecs.reconciled;
    await waitFor(() => second.stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');

    const stopped = second.stateChanges(taskArn).at(-1) as Record<string, unknown>;
    expect(stopped.stoppedReason).toMatch(/^Local stack restarted; it ran under the simulated driver/);
    expect(ebsOf(stopped)?.status).toBe('DETACHED');
    expect([...volumes.volumes.values()].map((volume) => volume.state)).toEqual(['available']);
  });
});
