import { afterEach, describe, expect, it } from 'vitest';
import { createEventBus } from '#local/eventbridge/index.ts';
import { openDatabase } from '#local/store/index.ts';
import { type EcsHarness, ecsHarness, runTaskRequest, temporaryStateDir, waitFor } from './helpers.ts';

describe('the simulated driver', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  const open = (...args: Parameters<typeof ecsHarness>): EcsHarness => {
    const harness = ecsHarness(...args);
    cleanups.unshift(() => harness.close());
    return harness;
  };

  it('walks PROVISIONING, PENDING, RUNNING, then STOPPED, with versions rising by one', async () => {
    const { ecs, stateChanges } = open();
    const taskArn = ecs.runTask(runTaskRequest({ startedBy: 'ws-1' })).tasks[0]?.taskArn as string;
    await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');
    ecs.stopTask({ cluster: 'workspaces', task: taskArn });
    await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');

    const changes = stateChanges(taskArn);
    expect(changes.map((detail) => [detail.lastStatus, detail.desiredStatus, detail.version])).toEqual([
      ['PROVISIONING', 'RUNNING', 1],
      ['PENDING', 'RUNNING', 2],
      ['RUNNING', 'RUNNING', 3],
      ['RUNNING', 'STOPPED', 4],
      ['STOPPED', 'STOPPED', 5],
    ]);
  });

  it('emits ECS Task State Change events shaped as AWS sends them', async () => {
    const { ecs, bus } = open();
    const overrides = {
      containerOverrides: [{ name: 'workspace', environment: [{ name: 'WORKSPACE_ID', value: 'ws-1' }] }],
    };
    const taskArn = ecs.runTask(runTaskRequest({ startedBy: 'ws-1', overrides })).tasks[0]?.taskArn as string;
    await waitFor(
      () =>
        bus
          .list()
          .some((event) => (event.envelope.detail as { lastStatus?: string }).lastStatus === 'RUNNING'),
      'RUNNING',
    );

    const running = bus
      .list()
      .find((event) => (event.envelope.detail as { lastStatus?: string }).lastStatus === 'RUNNING');
    expect(running?.bus).toBe('workspaces');
    expect(running?.envelope).toMatchObject({
      version: '0',
      source: 'aws.ecs',
      'detail-type': 'ECS Task State Change',
      account: '000000000000',
      region: 'us-east-1',
      resources: [taskArn],
      detail: {
        clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/workspaces',
        taskArn,
        taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/workspace-codex:1',
        group: 'family:workspace-codex',
        startedBy: 'ws-1',
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        launchType: 'FARGATE',
        availabilityZone: 'us-east-1a',
        cpu: '256',
        memory: '512',
        overrides,
        version: 3,
        containers: [
          {
            name: 'workspace',
            lastStatus: 'RUNNING',
            image: 'ghcr.io/molecule-ai/workspace-template-codex:latest',
            taskArn,
          },
        ],
      },
    });
    const detail = running?.envelope.detail as Record<string, unknown>;
    for (const time of ['createdAt', 'pullStartedAt', 'pullStoppedAt', 'startedAt', 'updatedAt']) {
      expect(detail[time], time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    }
    expect(detail.stoppedAt).toBeUndefined();
    expect(running?.envelope.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it('logs a line per task state', async () => {
    const { ecs, lines, stateChanges } = open();
    const taskArn = ecs.runTask(runTaskRequest({ startedBy: 'abc' })).tasks[0]?.taskArn as string;
    await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');

    const id = taskArn.split('/').at(-1)?.slice(0, 8);
    expect(lines).toEqual([
      `task   workspace-codex ${id} PROVISIONING (ws=abc)`,
      `task   workspace-codex ${id} PENDING (ws=abc)`,
      `task   workspace-codex ${id} RUNNING (ws=abc)`,
    ]);
  });

  it('keeps tasks and events in the database and resumes unfinished tasks after a restart', async () => {
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    const first = openDatabase(state.dir);
    const before = ecsHarness({ database: first, simulatedStepMs: 60_000 });
    const taskArn = before.ecs.runTask(runTaskRequest({ startedBy: 'ws-1', clientToken: 'durable' })).tasks[0]
      ?.taskArn as string;
    await before.close();
    first.close();

    const database = openDatabase(state.dir);
    cleanups.unshift(() => database.close());
    const after = open({ database, bus: createEventBus(database) });
    await after.ecs.reconciled;

    expect(after.ecs.listTasks({ cluster: 'workspaces', startedBy: 'ws-1' }).taskArns).toEqual([taskArn]);
    expect(
      after.ecs.runTask(runTaskRequest({ startedBy: 'ws-1', clientToken: 'durable' })).tasks[0]?.taskArn,
    ).toBe(taskArn);
    await waitFor(
      () => after.stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING',
      'RUNNING after restart',
    );
    expect(after.stateChanges(taskArn).map((detail) => detail.version)).toEqual([1, 2, 3]);
  });
});
