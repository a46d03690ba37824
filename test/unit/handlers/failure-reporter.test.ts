import { DescribeTasksCommand, ListTasksCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { createFailureReporterHandler } from '#functions/failure-reporter/create-handler.ts';
import { createProvisionHandler } from '#functions/provision/create-handler.ts';
import { METRIC } from '#wiring/names.ts';
import {
  ec2WithMock,
  ecsWithMock,
  envelope,
  eventBridgeWithMock,
  FakeClock,
  InMemoryPersistenceLayer,
  InMemoryProvisionRequestStore,
  InMemoryWorkspaceFiles,
  InMemoryWorkspaceLeaseStore,
  InMemoryWorkspaceRecordStore,
  lambdaContext,
  metricTotal,
  quietInstrumentation,
  SETTINGS,
  sentEvents,
  testCatalog,
  untemplatedOverlays,
} from './harness.ts';

const provisionRequest = envelope(DETAIL_TYPES.provisionRequested, {
  requestId: 'req-1',
  workspaceId: 'ws-1',
  orgId: 'org-1',
  runtime: 'codex',
  kind: 'platform',
});

/** Lambda's on-failure destination record for an async invocation whose retries are spent. */
const asyncFailureRecord = (
  errorType: string,
  errorMessage: string,
  requestPayload: unknown = provisionRequest,
  condition = 'RetriesExhausted',
) => ({
  version: '1.0',
  timestamp: '2026-03-01T12:05:00.000Z',
  requestContext: {
    requestId: 'c0ffee00-0000-4000-8000-000000000001',
    functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:provision:$LATEST',
    condition,
    approximateInvokeCount: 3,
  },
  requestPayload,
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  responsePayload: { errorType, errorMessage, trace: [] },
});

function setup() {
  const clock = new FakeClock();
  const { eventBridge, eventBridgeMock } = eventBridgeWithMock();
  const { ecs, ecsMock } = ecsWithMock();
  // By default the failed request left no task behind.
  ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
  const instrumentation = quietInstrumentation();
  const handler = createFailureReporterHandler(
    { ecs, eventBridge, settings: SETTINGS, clock },
    { instrumentation },
  );
  const invoke = (record: unknown) => handler(record, lambdaContext(clock));
  return { eventBridgeMock, ecsMock, instrumentation, invoke, clock };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('failure reporter', () => {
  it('emits Provision Failed with the code from the error message', async () => {
    const { invoke, eventBridgeMock, instrumentation } = setup();

    const result = await invoke(
      asyncFailureRecord(
        'LaunchRetriesSpentError',
        'CAPACITY_UNAVAILABLE: ECS had no Fargate capacity for the task within the retry window',
      ),
    );

    expect(result).toEqual({ outcome: 'reported', code: 'CAPACITY_UNAVAILABLE', stoppedTasks: 0 });
    expect(sentEvents(eventBridgeMock)).toEqual([
      {
        detailType: DETAIL_TYPES.provisionFailed,
        source: 'platform.provisioner',
        eventBusName: 'workspaces',
        detail: {
          requestId: 'req-1',
          workspaceId: 'ws-1',
          code: 'CAPACITY_UNAVAILABLE',
          reason: 'ECS had no Fargate capacity for the task within the retry window',
          retryable: true,
          runtime: 'codex',
          kind: 'platform',
        },
      },
    ]);
    expect(
      metricTotal(instrumentation.emittedMetrics(), 'ProvisionFailed', { code: 'CAPACITY_UNAVAILABLE' }),
    ).toBe(1);
  });

  it('reports THROTTLED for a request that aged out of the async queue', async () => {
    const { invoke, eventBridgeMock } = setup();
    const aged = {
      ...asyncFailureRecord('', ''),
      responsePayload: null,
      requestContext: { condition: 'EventAgeExceeded' },
    };

    await expect(invoke(aged)).resolves.toEqual({ outcome: 'reported', code: 'THROTTLED', stoppedTasks: 0 });
    expect(sentEvents(eventBridgeMock)[0]?.detail).toMatchObject({ code: 'THROTTLED' });
  });

  it('emits nothing and does not throw when the request names no readable workspace', async () => {
    const { invoke, eventBridgeMock } = setup();
    const unreadable = asyncFailureRecord(
      'Error',
      'THROTTLED: x',
      envelope(DETAIL_TYPES.provisionRequested, { workspaceId: 42 }),
    );

    await expect(invoke(unreadable)).resolves.toEqual({ outcome: 'skipped', reason: 'unreadable' });
    await expect(invoke('not a record')).resolves.toEqual({ outcome: 'skipped', reason: 'unreadable' });
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('leaves a bad request whose rejection could not be published to the DLQ, never calling it Failed', async () => {
    const { invoke, eventBridgeMock } = setup();

    const result = await invoke(
      asyncFailureRecord(
        'RejectionNotPublishedError',
        'the request breaks the contract and its rejection could not be published',
      ),
    );

    expect(result).toEqual({ outcome: 'skipped', reason: 'rejection-not-published' });
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('stops the task its request did start before reporting Failed, and only that task', async () => {
    const { invoke, ecsMock, eventBridgeMock } = setup();
    const own = 'arn:aws:ecs:us-east-1:123456789012:task/workspaces/own';
    const other = 'arn:aws:ecs:us-east-1:123456789012:task/workspaces/other';
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [own, other] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: own,
          desiredStatus: 'RUNNING',
          startedBy: 'ws-1',
          tags: [{ key: 'request-id', value: 'req-1' }],
        },
        {
          taskArn: other,
          desiredStatus: 'RUNNING',
          startedBy: 'ws-1',
          tags: [{ key: 'request-id', value: 'req-0' }],
        },
      ],
    });
    ecsMock.on(StopTaskCommand).resolves({});

    const result = await invoke(asyncFailureRecord('EventPublishError', 'PutEvents kept failing'));

    expect(result).toEqual({ outcome: 'reported', code: 'LAUNCH_FAILED', stoppedTasks: 1 });
    expect(ecsMock).toHaveReceivedCommandTimes(StopTaskCommand, 1);
    expect(ecsMock).toHaveReceivedCommandWith(StopTaskCommand, { task: own });
    expect(sentEvents(eventBridgeMock).map((event) => event.detailType)).toEqual([
      DETAIL_TYPES.provisionFailed,
    ]);
  });

  it('does not report a duplicate that failed while the first delivery was in progress', async () => {
    const { invoke, eventBridgeMock } = setup();

    const result = await invoke(
      asyncFailureRecord('IdempotencyAlreadyInProgressError', 'There is already an execution in progress'),
    );

    expect(result).toEqual({ outcome: 'skipped', reason: 'in-progress-duplicate' });
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});

describe('failure reporter: a spent Template Assets Staged (v1.1)', () => {
  const stagedEvent = envelope(DETAIL_TYPES.templateAssetsStaged, {
    requestId: 'req-7',
    workspaceId: 'ws-7',
  });

  it('ends the request in Provision Failed with a generic code and reason, as a spent provision request', async () => {
    const { invoke, eventBridgeMock } = setup();

    const result = await invoke(asyncFailureRecord('Error', 'the bucket could not be read', stagedEvent));

    expect(result).toEqual({ outcome: 'reported', code: 'LAUNCH_FAILED', stoppedTasks: 0 });
    const [failed] = sentEvents(eventBridgeMock);
    expect(failed?.detailType).toBe(DETAIL_TYPES.provisionFailed);
    expect(failed?.detail).toEqual({
      requestId: 'req-7',
      workspaceId: 'ws-7',
      code: 'LAUNCH_FAILED',
      reason: expect.not.stringContaining('bucket'),
      retryable: false,
    });
  });

  it('keeps the code of a launch whose retries were spent after the assets were staged', async () => {
    const { invoke } = setup();
    const result = await invoke(
      asyncFailureRecord('LaunchRetriesSpentError', 'THROTTLED: ECS throttled RunTask', stagedEvent),
    );
    expect(result).toMatchObject({ outcome: 'reported', code: 'THROTTLED' });
  });
});

describe('exhausted retries, end to end', () => {
  it('still ends a capacity-starved request in Provision Failed CAPACITY_UNAVAILABLE', async () => {
    const clock = new FakeClock();
    const { ecs, ecsMock } = ecsWithMock();
    const provisionEvents = eventBridgeWithMock();
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [] });
    ecsMock
      .on(RunTaskCommand)
      .resolves({ tasks: [], failures: [{ reason: 'Capacity is unavailable at this time.' }] });
    const provision = createProvisionHandler(
      {
        ecs,
        ec2: ec2WithMock().ec2,
        eventBridge: provisionEvents.eventBridge,
        idempotencyStore: new InMemoryPersistenceLayer(),
        provisionRequests: new InMemoryProvisionRequestStore(),
        workspaceRecords: new InMemoryWorkspaceRecordStore(),
        workspaceFiles: new InMemoryWorkspaceFiles(),
        // The platform request launches at once here: this test is about the spent launch.
        overlays: untemplatedOverlays(),
        workspaceLeases: new InMemoryWorkspaceLeaseStore(clock),
        catalog: testCatalog(),
        settings: SETTINGS,
        clock,
      },
      { instrumentation: quietInstrumentation() },
    );

    // Lambda's first try and its two async retries all run out of time retrying in-invocation.
    const errors: Error[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      await provision(provisionRequest, lambdaContext(clock)).catch((error: Error) => errors.push(error));
    }
    expect(errors).toHaveLength(3);
    expect(sentEvents(provisionEvents.eventBridgeMock)).toEqual([]);

    // Then Lambda hands the last error and the original event to the on-failure destination.
    const last = errors[2] as Error;
    const { invoke, eventBridgeMock } = setup();
    await invoke(asyncFailureRecord(last.name, last.message));

    const [failed] = sentEvents(eventBridgeMock);
    expect(failed?.detailType).toBe(DETAIL_TYPES.provisionFailed);
    expect(failed?.detail).toMatchObject({
      requestId: 'req-1',
      workspaceId: 'ws-1',
      code: 'CAPACITY_UNAVAILABLE',
    });
  });
});

describe('failure reporter: deprovision and overlay records, told apart by the original detail-type', () => {
  const deprovisionRequest = envelope(DETAIL_TYPES.deprovisionRequested, {
    requestId: 'req-9',
    workspaceId: 'ws-1',
  });
  const taskArn = 'arn:aws:ecs:us-east-1:123456789012:task/workspaces/t-1';
  const launchedEvent = envelope(
    DETAIL_TYPES.taskLaunched,
    { requestId: 'req-1', workspaceId: 'ws-1', kind: 'platform', taskArn, runtime: 'codex' },
    { source: 'platform.provisioner' },
  );
  // The raw error text a handler threw: AWS's words, an account id and an ARN. None may be echoed.
  const rawError = `AccessDeniedException: User arn:aws:sts::123456789012:assumed-role/x is not authorized on ${taskArn}`;

  it('emits Deprovision Failed with a generic reason for a deprovision whose retries are spent', async () => {
    const { invoke, eventBridgeMock, ecsMock, instrumentation } = setup();

    const result = await invoke(asyncFailureRecord('AccessDeniedException', rawError, deprovisionRequest));

    expect(result).toEqual({ outcome: 'reported', code: 'DEPROVISION_FAILED' });
    const events = sentEvents(eventBridgeMock);
    expect(events).toEqual([
      {
        detailType: DETAIL_TYPES.deprovisionFailed,
        source: 'platform.provisioner',
        eventBusName: 'workspaces',
        detail: {
          requestId: 'req-9',
          workspaceId: 'ws-1',
          code: 'DEPROVISION_FAILED',
          reason: expect.any(String),
        },
      },
    ]);
    const reason = String(events[0]?.detail.reason);
    expect(reason).not.toMatch(/arn:|123456789012|AccessDenied/);
    expect(metricTotal(instrumentation.emittedMetrics(), METRIC.deprovisionFailed)).toBe(1);
    expect(metricTotal(instrumentation.emittedMetrics(), METRIC.provisionFailed)).toBe(0);
    // Unlike a failed provision, nothing is stopped: stopping is what failed.
    expect(ecsMock).toHaveReceivedCommandTimes(StopTaskCommand, 0);
  });

  it('emits Deprovision Failed with DEPROVISION_EXPIRED for a deprovision that aged out', async () => {
    const { invoke, eventBridgeMock } = setup();
    const aged = {
      ...asyncFailureRecord('', '', deprovisionRequest),
      responsePayload: null,
      requestContext: { condition: 'EventAgeExceeded' },
    };
    await expect(invoke(aged)).resolves.toEqual({ outcome: 'reported', code: 'DEPROVISION_EXPIRED' });
    expect(sentEvents(eventBridgeMock)[0]?.detailType).toBe(DETAIL_TYPES.deprovisionFailed);
  });

  it('emits Config Overlay Failed with the task and kind for an overlay whose retries are spent', async () => {
    const { invoke, eventBridgeMock, instrumentation } = setup();

    const result = await invoke(asyncFailureRecord('LaunchedTaskNotVisibleError', rawError, launchedEvent));

    expect(result).toEqual({ outcome: 'reported', code: 'OVERLAY_FAILED' });
    const events = sentEvents(eventBridgeMock);
    expect(events).toEqual([
      {
        detailType: DETAIL_TYPES.configOverlayFailed,
        source: 'platform.provisioner',
        eventBusName: 'workspaces',
        resources: [taskArn],
        detail: {
          requestId: 'req-1',
          workspaceId: 'ws-1',
          taskArn,
          kind: 'platform',
          code: 'OVERLAY_FAILED',
          reason: expect.any(String),
        },
      },
    ]);
    expect(String(events[0]?.detail.reason)).not.toMatch(/arn:|123456789012|AccessDenied/);
    expect(metricTotal(instrumentation.emittedMetrics(), METRIC.overlayFailed)).toBe(1);
  });

  it('leaves a deprovision or overlay record that names no readable request to the DLQ', async () => {
    const { invoke, eventBridgeMock } = setup();
    for (const payload of [
      envelope(DETAIL_TYPES.deprovisionRequested, { workspaceId: 'ws-1' }),
      envelope(DETAIL_TYPES.taskLaunched, { requestId: 'req-1', workspaceId: 'not a workspace id' }),
    ]) {
      await expect(invoke(asyncFailureRecord('Error', 'x', payload))).resolves.toEqual({
        outcome: 'skipped',
        reason: 'unreadable',
      });
    }
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});
