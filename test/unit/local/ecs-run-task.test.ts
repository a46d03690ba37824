import { afterEach, describe, expect, it } from 'vitest';
import { CAPACITY_UNAVAILABLE_REASON, CLIENT_TOKEN_TTL_MS } from '#local/ecs/index.ts';
import { type EcsHarness, ecsHarness, manualClock, NETWORK, runTaskRequest, thrown } from './helpers.ts';

const ARN_PREFIX = 'arn:aws:ecs:us-east-1:000000000000';

describe('RunTask', () => {
  const harnesses: EcsHarness[] = [];
  afterEach(async () => {
    for (const harness of harnesses.splice(0)) await harness.close();
  });
  const open = (...args: Parameters<typeof ecsHarness>): EcsHarness => {
    const harness = ecsHarness(...args);
    harnesses.push(harness);
    return harness;
  };

  it('starts a PROVISIONING task with the ARNs, group, tags and overrides ECS reports', () => {
    const clock = manualClock();
    const { ecs, stateChanges } = open({ clock });
    const overrides = {
      cpu: '512',
      memory: '1024',
      containerOverrides: [{ name: 'workspace', environment: [{ name: 'WORKSPACE_ID', value: 'ws-1' }] }],
    };

    const { tasks, failures } = ecs.runTask(
      runTaskRequest({ startedBy: 'ws-1', tags: [{ key: 'workspace-id', value: 'ws-1' }], overrides }),
    );

    expect(failures).toEqual([]);
    expect(tasks).toHaveLength(1);
    const task = tasks[0] as Record<string, unknown>;
    expect(task.taskArn).toMatch(new RegExp(`^${ARN_PREFIX}:task/workspaces/[0-9a-f]{32}$`));
    expect(task).toMatchObject({
      clusterArn: `${ARN_PREFIX}:cluster/workspaces`,
      taskDefinitionArn: `${ARN_PREFIX}:task-definition/workspace-codex:1`,
      group: 'family:workspace-codex',
      startedBy: 'ws-1',
      launchType: 'FARGATE',
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      cpu: '512',
      memory: '1024',
      version: 1,
      overrides,
      createdAt: clock.now() / 1000,
    });
    expect(task.tags).toBeUndefined();
    expect(stateChanges()).toMatchObject([{ taskArn: task.taskArn, lastStatus: 'PROVISIONING', version: 1 }]);
  });

  it('takes the cluster and task definition by ARN and starts up to 10 tasks', () => {
    const { ecs } = open();

    const { tasks } = ecs.runTask(
      runTaskRequest({
        cluster: `${ARN_PREFIX}:cluster/workspaces`,
        taskDefinition: `${ARN_PREFIX}:task-definition/workspace-codex:1`,
        count: 10,
        group: 'batch',
      }),
    );

    expect(tasks).toHaveLength(10);
    expect(new Set(tasks.map((task) => task.taskArn)).size).toBe(10);
    expect(tasks[0]).toMatchObject({
      group: 'batch',
      overrides: { containerOverrides: [{ name: 'workspace' }] },
    });
  });

  it('returns the original tasks for a retry with the same clientToken and parameters', () => {
    const { ecs, stateChanges } = open();
    const request = runTaskRequest({ startedBy: 'ws-1', clientToken: 'token-1' });

    const first = ecs.runTask(request);
    const retry = ecs.runTask({ ...request });

    expect(retry.tasks.map((task) => task.taskArn)).toEqual(first.tasks.map((task) => task.taskArn));
    expect(stateChanges().filter((detail) => detail.lastStatus === 'PROVISIONING')).toHaveLength(1);
  });

  it('answers the same clientToken with different parameters with ConflictException naming the tasks', () => {
    const { ecs } = open();
    const first = ecs.runTask(runTaskRequest({ startedBy: 'ws-1', clientToken: 'token-1' }));

    const conflict = thrown(() => ecs.runTask(runTaskRequest({ startedBy: 'ws-2', clientToken: 'token-1' })));

    expect(conflict).toMatchObject({
      code: 'ConflictException',
      statusCode: 400,
      fields: { resourceIds: first.tasks.map((task) => task.taskArn) },
    });
  });

  it('forgets a clientToken after 24 hours', () => {
    const clock = manualClock();
    const { ecs } = open({ clock });
    const request = runTaskRequest({ clientToken: 'token-1' });
    const first = ecs.runTask(request);

    clock.advance(CLIENT_TOKEN_TTL_MS);
    const later = ecs.runTask(request);

    expect(later.tasks[0]?.taskArn).not.toBe(first.tasks[0]?.taskArn);
  });

  it.each([
    ['an unknown cluster', { cluster: 'other' }, 'ClusterNotFoundException'],
    ['the default cluster, which does not exist here', { cluster: undefined }, 'ClusterNotFoundException'],
    [
      'a cluster ARN of another account',
      { cluster: 'arn:aws:ecs:us-east-1:111111111111:cluster/workspaces' },
      'ClusterNotFoundException',
    ],
    ['an unknown family', { taskDefinition: 'workspace-nope' }, 'ClientException'],
    ['a revision that does not exist', { taskDefinition: 'workspace-codex:2' }, 'ClientException'],
    ['no task definition', { taskDefinition: undefined }, 'InvalidParameterException'],
    ['count 11', { count: 11 }, 'InvalidParameterException'],
    ['count 0', { count: 0 }, 'InvalidParameterException'],
    ['a clientToken over 64 characters', { clientToken: 'x'.repeat(65) }, 'InvalidParameterException'],
    ['a clientToken with a space', { clientToken: 'a b' }, 'InvalidParameterException'],
    ['a startedBy over 128 characters', { startedBy: 'w'.repeat(129) }, 'InvalidParameterException'],
    ['no network configuration', { networkConfiguration: undefined }, 'InvalidParameterException'],
    [
      'no subnets',
      { networkConfiguration: { awsvpcConfiguration: { subnets: [] } } },
      'InvalidParameterException',
    ],
    ['the EC2 launch type', { launchType: 'EC2' }, 'InvalidParameterException'],
    [
      'a launch type and a capacity provider strategy',
      { capacityProviderStrategy: [{ capacityProvider: 'FARGATE' }] },
      'InvalidParameterException',
    ],
    [
      'an override of a container the task definition lacks',
      { overrides: { containerOverrides: [{ name: 'sidecar' }] } },
      'InvalidParameterException',
    ],
    [
      'overrides over 8,192 characters',
      {
        overrides: {
          containerOverrides: [
            { name: 'workspace', environment: [{ name: 'BIG', value: 'x'.repeat(8200) }] },
          ],
        },
      },
      'InvalidParameterException',
    ],
    [
      'more than 50 tags',
      { tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' })) },
      'InvalidParameterException',
    ],
    [
      'a tag with the aws: prefix',
      { tags: [{ key: 'aws:owner', value: 'me' }] },
      'InvalidParameterException',
    ],
    ['propagateTags SERVICE', { propagateTags: 'SERVICE' }, 'InvalidParameterException'],
    ['a count that is not a number', { count: 'two' }, 'SerializationException'],
  ])('refuses %s', (_case, overrides, code) => {
    const { ecs, stateChanges } = open();

    expect(thrown(() => ecs.runTask(runTaskRequest(overrides)))).toMatchObject({ code, statusCode: 400 });
    expect(stateChanges()).toEqual([]);
  });

  it('runs with a Fargate capacity provider strategy instead of a launch type', () => {
    const { ecs } = open();

    const { tasks } = ecs.runTask({
      cluster: 'workspaces',
      taskDefinition: 'workspace-codex',
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      networkConfiguration: NETWORK,
    });

    expect(tasks[0]).toMatchObject({ launchType: 'FARGATE', capacityProviderName: 'FARGATE_SPOT' });
  });

  it('throttles with ThrottlingException once the token bucket is empty, and refills it over time', () => {
    const clock = manualClock();
    const { ecs } = open({ clock, quota: { burst: 3, ratePerSecond: 2 } });
    const attempt = () => {
      try {
        ecs.runTask(runTaskRequest());
        return 'ok';
      } catch (error) {
        return (error as { code: string }).code;
      }
    };

    const burst = Array.from({ length: 4 }, attempt);
    clock.advance(500);
    const afterHalfSecond = [attempt(), attempt()];
    clock.advance(10_000);
    const afterRefill = Array.from({ length: 4 }, attempt);

    expect(burst).toEqual(['ok', 'ok', 'ok', 'ThrottlingException']);
    expect(afterHalfSecond).toEqual(['ok', 'ThrottlingException']);
    expect(afterRefill).toEqual(['ok', 'ok', 'ok', 'ThrottlingException']);
    expect(thrown(() => ecs.runTask(runTaskRequest()))).toMatchObject({
      message: 'Rate exceeded',
      statusCode: 400,
    });
  });

  it('answers an injected capacity failure with HTTP 200, a failures entry and no task', () => {
    const { ecs, stateChanges } = open({ faults: { capacityFailureRate: 1, seed: 1 } });

    const response = ecs.runTask(runTaskRequest({ count: 2 }));

    expect(response.tasks).toEqual([]);
    expect(response.failures).toEqual([
      { arn: `${ARN_PREFIX}:cluster/workspaces`, reason: CAPACITY_UNAVAILABLE_REASON },
      { arn: `${ARN_PREFIX}:cluster/workspaces`, reason: CAPACITY_UNAVAILABLE_REASON },
    ]);
    expect(stateChanges()).toEqual([]);
  });

  it('lets a clientToken whose call hit a capacity failure start the task on retry', () => {
    const { ecs } = open({ faults: { capacityFailureRate: 0.5, seed: 3 } });
    const request = runTaskRequest({ clientToken: 'retry-me' });

    let response = ecs.runTask(request);
    for (let attempt = 0; attempt < 50 && response.tasks.length === 0; attempt += 1)
      response = ecs.runTask(request);

    expect(response.tasks).toHaveLength(1);
  });

  it('injects throttling both as ThrottlingException and as InvalidParameterException saying Rate exceeded', () => {
    const { ecs } = open({ faults: { throttleRate: 1, seed: 5 } });

    const errors = Array.from({ length: 20 }, () => thrown(() => ecs.runTask(runTaskRequest())));

    const codes = new Set(errors.map((error) => error.code));
    expect(codes).toEqual(new Set(['ThrottlingException', 'InvalidParameterException']));
    for (const error of errors) expect(error.message).toMatch(/Rate exceeded/);
  });

  it('injects the same faults for the same seed', () => {
    const outcomes = (): string[] => {
      const { ecs } = open({ faults: { capacityFailureRate: 0.3, throttleRate: 0.2, seed: 99 } });
      return Array.from({ length: 30 }, () => {
        try {
          return ecs.runTask(runTaskRequest()).failures.length > 0 ? 'capacity' : 'ok';
        } catch (error) {
          return (error as { code: string }).code;
        }
      });
    };

    const first = outcomes();
    const second = outcomes();

    expect(first).toEqual(second);
    expect(new Set(first)).toEqual(
      new Set(['ok', 'capacity', 'ThrottlingException', 'InvalidParameterException']),
    );
  });
});
