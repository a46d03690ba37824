/**
 * The overlay, task-state, deprovision, timeout-sweep and failure-reporter flows called directly
 * over fake ports: no middy, no parser, no SDK client. What each flow decides is shown here; the
 * handler tests show the same through the Lambda entry point.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadOverlays } from '#config/overlays.ts';
import { EcsTaskStateChangeDetail } from '#contracts/ecs.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { DomainEvent } from '#core/overlay.ts';
import { deprovisionWorkspace } from '#functions/deprovision/deprovision-flow.ts';
import { reportSpentRequest, skipUnreadable } from '#functions/failure-reporter/failure-reporter-flow.ts';
import { UnknownRuntimeError } from '#functions/overlay/errors.ts';
import { applyOverlay } from '#functions/overlay/overlay-flow.ts';
import { onTaskStateChange, type TaskStatePorts } from '#functions/task-state/task-state-flow.ts';
import { sweepOverdueTasks } from '#functions/timeout-sweep/timeout-sweep-flow.ts';
import { WorkspaceTasks } from '#policies/workspace-tasks.ts';
import type { TaskSummary } from '#ports/task-runner.ts';
import { DEFAULT_DATA_TAG } from '#wiring/names.ts';
import { FakeWorkspaceVolumes } from './fake-workspace-volumes.ts';
import {
  CLUSTER_ARN,
  FakeClock,
  InMemoryProvisionRequestStore,
  InMemoryTaskVersionStore,
  InMemoryWorkspaceLeaseStore,
  InMemoryWorkspaceRecordStore,
  quietInstrumentation,
  taskArnOf,
  taskDefinitionArnOf,
  testCatalog,
} from './harness.ts';

/** A publisher that keeps what it is given. */
function recordingPublisher() {
  const published: DomainEvent[] = [];
  return {
    published,
    publisher: { publish: async (events: readonly DomainEvent[]) => void published.push(...events) },
  };
}

/** A task runner over a fixed list of tasks, recording the stops. */
function fakeRunner(tasks: TaskSummary[]) {
  const stopped: string[] = [];
  return {
    stopped,
    runner: {
      runTask: async () => {
        throw new Error('this flow never launches');
      },
      listTaskArns: async () => tasks.map((task) => task.taskArn),
      describeTasks: async (arns: readonly string[]) => ({
        tasks: tasks.filter((task) => arns.includes(task.taskArn)),
        missing: arns.filter((arn) => !tasks.some((task) => task.taskArn === arn)),
      }),
      stopTask: async (taskArn: string) => void stopped.push(taskArn),
    },
  };
}

beforeEach(() => {
  vi.unstubAllEnvs();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('applyOverlay', () => {
  const launched = {
    requestId: 'req-1',
    workspaceId: 'ws-1',
    orgId: 'org-1',
    runtime: 'claude-code',
    kind: 'workspace' as const,
    tier: 2 as const,
    image: 'ghcr.io/molecule-ai/workspace-template-claude-code:latest',
    taskArn: taskArnOf('t-1'),
    clusterArn: CLUSTER_ARN,
    cpu: 512,
    memory: 1024,
  };

  /** ECS shows the launched task as the event describes it. */
  const launchedTasks = {
    runner: {
      describeTasks: async () => ({
        tasks: [
          {
            taskArn: launched.taskArn,
            clusterArn: CLUSTER_ARN,
            startedBy: launched.workspaceId,
            tags: { 'request-id': launched.requestId, kind: launched.kind },
            systemEnvironment: {},
          },
        ],
        missing: [],
      }),
    },
    clock: { sleep: async () => {} },
    clusterArn: CLUSTER_ARN,
  };

  function overlayPorts() {
    const { published, publisher } = recordingPublisher();
    const instrumentation = quietInstrumentation();
    return {
      published,
      ports: { publisher, catalog: testCatalog(), overlays: loadOverlays(), instrumentation, launchedTasks },
    };
  }

  it("publishes the kind's plugin install requests only: Overlay Applied comes from task-state on evidence (v1.1)", async () => {
    const { published, ports } = overlayPorts();

    const result = await applyOverlay(launched, ports);

    // kind=workspace has no plugins: nothing to ask for, and no Overlay Applied from here.
    expect(result).toEqual({ outcome: 'applied', taskArn: taskArnOf('t-1'), events: 0 });
    expect(published.map((event) => event.detailType)).not.toContain(DETAIL_TYPES.configOverlayApplied);
    expect(published).toEqual([]);
  });

  it('throws UnknownRuntimeError for a runtime the catalog does not have, and publishes nothing', async () => {
    const { published, ports } = overlayPorts();

    await expect(applyOverlay({ ...launched, runtime: 'cobol' }, ports)).rejects.toBeInstanceOf(
      UnknownRuntimeError,
    );
    expect(published).toEqual([]);
  });
});

describe('onTaskStateChange', () => {
  const change = (lastStatus: string, version: number) =>
    EcsTaskStateChangeDetail.parse({
      clusterArn: CLUSTER_ARN,
      taskArn: taskArnOf('t-1'),
      taskDefinitionArn: taskDefinitionArnOf('codex', 7),
      startedBy: 'ws-1',
      lastStatus,
      desiredStatus: 'RUNNING',
      createdAt: '2026-03-01T12:00:00.000Z',
      startedAt: '2026-03-01T12:01:00.000Z',
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
    });

  function ports(families = ['workspace-codex']): TaskStatePorts & { published: DomainEvent[] } {
    const clock = new FakeClock();
    const { published, publisher } = recordingPublisher();
    return {
      published,
      publisher,
      taskVersions: new InMemoryTaskVersionStore(),
      workspaceLeases: new InMemoryWorkspaceLeaseStore(clock),
      families: new Set(families),
      clock,
      random: () => 0.5,
      instrumentation: quietInstrumentation(),
      requests: new InMemoryProvisionRequestStore(),
      overlays: loadOverlays(),
      containerPorts: new Map([['codex', 8000]]),
      workspaceRecords: new InMemoryWorkspaceRecordStore(),
      recovery: { maxAttempts: 5, windowMs: 1_800_000, backoffBaseMs: 10_000 },
    };
  }

  it('emits Workspace Running once, and ignores the same version again', async () => {
    const flow = ports();

    const first = await onTaskStateChange(change('RUNNING', 3), flow, { remainingMs: 60_000 });
    const again = await onTaskStateChange(change('RUNNING', 3), flow, { remainingMs: 60_000 });

    expect(first).toEqual({ outcome: 'emitted', detailType: DETAIL_TYPES.running, version: 3 });
    expect(again).toEqual({ outcome: 'ignored', reason: 'stale-or-duplicate' });
    expect(flow.published.map((event) => event.detailType)).toEqual([DETAIL_TYPES.running]);
  });

  it('moves the version of a change that can emit nothing without the task lease, and never backwards', async () => {
    const flow = ports();
    // Another delivery of the task holds its lease: a PENDING change need not wait for it.
    await flow.workspaceLeases.acquire(`task:${taskArnOf('t-1')}`, 'another-delivery', 60_000);

    const pending = await onTaskStateChange(change('PENDING', 2), flow, { remainingMs: 60_000 });
    const older = await onTaskStateChange(change('PROVISIONING', 1), flow, { remainingMs: 60_000 });

    expect(pending).toEqual({ outcome: 'advanced', version: 2 });
    expect(older).toEqual({ outcome: 'ignored', reason: 'stale-or-duplicate' });
    expect(await flow.taskVersions.get(taskArnOf('t-1'))).toBe(2);
    expect(flow.published).toEqual([]);
  });

  it('waits for the task lease before a change that emits', async () => {
    const flow = ports();
    await flow.workspaceLeases.acquire(`task:${taskArnOf('t-1')}`, 'another-delivery', 60_000);

    // With the lease held past its budget, a Running waits and then gives up (the platform retries).
    await expect(onTaskStateChange(change('RUNNING', 3), flow, { remainingMs: 2_500 })).rejects.toThrow(
      /busy/,
    );
    expect(flow.published).toEqual([]);
  });

  it('ignores a task of a family that is not ours', async () => {
    const flow = ports(['workspace-other']);

    const result = await onTaskStateChange(change('RUNNING', 3), flow, { remainingMs: 60_000 });

    expect(result).toEqual({ outcome: 'ignored', reason: 'foreign-family' });
    expect(flow.published).toEqual([]);
  });
});

describe('deprovisionWorkspace', () => {
  it('stops every live task of the workspace, releases the lease and says which', async () => {
    const clock = new FakeClock();
    const live: TaskSummary = {
      taskArn: taskArnOf('t-1'),
      startedBy: 'ws-1',
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      tags: {},
      systemEnvironment: {},
    };
    const { runner, stopped } = fakeRunner([live]);
    const { published, publisher } = recordingPublisher();
    const workspaceLeases = new InMemoryWorkspaceLeaseStore(clock);

    const result = await deprovisionWorkspace(
      { requestId: 'req-9', workspaceId: 'ws-1' },
      {
        runner,
        workspaceTasks: new WorkspaceTasks(runner, workspaceLeases, clock),
        workspaceLeases,
        workspaceRecords: new InMemoryWorkspaceRecordStore(),
        publisher,
        clock,
        random: () => 0.5,
        safetyMarginMs: 10_000,
        instrumentation: quietInstrumentation(),
        volumes: new FakeWorkspaceVolumes(DEFAULT_DATA_TAG),
      },
      { remainingMs: 60_000 },
    );

    expect(result).toEqual({ outcome: 'deprovisioned', taskArns: [taskArnOf('t-1')] });
    expect(stopped).toEqual([taskArnOf('t-1')]);
    expect(workspaceLeases.leases.size).toBe(0);
    expect(published).toEqual([
      {
        detailType: DETAIL_TYPES.deprovisioned,
        detail: { requestId: 'req-9', workspaceId: 'ws-1', taskArns: [taskArnOf('t-1')] },
      },
    ]);
  });
});

describe('sweepOverdueTasks', () => {
  it('reports then stops a task older than its runtime timeout, and leaves a young one', async () => {
    const clock = new FakeClock();
    const catalog = testCatalog();
    const codex = Object.values(catalog.runtimes).find((runtime) => runtime.name === 'codex');
    if (!codex) throw new Error('the test catalog has no codex runtime');
    const timeoutMs = codex.provisionTimeoutSeconds * 1000;
    const task = (id: string, ageMs: number): TaskSummary => ({
      taskArn: taskArnOf(id),
      family: codex.family,
      startedBy: '3f1c2a9e-7a4d-4c1e-9b1a-0d2c5e6f7a8b',
      lastStatus: 'PENDING',
      desiredStatus: 'RUNNING',
      createdAt: new Date(clock.now() - ageMs),
      tags: {},
      systemEnvironment: {},
    });
    const { runner, stopped } = fakeRunner([task('old', timeoutMs + 1), task('young', timeoutMs - 1)]);
    const { published, publisher } = recordingPublisher();

    const instrumentation = quietInstrumentation();
    const workspaceRecords = new InMemoryWorkspaceRecordStore();
    const result = await sweepOverdueTasks({
      runner,
      publisher,
      runtimeByFamily: new Map([[codex.family, codex]]),
      clock,
      instrumentation,
      requests: new InMemoryProvisionRequestStore(),
      workspaceRecords,
      recovery: { maxAttempts: 5, windowMs: 1_800_000, backoffBaseMs: 10_000 },
      dataSaves: {
        volumes: new FakeWorkspaceVolumes(DEFAULT_DATA_TAG),
        workspaceRecords,
        dataTag: DEFAULT_DATA_TAG,
        instrumentation,
        publisher,
        clock,
      },
    });

    expect(result).toEqual({
      outcome: 'swept',
      checked: 2,
      timedOut: [taskArnOf('old')],
      stopFailed: [],
      assetsTimedOut: [],
      // No workspace records: nothing to reconcile.
      reconciled: { orphansStopped: [], lostRecovered: [] },
      // No volume left behind: no data save to resume.
      dataSaves: { snapshotted: [], finished: [], failed: [] },
    });
    expect(stopped).toEqual([taskArnOf('old')]);
    expect(published.map((event) => [event.detailType, (event.detail as { code: string }).code])).toEqual([
      [DETAIL_TYPES.provisionFailed, 'PROVISION_TIMEOUT'],
    ]);
  });
});

describe('reportSpentRequest', () => {
  const record = (errorType: string, errorMessage: string) => ({
    requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
    requestPayload: {
      detail: { requestId: 'req-1', workspaceId: 'ws-1', runtime: 'codex', kind: 'platform' },
    },
    responsePayload: { errorType, errorMessage },
  });

  it('reports Provision Failed with the code the provision error carried', async () => {
    const { runner } = fakeRunner([]);
    const { published, publisher } = recordingPublisher();

    const result = await reportSpentRequest(
      record('LaunchRetriesSpentError', 'CAPACITY_UNAVAILABLE: no capacity'),
      { runner, publisher, instrumentation: quietInstrumentation() },
    );

    expect(result).toEqual({ outcome: 'reported', code: 'CAPACITY_UNAVAILABLE', stoppedTasks: 0 });
    expect(published.map((event) => event.detailType)).toEqual([DETAIL_TYPES.provisionFailed]);
  });

  it('skips a duplicate that failed while the first delivery was in progress', async () => {
    const { runner } = fakeRunner([]);
    const { published, publisher } = recordingPublisher();

    const result = await reportSpentRequest(record('IdempotencyAlreadyInProgressError', 'in progress'), {
      runner,
      publisher,
      instrumentation: quietInstrumentation(),
    });

    expect(result).toEqual({ outcome: 'skipped', reason: 'in-progress-duplicate' });
    expect(published).toEqual([]);
  });

  it('skips an unreadable record', () => {
    expect(skipUnreadable({ instrumentation: quietInstrumentation() })).toEqual({
      outcome: 'skipped',
      reason: 'unreadable',
    });
  });
});
