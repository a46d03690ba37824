import { describe, expect, it } from 'vitest';
import type { TaskDriver } from '#local/ecs/drivers/types.ts';
import type { EcsTaskDefinition, TaskRecord } from '#local/ecs/index.ts';
import type { EcsCluster } from '#local/ecs/operations/cluster.ts';
import { createDescribeTasks } from '#local/ecs/operations/describe-tasks.ts';
import { createListTasks } from '#local/ecs/operations/list-tasks.ts';
import { CAPACITY_UNAVAILABLE_REASON, createRunTask } from '#local/ecs/operations/run-task.ts';
import { createStopTask } from '#local/ecs/operations/stop-task.ts';
import { createTaskLedger } from '#local/ecs/task-ledger.ts';
import { createTaskStore } from '#local/ecs/task-store.ts';
import { createEventBus } from '#local/eventbridge/index.ts';
import type { FaultOptions } from '#local/interfaces.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';
import { runTaskRequest, thrown } from '../helpers.ts';

const CODEX: EcsTaskDefinition = {
  family: 'workspace-codex',
  image: 'img',
  containerName: 'workspace',
  containerPort: 8000,
};

/** The operations over one cluster, a real ledger and store, and a driver that only records calls. */
function operationsHarness(faults: FaultOptions = {}, rolls: number[] = []) {
  const database = openDatabase(IN_MEMORY);
  const store = createTaskStore(database);
  const scope = { region: 'us-east-1', account: '000000000000' };
  const tasks = createTaskLedger({
    database,
    store,
    bus: createEventBus(database),
    eventBusName: 'default',
    scope,
    clock: { now: () => 5_000 },
    onChanged: () => {},
  });
  const cluster: EcsCluster = {
    scope,
    clusterName: 'workspaces',
    clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/workspaces',
    store,
    tasks,
  };
  const driverCalls: string[] = [];
  const driver: TaskDriver = {
    name: 'simulated',
    start: (task: TaskRecord) => driverCalls.push(`start ${task.taskId}`),
    stop: (task: TaskRecord) => driverCalls.push(`stop ${task.taskId}`),
    adopt: () => {},
    close: async () => {},
  };
  const lines: string[] = [];
  const runTask = createRunTask(cluster, {
    database,
    driver,
    definitions: new Map([[CODEX.family, CODEX]]),
    clock: { now: () => 5_000 },
    quota: undefined,
    faults,
    roll: () => rolls.shift() ?? 0.99,
    log: (line) => lines.push(line),
  });
  return {
    runTask,
    stopTask: createStopTask(cluster, driver),
    describeTasks: createDescribeTasks(cluster),
    listTasks: createListTasks(cluster),
    tasks,
    driverCalls,
    lines,
  };
}

describe('the ECS operations over a cluster', () => {
  it('RunTask records PROVISIONING tasks and hands each to the driver', () => {
    const { runTask, tasks, driverCalls } = operationsHarness();
    const { tasks: started, failures } = runTask(runTaskRequest({ count: 2, startedBy: 'ws-1' }));

    expect(failures).toEqual([]);
    expect(started).toHaveLength(2);
    for (const task of started) {
      expect(task).toMatchObject({ lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING', startedBy: 'ws-1' });
      expect(tasks.live(task.taskArn as string)?.version).toBe(1);
    }
    expect(driverCalls).toHaveLength(2);
  });

  it('RunTask answers an injected capacity failure per task and records nothing', () => {
    const { runTask, tasks, driverCalls, lines } = operationsHarness({ capacityFailureRate: 0.5 }, [0.1]);
    const answer = runTask(runTaskRequest({ count: 2 }));

    expect(answer.tasks).toEqual([]);
    expect(answer.failures.map((failure) => failure.reason)).toEqual([
      CAPACITY_UNAVAILABLE_REASON,
      CAPACITY_UNAVAILABLE_REASON,
    ]);
    expect(tasks.liveTasks()).toEqual([]);
    expect(driverCalls).toEqual([]);
    expect(lines[0]).toContain('capacity unavailable (injected)');
  });

  it('RunTask with a clientToken answers the first call again', () => {
    const { runTask, driverCalls } = operationsHarness();
    const first = runTask(runTaskRequest({ clientToken: 'token-1' }));
    const again = runTask(runTaskRequest({ clientToken: 'token-1' }));

    expect(again.tasks.map((task) => task.taskArn)).toEqual(first.tasks.map((task) => task.taskArn));
    expect(driverCalls).toHaveLength(1);
    expect(
      thrown(() => runTask(runTaskRequest({ clientToken: 'token-1', startedBy: 'other' }))),
    ).toMatchObject({
      code: 'ConflictException',
    });
  });

  it('StopTask asks the driver to stop once, by id or ARN', () => {
    const { runTask, stopTask, driverCalls } = operationsHarness();
    const taskArn = runTask(runTaskRequest()).tasks[0]?.taskArn as string;
    const taskId = taskArn.split('/').at(-1) as string;

    expect(stopTask({ cluster: 'workspaces', task: taskId, reason: 'done' }).task).toMatchObject({
      desiredStatus: 'STOPPED',
      lastStatus: 'PROVISIONING',
      stoppedReason: 'done',
    });
    expect(stopTask({ cluster: 'workspaces', task: taskArn }).task).toMatchObject({ stoppedReason: 'done' });
    expect(driverCalls).toEqual([`start ${taskId}`, `stop ${taskId}`]);
    expect(thrown(() => stopTask({ cluster: 'workspaces', task: 'nope' }))).toMatchObject({
      code: 'InvalidParameterException',
    });
  });

  it('DescribeTasks answers known tasks and a MISSING failure for the others; ListTasks lists what runs', () => {
    const { runTask, describeTasks, listTasks } = operationsHarness();
    const taskArn = runTask(runTaskRequest()).tasks[0]?.taskArn as string;
    const otherCluster = 'arn:aws:ecs:us-east-1:000000000000:task/elsewhere/0123';

    expect(describeTasks({ cluster: 'workspaces', tasks: [taskArn, otherCluster] })).toMatchObject({
      tasks: [{ taskArn }],
      failures: [{ arn: otherCluster, reason: 'MISSING' }],
    });
    expect(listTasks({ cluster: 'workspaces' }).taskArns).toEqual([taskArn]);
    expect(thrown(() => listTasks({ cluster: 'other' }))).toMatchObject({ code: 'ClusterNotFoundException' });
  });
});
