import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadOverlays } from '#config/overlays.ts';
import { DETAIL_TYPES, ECS_SOURCE, ECS_TASK_STATE_CHANGE } from '#contracts/names.ts';
import { createTaskStateHandler } from '#functions/task-state/create-handler.ts';
import {
  CLUSTER_ARN,
  envelope,
  eventBridgeWithMock,
  FakeClock,
  InMemoryProvisionRequestStore,
  InMemoryTaskVersionStore,
  InMemoryWorkspaceLeaseStore,
  InMemoryWorkspaceRecordStore,
  lambdaContext,
  quietInstrumentation,
  SETTINGS,
  sentEvents,
  serviceError,
  taskArnOf,
  taskDefinitionArnOf,
  testCatalog,
} from './harness.ts';

const TASK = taskArnOf('t-1');

/** An `ECS Task State Change` detail as AWS sends it, with a field AWS added that we do not know. */
const stateChange = (lastStatus: string, version: number, extra: Record<string, unknown> = {}) => ({
  clusterArn: CLUSTER_ARN,
  taskArn: TASK,
  taskDefinitionArn: taskDefinitionArnOf('codex', 7),
  group: 'family:workspace-codex',
  startedBy: 'ws-1',
  lastStatus,
  desiredStatus: lastStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
  launchType: 'FARGATE',
  availabilityZone: 'us-east-1a',
  createdAt: '2026-03-01T12:00:00.000Z',
  version,
  overrides: {
    containerOverrides: [
      {
        name: 'workspace',
        environment: [
          { name: 'WORKSPACE_ID', value: 'ws-1' },
          { name: 'WORKSPACE_KIND', value: 'platform' },
          { name: 'WORKSPACE_RUNTIME', value: 'codex' },
        ],
      },
    ],
  },
  containers: [{ name: 'workspace', lastStatus }],
  someFieldAwsAddedLater: { nested: true },
  ...extra,
});

function setup() {
  const clock = new FakeClock();
  const { eventBridge, eventBridgeMock } = eventBridgeWithMock();
  const taskVersions = new InMemoryTaskVersionStore();
  const workspaceLeases = new InMemoryWorkspaceLeaseStore(clock);
  const provisionRequests = new InMemoryProvisionRequestStore();
  const handler = createTaskStateHandler(
    {
      eventBridge,
      taskVersions,
      workspaceLeases,
      provisionRequests,
      workspaceRecords: new InMemoryWorkspaceRecordStore(),
      catalog: testCatalog(),
      overlays: loadOverlays(),
      settings: SETTINGS,
      clock,
    },
    { instrumentation: quietInstrumentation() },
  );
  const invoke = (detail: unknown) =>
    handler(
      envelope(ECS_TASK_STATE_CHANGE, detail, { source: ECS_SOURCE, resources: [TASK] }),
      lambdaContext(clock),
    );
  return { eventBridgeMock, taskVersions, workspaceLeases, provisionRequests, invoke };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('task-state', () => {
  it("puts a task's events on the bus in version order when two versions are in flight at once", async () => {
    const clock = new FakeClock();
    let releaseRunning: () => void = () => undefined;
    const runningGate = new Promise<void>((resolve) => {
      releaseRunning = resolve;
    });
    // The first wait for the task's lease is the moment the later version is held back.
    const waitingClock = Object.assign(clock, {
      async sleep(ms: number) {
        releaseRunning();
        await new Promise((resolve) => setImmediate(resolve));
        clock.advance(ms);
      },
    });
    const { eventBridge, eventBridgeMock } = eventBridgeWithMock();
    const landed: string[] = [];
    eventBridgeMock
      .on(PutEventsCommand)
      .callsFake(async (input: { Entries?: Array<{ DetailType?: string }> }) => {
        const detailType = input.Entries?.[0]?.DetailType ?? '';
        if (detailType === DETAIL_TYPES.running) await runningGate;
        landed.push(detailType);
        return {
          FailedEntryCount: 0,
          Entries: (input.Entries ?? []).map((_, index) => ({ EventId: `e-${index}` })),
        };
      });
    const handler = createTaskStateHandler(
      {
        eventBridge,
        taskVersions: new InMemoryTaskVersionStore(),
        workspaceLeases: new InMemoryWorkspaceLeaseStore(clock),
        workspaceRecords: new InMemoryWorkspaceRecordStore(),
        provisionRequests: new InMemoryProvisionRequestStore(),
        catalog: testCatalog(),
        overlays: loadOverlays(),
        settings: SETTINGS,
        clock: waitingClock,
      },
      { instrumentation: quietInstrumentation() },
    );
    const invoke = (detail: unknown) =>
      handler(
        envelope(ECS_TASK_STATE_CHANGE, detail, { source: ECS_SOURCE, resources: [TASK] }),
        lambdaContext(clock),
      );

    const started = { startedAt: '2026-03-01T12:01:00.000Z' };
    const running = invoke(stateChange('RUNNING', 3, started));
    const stopped = invoke(stateChange('STOPPED', 5, { ...started, stopCode: 'UserInitiated' }));
    await Promise.all([running, stopped]);

    expect(landed).toEqual([DETAIL_TYPES.running, DETAIL_TYPES.stopped]);
  });

  it('emits Workspace Running when the task reaches RUNNING', async () => {
    const { invoke, eventBridgeMock } = setup();

    const result = await invoke(stateChange('RUNNING', 3, { startedAt: '2026-03-01T12:01:00.000Z' }));

    expect(result).toEqual({ outcome: 'emitted', detailType: DETAIL_TYPES.running, version: 3 });
    expect(sentEvents(eventBridgeMock)).toEqual([
      {
        detailType: DETAIL_TYPES.running,
        source: 'platform.provisioner',
        eventBusName: 'workspaces',
        resources: [TASK],
        detail: { workspaceId: 'ws-1', taskArn: TASK, runtime: 'codex', kind: 'platform', version: 3 },
      },
    ]);
  });

  it('emits one event for a duplicate delivery', async () => {
    const { invoke, eventBridgeMock } = setup();
    const running = stateChange('RUNNING', 3, { startedAt: '2026-03-01T12:01:00.000Z' });

    await invoke(running);
    const again = await invoke(running);

    expect(again).toEqual({ outcome: 'ignored', reason: 'stale-or-duplicate' });
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });

  it('orders by version: a RUNNING that arrives after STOPPED emits nothing', async () => {
    const { invoke, eventBridgeMock } = setup();

    await invoke(
      stateChange('STOPPED', 5, {
        startedAt: '2026-03-01T12:01:00.000Z',
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        containers: [{ name: 'workspace', lastStatus: 'STOPPED', exitCode: 137 }],
      }),
    );
    const late = await invoke(stateChange('RUNNING', 3, { startedAt: '2026-03-01T12:01:00.000Z' }));

    expect(late).toEqual({ outcome: 'ignored', reason: 'stale-or-duplicate' });
    const events = sentEvents(eventBridgeMock);
    expect(events.map((event) => event.detailType)).toEqual([DETAIL_TYPES.stopped]);
    expect(events[0]?.detail).toMatchObject({
      stopCode: 'EssentialContainerExited',
      exitCode: 137,
      version: 5,
    });
  });

  it('advances through states that mean nothing to a workspace without emitting', async () => {
    const { invoke, eventBridgeMock, taskVersions } = setup();

    expect(await invoke(stateChange('PENDING', 2))).toEqual({ outcome: 'advanced', version: 2 });
    await invoke(stateChange('RUNNING', 3, { startedAt: '2026-03-01T12:01:00.000Z' }));

    expect(taskVersions.versions.get(TASK)).toBe(3);
    expect(sentEvents(eventBridgeMock).map((event) => event.detailType)).toEqual([DETAIL_TYPES.running]);
  });

  it('emits Provision Failed with IMAGE_PULL_FAILED when a task stops before it ever ran, pulling its image', async () => {
    const { invoke, eventBridgeMock } = setup();

    await invoke(
      stateChange('STOPPED', 4, {
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)',
      }),
    );

    const [event] = sentEvents(eventBridgeMock);
    expect(event?.detailType).toBe(DETAIL_TYPES.provisionFailed);
    expect(event?.detail).toMatchObject({
      workspaceId: 'ws-1',
      code: 'IMAGE_PULL_FAILED',
      retryable: false,
      taskArn: TASK,
    });
  });

  it('records no version when the emit fails, so the redelivery emits', async () => {
    const { invoke, eventBridgeMock, taskVersions } = setup();
    eventBridgeMock.on(PutEventsCommand).rejectsOnce(serviceError('InternalException', 'boom', 500));
    const running = stateChange('RUNNING', 3, { startedAt: '2026-03-01T12:01:00.000Z' });

    await expect(invoke(running)).rejects.toThrow();
    expect(taskVersions.versions.has(TASK)).toBe(false);

    eventBridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    await expect(invoke(running)).resolves.toMatchObject({ outcome: 'emitted' });
  });

  it('repeats the event rather than lose it when recording the version fails after the emit', async () => {
    const { invoke, eventBridgeMock, taskVersions } = setup();
    const running = stateChange('RUNNING', 3, { startedAt: '2026-03-01T12:01:00.000Z' });
    const advance = vi.spyOn(taskVersions, 'advance').mockRejectedValueOnce(new Error('store unavailable'));

    await expect(invoke(running)).rejects.toThrow('store unavailable');
    await expect(invoke(running)).resolves.toMatchObject({ outcome: 'emitted' });

    expect(advance).toHaveBeenCalledTimes(2);
    expect(sentEvents(eventBridgeMock).map((event) => event.detailType)).toEqual([
      DETAIL_TYPES.running,
      DETAIL_TYPES.running,
    ]);
  });

  it('keeps its outcome when releasing the task lease fails', async () => {
    const { invoke, workspaceLeases } = setup();
    vi.spyOn(workspaceLeases, 'release').mockRejectedValueOnce(new Error('store unavailable'));

    await expect(
      invoke(stateChange('RUNNING', 3, { startedAt: '2026-03-01T12:01:00.000Z' })),
    ).resolves.toMatchObject({
      outcome: 'emitted',
    });
  });

  it('parses leniently but drops an event without a version, without throwing', async () => {
    const { invoke, eventBridgeMock } = setup();
    const { version: _dropped, ...withoutVersion } = stateChange('RUNNING', 3);

    await expect(invoke(withoutVersion)).resolves.toEqual({ outcome: 'ignored', reason: 'unparseable' });
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('ignores a task of a family that is not ours', async () => {
    const { invoke, eventBridgeMock } = setup();
    const foreign = stateChange('RUNNING', 3, {
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/workspace-foo:1',
      group: 'family:workspace-foo',
    });

    await expect(invoke(foreign)).resolves.toEqual({ outcome: 'ignored', reason: 'foreign-family' });
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});
