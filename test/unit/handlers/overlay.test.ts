import { ParseError } from '@aws-lambda-powertools/parser';
import { DescribeTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadOverlays } from '#config/overlays.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { TaskLaunchedDetail } from '#contracts/outbound.ts';
import { createOverlayHandler } from '#functions/overlay/create-handler.ts';
import { LaunchedTaskNotVisibleError } from '#policies/errors.ts';
import { METRIC } from '#wiring/names.ts';
import {
  ACCOUNT,
  CLUSTER_ARN,
  ecsWithMock,
  envelope,
  eventBridgeWithMock,
  FakeClock,
  InMemoryPersistenceLayer,
  lambdaContext,
  metricTotal,
  quietInstrumentation,
  REGION,
  SETTINGS,
  sentEvents,
  taskArnOf,
  testCatalog,
} from './harness.ts';

const launched = (overrides: Partial<TaskLaunchedDetail> = {}): TaskLaunchedDetail => ({
  requestId: 'req-1',
  workspaceId: 'ws-1',
  orgId: 'org-1',
  runtime: 'claude-code',
  kind: 'workspace',
  tier: 2,
  image: 'ghcr.io/molecule-ai/workspace-template-claude-code:latest',
  taskArn: taskArnOf('t-1'),
  clusterArn: CLUSTER_ARN,
  cpu: 512,
  memory: 1024,
  ...overrides,
});

/** The task as ECS's DescribeTasks (with tags) reports it: by default, the one `launched()` names. */
const ecsTask = (
  overrides: { kind?: string; requestId?: string; startedBy?: string; clusterArn?: string } = {},
): Task => ({
  taskArn: taskArnOf('t-1'),
  clusterArn: overrides.clusterArn ?? CLUSTER_ARN,
  startedBy: overrides.startedBy ?? 'ws-1',
  lastStatus: 'PROVISIONING',
  desiredStatus: 'RUNNING',
  tags: [
    { key: 'workspace-id', value: 'ws-1' },
    { key: 'kind', value: overrides.kind ?? 'workspace' },
    { key: 'request-id', value: overrides.requestId ?? 'req-1' },
  ],
});

/** DescribeTasks of a task ECS does not show (yet): a MISSING failure and no task. */
const missing = { tasks: [], failures: [{ arn: taskArnOf('t-1'), reason: 'MISSING' }] };

function setup(answers: ReadonlyArray<{ tasks: Task[]; failures?: unknown[] }> = [{ tasks: [ecsTask()] }]) {
  const clock = new FakeClock();
  const instrumentation = quietInstrumentation();
  const { eventBridge, eventBridgeMock } = eventBridgeWithMock();
  const { ecs, ecsMock } = ecsWithMock();
  // Each DescribeTasks call gets the next answer; the last one repeats.
  let call = 0;
  ecsMock.on(DescribeTasksCommand).callsFake(() => answers[Math.min(call++, answers.length - 1)]);
  const handler = createOverlayHandler(
    {
      ecs,
      eventBridge,
      idempotencyStore: new InMemoryPersistenceLayer(),
      catalog: testCatalog(),
      overlays: loadOverlays(),
      settings: SETTINGS,
      clock,
    },
    { instrumentation },
  );
  const invoke = (detail: unknown) =>
    handler(
      envelope(DETAIL_TYPES.taskLaunched, detail, { source: 'platform.provisioner' }),
      lambdaContext(clock),
    );
  const forgedCount = () => metricTotal(instrumentation.emittedMetrics(), METRIC.forgedEventIgnored);
  return { eventBridgeMock, ecsMock, invoke, forgedCount };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('overlay', () => {
  it('gives kind=platform the platform plugin install only: the files are in place before start and Applied comes from task-state (v1.1)', async () => {
    const { invoke, eventBridgeMock, ecsMock } = setup([{ tasks: [ecsTask({ kind: 'platform' })] }]);

    const result = await invoke(launched({ kind: 'platform' }));

    expect(result).toEqual({ outcome: 'applied', taskArn: taskArnOf('t-1'), events: 1 });
    const events = sentEvents(eventBridgeMock);
    expect(events.map((event) => event.detailType)).toEqual([DETAIL_TYPES.pluginInstallRequested]);
    expect(events[0]?.detail).toMatchObject({
      requestId: 'req-1',
      workspaceId: 'ws-1',
      kind: 'platform',
      taskArn: taskArnOf('t-1'),
      plugin: {
        name: 'molecule-ai-plugin-molecule-platform-mcp',
        source: 'gitea://molecule-ai/molecule-ai-plugin-molecule-platform-mcp#main',
      },
    });
    expect(events.every((event) => event.resources?.includes(taskArnOf('t-1')))).toBe(true);
    // Checked against ECS in the configured cluster, tags included.
    expect(ecsMock).toHaveReceivedCommandWith(DescribeTasksCommand, {
      cluster: CLUSTER_ARN,
      tasks: [taskArnOf('t-1')],
      include: ['TAGS'],
    });
  });

  it('gives kind=workspace no follow-up requests and publishes nothing (v1.1)', async () => {
    const { invoke, eventBridgeMock } = setup();

    const result = await invoke(launched({ kind: 'workspace' }));

    expect(result).toEqual({ outcome: 'applied', taskArn: taskArnOf('t-1'), events: 0 });
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('is idempotent per request and task', async () => {
    const { invoke, eventBridgeMock } = setup([{ tasks: [ecsTask({ kind: 'platform' })] }]);

    await invoke(launched({ kind: 'platform' }));
    await invoke(launched({ kind: 'platform' }));
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);

    // Another request reported the same live task (alreadyRunning): its own answer is due.
    await invoke(launched({ kind: 'platform', requestId: 'req-2', alreadyRunning: true }));
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 2);
  });

  it('throws on a malformed launched event, so it is retried and then kept in the DLQ', async () => {
    const { invoke, eventBridgeMock } = setup();
    await expect(invoke({ ...launched(), taskArn: undefined })).rejects.toBeInstanceOf(ParseError);
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});

describe('overlay: a launched event is believed only when ECS confirms it', () => {
  // Each case: what the event claims against what ECS reports. Nothing may be emitted for any of them.
  const forgeries = [
    {
      name: 'a workspace other than the one that started the task',
      event: launched({ workspaceId: 'ws-2' }),
      task: ecsTask(),
      reason: 'workspace-mismatch',
    },
    {
      name: "a request id other than the task's request-id tag",
      event: launched({ requestId: 'req-forged' }),
      task: ecsTask(),
      reason: 'request-mismatch',
    },
    {
      name: 'kind=platform for a kind=workspace task (would earn the concierge overlay)',
      event: launched({ kind: 'platform' }),
      task: ecsTask({ kind: 'workspace' }),
      reason: 'kind-mismatch',
    },
    {
      name: 'kind=platform with alreadyRunning for a kind=workspace task',
      event: launched({ kind: 'platform', requestId: 'req-2', alreadyRunning: true }),
      task: ecsTask({ kind: 'workspace' }),
      reason: 'kind-mismatch',
    },
    {
      name: 'a task in another cluster',
      event: launched({
        clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/elsewhere`,
        taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/elsewhere/t-1`,
      }),
      task: ecsTask(),
      reason: 'other-cluster',
    },
  ] as const;

  it.each(forgeries)('emits nothing for $name, and counts it', async ({ event, task, reason }) => {
    const { invoke, eventBridgeMock, forgedCount } = setup([{ tasks: [task] }]);

    const result = await invoke(event);

    expect(result).toEqual({ outcome: 'ignored', reason });
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 0);
    expect(forgedCount()).toBe(1);
  });

  it('never emits the platform plugin install for a forged kind=platform', async () => {
    const { invoke, eventBridgeMock } = setup([{ tasks: [ecsTask({ kind: 'workspace' })] }]);
    await invoke(launched({ kind: 'platform' }));
    const types = sentEvents(eventBridgeMock).map((event) => event.detailType);
    expect(types).not.toContain(DETAIL_TYPES.pluginInstallRequested);
    expect(types).not.toContain(DETAIL_TYPES.templateAssetsRequested);
  });

  it('waits for a task ECS does not show yet (DescribeTasks lags RunTask), then applies the overlay', async () => {
    const { invoke, eventBridgeMock, ecsMock, forgedCount } = setup([
      missing,
      missing,
      { tasks: [ecsTask({ kind: 'platform' })] },
    ]);

    const result = await invoke(launched({ kind: 'platform' }));

    expect(result).toMatchObject({ outcome: 'applied', events: 1 });
    expect(ecsMock).toHaveReceivedCommandTimes(DescribeTasksCommand, 3);
    expect(sentEvents(eventBridgeMock).map((event) => event.detailType)).toContain(
      DETAIL_TYPES.pluginInstallRequested,
    );
    expect(forgedCount()).toBe(0);
  });

  it('throws for a task ECS never shows, so the platform retries a genuine event instead of dropping it', async () => {
    const { invoke, eventBridgeMock, ecsMock, forgedCount } = setup([missing]);

    await expect(invoke(launched())).rejects.toBeInstanceOf(LaunchedTaskNotVisibleError);

    expect(ecsMock.commandCalls(DescribeTasksCommand).length).toBeGreaterThan(1);
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 0);
    expect(forgedCount()).toBe(0);
  });
});
