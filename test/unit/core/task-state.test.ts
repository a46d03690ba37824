import { describe, expect, it } from 'vitest';
import type { EcsTaskStateChangeDetail } from '#contracts/ecs.ts';
import { EcsTaskStateChangeDetail as EcsSchema } from '#contracts/ecs.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { ProvisionFailedDetail, StoppedDetail } from '#contracts/outbound.ts';
import { deprovisionStopReason, PROVISION_TIMEOUT_STOP_REASON } from '#core/stop-reasons.ts';
import { decideTaskState, taskIdentity } from '#core/task-state.ts';

const taskArn = 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/0123456789abcdef';
const base = {
  clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/workspaces',
  taskArn,
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/workspace-hermes:3',
  group: 'family:workspace-hermes',
  startedBy: 'ws-7',
  desiredStatus: 'RUNNING',
  createdAt: '2026-11-23T10:00:00.000Z',
  overrides: {
    containerOverrides: [
      {
        name: 'workspace',
        environment: [
          { name: 'WORKSPACE_KIND', value: 'platform' },
          { name: 'WORKSPACE_RUNTIME', value: 'hermes' },
        ],
      },
    ],
  },
};
const state = (
  lastStatus: string,
  version: number,
  extra: Record<string, unknown> = {},
): EcsTaskStateChangeDetail => EcsSchema.parse({ ...base, lastStatus, version, ...extra });

const running = state('RUNNING', 3, { startedAt: '2026-11-23T10:00:30.000Z' });
const stopped = state('STOPPED', 5, {
  desiredStatus: 'STOPPED',
  startedAt: '2026-11-23T10:00:30.000Z',
  stopCode: 'UserInitiated',
  stoppedReason: 'Workspace deprovisioned',
  containers: [{ name: 'workspace', exitCode: 0, lastStatus: 'STOPPED' }],
});
const failedToStart = state('STOPPED', 4, {
  desiredStatus: 'STOPPED',
  stopCode: 'TaskFailedToStart',
  stoppedReason: 'CannotPullContainerError: pull access denied',
});

describe('decideTaskState', () => {
  it('maps RUNNING to Workspace Running with kind and runtime from the task', () => {
    expect(decideTaskState(running, 2)).toEqual({
      version: 3,
      event: {
        detailType: DETAIL_TYPES.running,
        detail: { workspaceId: 'ws-7', taskArn, runtime: 'hermes', kind: 'platform', version: 3 },
      },
    });
  });

  // The state change names each container's `imageDigest`; ECS returns it when the image is
  // hosted in Amazon ECR ("Amazon ECS task state change events", example event and the notes
  // above it: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html).
  // So Running carries the `workspace` container's digest when ECS gives one, and omits it when not.
  const digest = `sha256:${'ab'.repeat(32)}`;
  it.each([
    {
      name: 'the workspace container reports a digest',
      containers: [
        { name: 'sidecar', imageDigest: `sha256:${'cd'.repeat(32)}`, lastStatus: 'RUNNING' },
        { name: 'workspace', imageDigest: digest, lastStatus: 'RUNNING' },
      ],
      expected: { imageDigest: digest },
    },
    {
      name: 'only another container reports one',
      containers: [{ name: 'sidecar', imageDigest: digest, lastStatus: 'RUNNING' }],
      expected: {},
    },
    {
      name: 'ECS reports none (an image not resolved by digest)',
      containers: [{ name: 'workspace' }],
      expected: {},
    },
  ])('carries imageDigest on Workspace Running when $name', ({ containers, expected }) => {
    const detail = decideTaskState(
      state('RUNNING', 3, { startedAt: '2026-11-23T10:00:30.000Z', containers }),
      2,
    ).event?.detail;
    expect(detail).toEqual({
      workspaceId: 'ws-7',
      taskArn,
      runtime: 'hermes',
      kind: 'platform',
      version: 3,
      ...expected,
    });
  });

  it('maps STOPPED after running to Workspace Stopped with stop code and exit code', () => {
    expect(decideTaskState(stopped, 3).event).toEqual({
      detailType: DETAIL_TYPES.stopped,
      detail: {
        workspaceId: 'ws-7',
        taskArn,
        version: 5,
        kind: 'platform',
        runtime: 'hermes',
        stopCode: 'UserInitiated',
        stoppedReason: 'Workspace deprovisioned',
        exitCode: 0,
        // A UserInitiated stop: asked for, whoever asked (core/stop-cause.ts, rule 7).
        cause: 'requested',
      },
    });
  });

  // Stop codes and texts: see test/unit/core/stop-cause.test.ts, which cites AWS row by row.
  it.each([
    [
      'the workspace exiting by itself',
      { stopCode: 'EssentialContainerExited', containers: [{ name: 'workspace', exitCode: 3 }] },
      'crashed',
      3,
    ],
    [
      'the workspace killed for memory',
      {
        stopCode: 'EssentialContainerExited',
        containers: [
          {
            name: 'workspace',
            exitCode: 137,
            reason: 'OutOfMemoryError: Container killed due to memory usage',
          },
        ],
      },
      'out-of-memory',
      137,
    ],
    [
      'Fargate maintenance',
      { stoppedReason: 'ECS is performing maintenance on the underlying infrastructure hosting the task' },
      'infrastructure',
      undefined,
    ],
    [
      'a deprovision',
      { stopCode: 'UserInitiated', stoppedReason: deprovisionStopReason('dep-1') },
      'requested',
      undefined,
    ],
  ])('says why the task stopped on Workspace Stopped: %s', (_name, extra, cause, exitCode) => {
    const detail = decideTaskState(
      state('STOPPED', 5, { desiredStatus: 'STOPPED', startedAt: '2026-11-23T10:00:30.000Z', ...extra }),
      3,
    ).event?.detail;
    expect(detail).toMatchObject({ cause, ...(exitCode === undefined ? {} : { exitCode }) });
    expect(StoppedDetail.parse(detail)).toMatchObject({ cause });
  });

  it('says timed-out for the task the timeout sweep stopped before it ran', () => {
    const swept = state('STOPPED', 4, {
      desiredStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: PROVISION_TIMEOUT_STOP_REASON,
    });
    expect(decideTaskState(swept, 2).event).toMatchObject({
      detailType: DETAIL_TYPES.stopped,
      detail: { cause: 'timed-out' },
    });
  });

  it('maps a task whose image could not be pulled to Failed with IMAGE_PULL_FAILED, final', () => {
    const { event } = decideTaskState(failedToStart, 2);
    expect(event?.detailType).toBe(DETAIL_TYPES.provisionFailed);
    expect(event?.detail).toMatchObject({
      workspaceId: 'ws-7',
      code: 'IMAGE_PULL_FAILED',
      retryable: false,
      taskArn,
    });
    expect(JSON.stringify(event?.detail)).not.toContain('pull access denied');
  });

  it('maps a task that stopped before it ever ran for no known reason to Failed with TASK_FAILED_TO_START', () => {
    // CannotStartContainerError prefix: https://docs.aws.amazon.com/AmazonECS/latest/userguide/stopped-task-error-codes.html
    const { event } = decideTaskState(
      state('STOPPED', 4, {
        desiredStatus: 'STOPPED',
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'CannotStartContainerError: <reason>',
      }),
      2,
    );
    expect(event?.detailType).toBe(DETAIL_TYPES.provisionFailed);
    expect(event?.detail).toMatchObject({
      workspaceId: 'ws-7',
      code: 'TASK_FAILED_TO_START',
      reason: 'the task stopped before it ever ran',
      retryable: true,
      taskArn,
    });
  });

  // The example of "CannotPullContainer task errors" names an account id and a repository
  // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html); the
  // secrets text of https://repost.aws/knowledge-center/ecs-unable-to-pull-secrets goes on to name
  // the secret, here by ARN (ARN format: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
  it.each([
    [
      'CannotPullContainerError: API error (404): repository 111122223333.dkr.ecr.us-east-1.amazonaws.com/<repo>/<image> not found',
      'IMAGE_PULL_FAILED',
    ],
    [
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): arn:aws:secretsmanager:us-east-1:111122223333:secret:ws-7-abc123',
      'SECRETS_UNAVAILABLE',
    ],
    [
      'ResourceInitializationError: <text> arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0abc InsufficientFreeAddressesInSubnet',
      'CAPACITY_UNAVAILABLE',
    ],
  ])('keeps account ids and ARNs out of the failure: %s', (stoppedReason, code) => {
    const detail = decideTaskState(
      state('STOPPED', 4, { desiredStatus: 'STOPPED', stopCode: 'TaskFailedToStart', stoppedReason }),
      2,
    ).event?.detail;
    expect(detail).toMatchObject({ code });
    const reason = String((detail as { reason?: unknown } | undefined)?.reason);
    expect(reason).not.toMatch(/111122223333|arn:aws|amazonaws\.com|secret:|subnet-/);
    expect(ProvisionFailedDetail.parse(detail)).toMatchObject({ code, reason });
  });

  it('reports a user stop before RUNNING as Stopped, not as a failure', () => {
    const early = state('STOPPED', 4, { desiredStatus: 'STOPPED', stopCode: 'UserInitiated' });
    expect(decideTaskState(early, 2).event?.detailType).toBe(DETAIL_TYPES.stopped);
  });

  it.each([
    ['a duplicate', running, 3],
    ['a stale RUNNING after STOPPED', running, 5],
    ['a stale PENDING', state('PENDING', 2), 3],
  ])('gives nothing for %s', (_name, detail, lastVersion) => {
    expect(decideTaskState(detail, lastVersion)).toEqual({});
  });

  it('gives no second Running for the stop intent (RUNNING, desired STOPPED)', () => {
    const stopping = state('RUNNING', 4, { desiredStatus: 'STOPPED', startedAt: '2026-11-23T10:00:30.000Z' });
    expect(decideTaskState(stopping, 3)).toEqual({ version: 4 });
  });

  it('only advances the version for intermediate states', () => {
    expect(decideTaskState(state('PENDING', 2), 1)).toEqual({ version: 2 });
    expect(decideTaskState(state('PROVISIONING', 1), undefined)).toEqual({ version: 1 });
  });

  it('gives the right single final event whatever order the events arrive in', () => {
    const events = [state('PROVISIONING', 1), state('PENDING', 2), running, stopped];
    const orders = [
      events,
      [...events].reverse(),
      [events[2], events[3], events[0], events[1], events[3], events[2]],
    ];
    for (const order of orders) {
      let last: number | undefined;
      const emitted: string[] = [];
      for (const detail of order) {
        if (!detail) continue;
        const decision = decideTaskState(detail, last);
        if (decision.version !== undefined) last = decision.version;
        if (decision.event) emitted.push(decision.event.detailType);
      }
      expect(emitted.at(-1)).toBe(DETAIL_TYPES.stopped);
      expect(emitted.filter((type) => type === DETAIL_TYPES.stopped)).toHaveLength(1);
    }
  });

  it('parses AWS events leniently: unknown fields pass', () => {
    expect(
      EcsSchema.safeParse({ ...base, lastStatus: 'RUNNING', version: 1, ephemeralStorage: { sizeInGiB: 20 } })
        .success,
    ).toBe(true);
  });
});

describe('taskIdentity', () => {
  it('falls back to the family and the default kind when the env is absent', () => {
    const bare = EcsSchema.parse({ ...base, overrides: undefined, lastStatus: 'RUNNING', version: 1 });
    expect(taskIdentity(bare)).toEqual({ workspaceId: 'ws-7', runtime: 'hermes', kind: 'workspace' });
  });

  it('finds no workspace for a task nobody started for one', () => {
    const foreign = EcsSchema.parse({
      ...base,
      startedBy: undefined,
      overrides: undefined,
      lastStatus: 'RUNNING',
      version: 1,
    });
    expect(taskIdentity(foreign)).toBeUndefined();
  });
});
