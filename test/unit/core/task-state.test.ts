import { describe, expect, it } from 'vitest';
import type { EcsTaskStateChangeDetail } from '#contracts/ecs.ts';
import { EcsTaskStateChangeDetail as EcsSchema } from '#contracts/ecs.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
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
      },
    });
  });

  it('maps a task that stopped before it ever ran to Failed with TASK_FAILED_TO_START', () => {
    const { event } = decideTaskState(failedToStart, 2);
    expect(event?.detailType).toBe(DETAIL_TYPES.provisionFailed);
    expect(event?.detail).toMatchObject({ workspaceId: 'ws-7', code: 'TASK_FAILED_TO_START', taskArn });
    expect(JSON.stringify(event?.detail)).not.toContain('pull access denied');
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
