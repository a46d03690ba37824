/**
 * The provision flow called directly over fake ports (no middy, no SDK), and the handler's parser
 * planning each request exactly once.
 */
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadOverlays } from '#config/overlays.ts';
import { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { LaunchPlanError } from '#core/errors.ts';
import type { DomainEvent } from '#core/overlay.ts';
import { planLaunch } from '#core/plan-launch.ts';
import type { RunTaskOutcome } from '#core/run-task-outcome.ts';
import { createProvisionHandler } from '#functions/provision/create-handler.ts';
import { LaunchRetriesSpentError } from '#functions/provision/errors.ts';
import { type ProvisionPorts, provisionWorkspace } from '#functions/provision/provision-flow.ts';
import { provisionRequestSchema } from '#functions/provision/request-schema.ts';
import { WorkspaceTasks } from '#policies/workspace-tasks.ts';
import type { TaskRunner } from '#ports/task-runner.ts';
import {
  CLUSTER_ARN,
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
  quietInstrumentation,
  SETTINGS,
  sentEvents,
  taskArnOf,
  testCatalog,
} from './harness.ts';

const WORKSPACE = '3f1c2a9e-7a4d-4c1e-9b1a-0d2c5e6f7a8b';
const request = (overrides: Record<string, unknown> = {}) => ({
  requestId: 'req-1',
  workspaceId: WORKSPACE,
  orgId: 'org_42',
  runtime: 'codex',
  ...overrides,
});

/** A task runner that answers RunTask from a script and lists nothing. */
class ScriptedRunner implements TaskRunner {
  readonly runs: string[] = [];
  constructor(private readonly outcomes: RunTaskOutcome[]) {}
  async runTask(input: { clientToken: string }): Promise<RunTaskOutcome> {
    this.runs.push(input.clientToken);
    const outcome = this.outcomes.shift();
    if (!outcome) throw new Error('no scripted RunTask outcome left');
    return outcome;
  }
  async listTaskArns() {
    return [];
  }
  async describeTasks(arns: readonly string[]) {
    return { tasks: [], missing: [...arns] };
  }
  async stopTask() {}
}

function flowSetup(outcomes: RunTaskOutcome[]) {
  const clock = new FakeClock();
  const runner = new ScriptedRunner(outcomes);
  const workspaceLeases = new InMemoryWorkspaceLeaseStore(clock);
  const published: DomainEvent[] = [];
  const catalog = testCatalog();
  const ports: ProvisionPorts = {
    runner,
    workspaceTasks: new WorkspaceTasks(runner, workspaceLeases, clock),
    workspaceLeases,
    publisher: { publish: async (events) => void published.push(...events) },
    catalog,
    settings: SETTINGS,
    clock,
    random: () => 0.5,
    retry: { baseDelayMs: 250, maxDelayMs: 8_000, safetyMarginMs: 10_000 },
    instrumentation: quietInstrumentation(),
  };
  const parsed = provisionRequestSchema(catalog, SETTINGS.launchTarget).parse(request());
  return { clock, runner, workspaceLeases, published, ports, parsed };
}

beforeEach(() => {
  vi.unstubAllEnvs();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('provisionWorkspace, called without middy', () => {
  it('launches, records the launch, releases the lease and emits Task Launched', async () => {
    const { ports, parsed, published, workspaceLeases, runner } = flowSetup([
      { kind: 'launched', taskArn: taskArnOf('t-1'), clusterArn: CLUSTER_ARN, reused: false },
    ]);

    const result = await provisionWorkspace(parsed, ports, { remainingMs: 60_000 });

    expect(result).toEqual({ outcome: 'launched', taskArn: taskArnOf('t-1'), alreadyRunning: false });
    expect(runner.runs).toEqual([parsed.plan.runTaskInput.clientToken]);
    expect((await workspaceLeases.lastLaunch(WORKSPACE))?.taskArn).toBe(taskArnOf('t-1'));
    expect(workspaceLeases.leases.size).toBe(0);
    expect(published.map((event) => event.detailType)).toEqual([DETAIL_TYPES.taskLaunched]);
    expect(published[0]?.detail).toMatchObject({ requestId: 'req-1', taskArn: taskArnOf('t-1') });
  });

  it('emits Provision Failed for a final outcome and launches nothing', async () => {
    const { ports, parsed, published, workspaceLeases } = flowSetup([
      { kind: 'final', code: 'LAUNCH_FAILED', reason: 'the task definition is invalid' },
    ]);

    const result = await provisionWorkspace(parsed, ports, { remainingMs: 60_000 });

    expect(result).toEqual({ outcome: 'failed', code: 'LAUNCH_FAILED' });
    expect(await workspaceLeases.lastLaunch(WORKSPACE)).toBeUndefined();
    expect(published.map((event) => event.detailType)).toEqual([DETAIL_TYPES.provisionFailed]);
  });

  it('reports a replayed token whose task never ran as Provision Failed about that task, never as Launched', async () => {
    const { ports, parsed, published, workspaceLeases } = flowSetup([
      {
        kind: 'final',
        code: 'TASK_FAILED_TO_START',
        reason: 'the task stopped before it ever ran',
        taskArn: taskArnOf('t-1'),
      },
    ]);

    const result = await provisionWorkspace(parsed, ports, { remainingMs: 60_000 });

    expect(result).toEqual({ outcome: 'failed', code: 'TASK_FAILED_TO_START' });
    expect(await workspaceLeases.lastLaunch(WORKSPACE)).toBeUndefined();
    expect(published.map((event) => event.detailType)).toEqual([DETAIL_TYPES.provisionFailed]);
    // The same detail the task's own STOPPED event gives (task-state), so the two agree.
    expect(published[0]?.detail).toEqual({
      requestId: 'req-1',
      workspaceId: WORKSPACE,
      code: 'TASK_FAILED_TO_START',
      reason: 'the task stopped before it ever ran',
      retryable: true,
      runtime: 'codex',
      kind: 'workspace',
      taskArn: taskArnOf('t-1'),
    });
  });

  it('throws LaunchRetriesSpentError when retryable outcomes outlast the budget, and releases the lease', async () => {
    const capacity: RunTaskOutcome = {
      kind: 'retryable',
      code: 'CAPACITY_UNAVAILABLE',
      reason: 'no capacity',
      startedNoTask: false,
    };
    const { ports, parsed, published, workspaceLeases, runner } = flowSetup(Array(50).fill(capacity));

    await expect(provisionWorkspace(parsed, ports, { remainingMs: 12_000 })).rejects.toBeInstanceOf(
      LaunchRetriesSpentError,
    );
    expect(runner.runs.length).toBeGreaterThan(0);
    expect(published).toEqual([]);
    expect(workspaceLeases.leases.size).toBe(0);
  });
});

describe('provision: planning', () => {
  function handlerWithCountingPlanner() {
    const clock = new FakeClock();
    const { ecs, ecsMock } = ecsWithMock();
    const { eventBridge, eventBridgeMock } = eventBridgeWithMock();
    const planner = vi.fn(planLaunch);
    const handler = createProvisionHandler(
      {
        ecs,
        ec2: ec2WithMock().ec2,
        eventBridge,
        idempotencyStore: new InMemoryPersistenceLayer(),
        provisionRequests: new InMemoryProvisionRequestStore(),
        workspaceRecords: new InMemoryWorkspaceRecordStore(),
        workspaceFiles: new InMemoryWorkspaceFiles(),
        overlays: loadOverlays(),
        workspaceLeases: new InMemoryWorkspaceLeaseStore(clock),
        catalog: testCatalog(),
        settings: SETTINGS,
        clock,
        random: () => 0.5,
      },
      { instrumentation: quietInstrumentation(), planLaunch: planner },
    );
    const invoke = (detail: unknown) =>
      handler(envelope(DETAIL_TYPES.provisionRequested, detail), lambdaContext(clock));
    return { planner, invoke, ecsMock, eventBridgeMock };
  }

  it('plans a valid request once', async () => {
    const { planner, invoke, ecsMock } = handlerWithCountingPlanner();
    ecsMock.onAnyCommand().resolves({});
    ecsMock
      .on(RunTaskCommand)
      .resolves({ tasks: [{ taskArn: taskArnOf('t-1'), clusterArn: CLUSTER_ARN }], failures: [] });

    const result = await invoke(request({ requestId: 'req-once' }));

    expect(result).toMatchObject({ outcome: 'launched' });
    expect(planner).toHaveBeenCalledTimes(1);
  });

  it('plans a request the plan refuses once, and rejects it with the plan error path and message', async () => {
    const { planner, invoke, eventBridgeMock } = handlerWithCountingPlanner();
    // Within the contract's 4 KiB, but JSON escaping takes the overrides past ECS's 8,192 characters:
    // only the plan refuses it.
    const refused = request({ requestId: 'req-over-budget', env: { NOTES: '\u0001'.repeat(1500) } });
    let planError: LaunchPlanError | undefined;
    try {
      planLaunch(ProvisionRequestedDetail.parse(refused), testCatalog(), SETTINGS.launchTarget);
    } catch (error) {
      planError = error as LaunchPlanError;
    }
    expect(planError).toBeInstanceOf(LaunchPlanError);

    const result = await invoke(refused);

    expect(result).toMatchObject({ outcome: 'rejected', errors: 1 });
    expect(planner).toHaveBeenCalledTimes(1);
    const [rejected] = sentEvents(eventBridgeMock);
    expect(rejected?.detail.errors).toEqual([{ path: planError?.path, message: planError?.message }]);
  });

  it('never plans a request that breaks the contract', async () => {
    const { planner, invoke } = handlerWithCountingPlanner();

    const result = await invoke(request({ runtime: 'cobol' }));

    expect(result).toMatchObject({ outcome: 'rejected' });
    expect(planner).not.toHaveBeenCalled();
  });
});
