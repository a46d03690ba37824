import { afterEach, describe, expect, it } from 'vitest';
import { type EcsHarness, ecsHarness, runTaskRequest, thrown, waitFor } from './helpers.ts';

describe('ListTasks, DescribeTasks and StopTask', () => {
  const harnesses: EcsHarness[] = [];
  afterEach(async () => {
    for (const harness of harnesses.splice(0)) await harness.close();
  });
  const open = (...args: Parameters<typeof ecsHarness>): EcsHarness => {
    const harness = ecsHarness(...args);
    harnesses.push(harness);
    return harness;
  };
  const OTHER = {
    family: 'workspace-hermes',
    image: 'img-hermes',
    containerName: 'workspace',
    containerPort: 8000,
  };

  it('lists running tasks by startedBy and by family, oldest first', () => {
    const { ecs } = open({ taskDefinitions: [{ ...OTHER, family: 'workspace-codex' }, OTHER] });
    const a = ecs.runTask(runTaskRequest({ startedBy: 'ws-a' })).tasks[0]?.taskArn;
    const b = ecs.runTask(runTaskRequest({ startedBy: 'ws-b', taskDefinition: 'workspace-hermes' })).tasks[0]
      ?.taskArn;
    const c = ecs.runTask(runTaskRequest({ startedBy: 'ws-a' })).tasks[0]?.taskArn;

    expect(ecs.listTasks({ cluster: 'workspaces' }).taskArns).toEqual([a, b, c]);
    expect(ecs.listTasks({ cluster: 'workspaces', startedBy: 'ws-a' }).taskArns).toEqual([a, c]);
    expect(ecs.listTasks({ cluster: 'workspaces', family: 'workspace-hermes' }).taskArns).toEqual([b]);
    expect(ecs.listTasks({ cluster: 'workspaces', startedBy: 'ws-none' }).taskArns).toEqual([]);
    expect(ecs.listTasks({ cluster: 'workspaces', serviceName: 'svc' }).taskArns).toEqual([]);
  });

  it('pages ListTasks with maxResults and nextToken', () => {
    const { ecs } = open();
    const started = ecs.runTask(runTaskRequest({ count: 10 })).tasks.map((task) => task.taskArn);
    started.push(...ecs.runTask(runTaskRequest({ count: 3 })).tasks.map((task) => task.taskArn));

    const pages: string[][] = [];
    let nextToken: string | undefined;
    do {
      const page = ecs.listTasks({
        cluster: 'workspaces',
        maxResults: 5,
        ...(nextToken ? { nextToken } : {}),
      });
      pages.push(page.taskArns);
      nextToken = page.nextToken;
    } while (nextToken !== undefined);

    expect(pages.map((page) => page.length)).toEqual([5, 5, 3]);
    expect(pages.flat()).toEqual(started);
  });

  it('refuses a maxResults over 100, an unknown desiredStatus and a forged nextToken', () => {
    const { ecs } = open();

    expect(thrown(() => ecs.listTasks({ cluster: 'workspaces', maxResults: 101 }))).toMatchObject({
      code: 'InvalidParameterException',
    });
    expect(thrown(() => ecs.listTasks({ cluster: 'workspaces', desiredStatus: 'DONE' }))).toMatchObject({
      code: 'InvalidParameterException',
    });
    expect(thrown(() => ecs.listTasks({ cluster: 'workspaces', nextToken: 'garbage' }))).toMatchObject({
      code: 'InvalidParameterException',
    });
    expect(thrown(() => ecs.listTasks({ cluster: 'nope' }))).toMatchObject({
      code: 'ClusterNotFoundException',
    });
  });

  it('describes tasks by ARN or id, reports unknown ones as MISSING and includes tags on request', () => {
    const { ecs } = open();
    const task = ecs.runTask(runTaskRequest({ tags: [{ key: 'workspace-id', value: 'ws-1' }] })).tasks[0] as {
      taskArn: string;
    };
    const taskId = task.taskArn.split('/').at(-1) as string;
    const otherCluster = task.taskArn.replace('/workspaces/', '/other/');

    const described = ecs.describeTasks({
      cluster: 'workspaces',
      tasks: [task.taskArn, taskId, 'f'.repeat(32), otherCluster],
      include: ['TAGS'],
    });

    expect(described.tasks.map((found) => found.taskArn)).toEqual([task.taskArn, task.taskArn]);
    expect(described.tasks[0]?.tags).toEqual([{ key: 'workspace-id', value: 'ws-1' }]);
    expect(described.failures).toEqual([
      { arn: 'f'.repeat(32), reason: 'MISSING' },
      { arn: otherCluster, reason: 'MISSING' },
    ]);
    expect(
      ecs.describeTasks({ cluster: 'workspaces', tasks: [task.taskArn] }).tasks[0]?.tags,
    ).toBeUndefined();
  });

  it('describes at most 100 tasks per call', () => {
    const { ecs } = open();

    expect(
      thrown(() =>
        ecs.describeTasks({ cluster: 'workspaces', tasks: Array.from({ length: 101 }, (_, i) => `t${i}`) }),
      ),
    ).toMatchObject({ code: 'InvalidParameterException' });
    expect(thrown(() => ecs.describeTasks({ cluster: 'workspaces', tasks: [] }))).toMatchObject({
      code: 'InvalidParameterException',
    });
  });

  it('stops a task: desiredStatus STOPPED at once, then STOPPED with UserInitiated and the reason', async () => {
    const { ecs, stateChanges } = open();
    const taskArn = ecs.runTask(runTaskRequest({ startedBy: 'ws-1' })).tasks[0]?.taskArn as string;
    await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');

    const { task } = ecs.stopTask({ cluster: 'workspaces', task: taskArn, reason: 'deprovisioned' });
    expect(task).toMatchObject({
      desiredStatus: 'STOPPED',
      lastStatus: 'RUNNING',
      stopCode: 'UserInitiated',
    });
    await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');

    const [stopped] = ecs.describeTasks({ cluster: 'workspaces', tasks: [taskArn] }).tasks;
    expect(stopped).toMatchObject({
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'deprovisioned',
      containers: [{ lastStatus: 'STOPPED', exitCode: 0 }],
    });
    expect(ecs.listTasks({ cluster: 'workspaces' }).taskArns).toEqual([]);
    expect(
      ecs.listTasks({ cluster: 'workspaces', desiredStatus: 'STOPPED', startedBy: 'ws-1' }).taskArns,
    ).toEqual([taskArn]);
    expect(ecs.stopTask({ cluster: 'workspaces', task: taskArn }).task).toMatchObject({
      version: stopped?.version,
    });
  });

  it('stops a task that never ran without an exit code', async () => {
    const { ecs, stateChanges } = open({ simulatedStepMs: 50 });
    const taskArn = ecs.runTask(runTaskRequest()).tasks[0]?.taskArn as string;

    ecs.stopTask({ cluster: 'workspaces', task: taskArn });
    await waitFor(() => stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');

    expect(stateChanges(taskArn).map((detail) => detail.lastStatus)).toEqual([
      'PROVISIONING',
      'PROVISIONING',
      'STOPPED',
    ]);
    const [stopped] = ecs.describeTasks({ cluster: 'workspaces', tasks: [taskArn] }).tasks as Array<{
      startedAt?: number;
      stoppedReason?: string;
      containers: Array<{ exitCode?: number }>;
    }>;
    expect(stopped?.startedAt).toBeUndefined();
    expect(stopped?.containers[0]?.exitCode).toBeUndefined();
    expect(stopped?.stoppedReason).toBe('Task stopped by user');
  });

  it('refuses to stop a task it does not know', () => {
    const { ecs } = open();

    expect(thrown(() => ecs.stopTask({ cluster: 'workspaces', task: 'f'.repeat(32) }))).toMatchObject({
      code: 'InvalidParameterException',
      message: 'The referenced task was not found.',
    });
  });
});
