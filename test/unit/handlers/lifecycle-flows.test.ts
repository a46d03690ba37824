/**
 * The v1.2 lifecycle flows called directly over fake ports: what task-state records and publishes
 * when a workspace's task runs or stops (`workspace-lifecycle.ts`), and what a restart, a recovery,
 * a retirement and a status request do (`lifecycle/`). The end-to-end behaviour on the local stack
 * is in test/integration/lifecycle.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '#config/catalog.ts';
import { EcsTaskStateChangeDetail } from '#contracts/ecs.ts';
import { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { DomainEvent } from '#core/overlay.ts';
import type { RunTaskOutcome } from '#core/run-task-outcome.ts';
import { bootBundleKey } from '#core/workspace-files.ts';
import {
  onRecovering,
  onRestartRequested,
  onStatusRequested,
  onTasksRetiring,
} from '#functions/lifecycle/lifecycle-flow.ts';
import type { RelaunchPorts } from '#functions/lifecycle/relaunch.ts';
import { followWorkspaceEvent } from '#functions/task-state/workspace-lifecycle.ts';
import { WorkspaceTasks } from '#policies/workspace-tasks.ts';
import type { TaskSummary } from '#ports/task-runner.ts';
import type { WorkspaceRecord } from '#ports/workspace-record-store.ts';
import { FakeWorkspaceVolumes } from './fake-workspace-volumes.ts';
import {
  FakeClock,
  InMemoryProvisionRequestStore,
  InMemoryWorkspaceFiles,
  InMemoryWorkspaceLeaseStore,
  InMemoryWorkspaceRecordStore,
  quietInstrumentation,
  SETTINGS,
  taskArnOf,
} from './harness.ts';

const request = ProvisionRequestedDetail.parse({
  requestId: 'req-1',
  workspaceId: 'ws-1',
  orgId: 'org-1',
  runtime: 'codex',
});

const record = (overrides: Partial<WorkspaceRecord> = {}): WorkspaceRecord => ({
  workspaceId: 'ws-1',
  orgId: 'org-1',
  kind: 'workspace',
  runtime: 'codex',
  request,
  state: 'running',
  since: Date.parse('2026-03-01T11:00:00Z'),
  taskArn: taskArnOf('t-1'),
  recoveries: [],
  generation: 3,
  ...overrides,
});

function recordingPublisher() {
  const published: DomainEvent[] = [];
  return {
    published,
    publisher: { publish: async (events: readonly DomainEvent[]) => void published.push(...events) },
  };
}

/** A task state change of `t-<id>` for ws-1. */
const change = (id: string, lastStatus: string, extra: Record<string, unknown> = {}) =>
  EcsTaskStateChangeDetail.parse({
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/workspaces',
    taskArn: taskArnOf(id),
    startedBy: 'ws-1',
    lastStatus,
    desiredStatus: lastStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
    version: 5,
    tags: [{ key: 'request-id', value: 'req-1' }],
    ...extra,
  });

const stoppedEvent = (id: string, cause: string, exitCode = 1): DomainEvent => ({
  detailType: DETAIL_TYPES.stopped,
  detail: { workspaceId: 'ws-1', taskArn: taskArnOf(id), cause, exitCode, kind: 'workspace', version: 5 },
});

function lifecyclePorts(stored?: WorkspaceRecord) {
  const clock = new FakeClock();
  const workspaceRecords = new InMemoryWorkspaceRecordStore();
  if (stored) void workspaceRecords.put(stored);
  const { published, publisher } = recordingPublisher();
  return {
    clock,
    published,
    workspaceRecords,
    ports: {
      workspaceRecords,
      recovery: { maxAttempts: 2, windowMs: 600_000, backoffBaseMs: 10_000 },
      publisher,
      clock,
      instrumentation: quietInstrumentation(),
    },
  };
}

describe('followWorkspaceEvent (task-state, v1.2)', () => {
  it('takes the Running of a launch the record does not name yet, by its request-id tag', async () => {
    const { ports, workspaceRecords } = lifecyclePorts(record({ state: 'provisioning', taskArn: undefined }));
    const running = {
      detailType: DETAIL_TYPES.running,
      detail: { workspaceId: 'ws-1', taskArn: taskArnOf('t-2'), url: 'http://10.0.0.5:8000' },
    };
    await followWorkspaceEvent(running, change('t-2', 'RUNNING'), ports);
    expect(await workspaceRecords.get('ws-1')).toMatchObject({
      state: 'running',
      taskArn: taskArnOf('t-2'),
      url: 'http://10.0.0.5:8000',
      generation: 4,
    });
  });

  it('takes it by the boot bundle the provisioner gave the task when ECS sends no tags', async () => {
    const { ports, workspaceRecords } = lifecyclePorts(record({ state: 'provisioning', taskArn: undefined }));
    const running = {
      detailType: DETAIL_TYPES.running,
      detail: { workspaceId: 'ws-1', taskArn: taskArnOf('t-2') },
    };
    const untagged = change('t-2', 'RUNNING', {
      tags: [],
      overrides: {
        containerOverrides: [
          {
            name: 'boot',
            environmentFiles: [
              { type: 's3', value: `arn:aws:s3:::files/${bootBundleKey('org-1', 'ws-1', 'req-1')}` },
            ],
          },
        ],
      },
    });
    await followWorkspaceEvent(running, untagged, ports);
    expect(await workspaceRecords.get('ws-1')).toMatchObject({ state: 'running', taskArn: taskArnOf('t-2') });
    // Another request's task is not taken for this one.
    const { ports: other, workspaceRecords: otherRecords } = lifecyclePorts(
      record({ state: 'provisioning', taskArn: undefined }),
    );
    await followWorkspaceEvent(
      running,
      change('t-2', 'RUNNING', { tags: [{ key: 'request-id', value: 'req-9' }] }),
      other,
    );
    expect(await otherRecords.get('ws-1')).toMatchObject({ state: 'provisioning' });
  });

  it('recovers a crash of the recorded task: records the recovery, then publishes Recovering with its backoff', async () => {
    const { ports, workspaceRecords, published, clock } = lifecyclePorts(record());
    await followWorkspaceEvent(stoppedEvent('t-1', 'crashed'), change('t-1', 'STOPPED'), ports);
    const stored = await workspaceRecords.get('ws-1');
    expect(stored).toMatchObject({
      state: 'recovering',
      pendingRecovery: {
        attempt: 1,
        cause: 'crashed',
        previousTaskArn: taskArnOf('t-1'),
        dueAt: clock.now() + 10_000,
      },
      recoveries: [clock.now()],
    });
    expect(published).toEqual([
      {
        detailType: DETAIL_TYPES.recovering,
        detail: {
          workspaceId: 'ws-1',
          cause: 'crashed',
          attempt: 1,
          previousTaskArn: taskArnOf('t-1'),
          requestId: 'req-1',
          kind: 'workspace',
          backoffSeconds: 10,
        },
      },
    ]);
  });

  it('publishes the recorded recovery again on a redelivery, without deciding a second one', async () => {
    const { ports, workspaceRecords, published } = lifecyclePorts(record());
    await followWorkspaceEvent(stoppedEvent('t-1', 'crashed'), change('t-1', 'STOPPED'), ports);
    const after = await workspaceRecords.get('ws-1');
    await followWorkspaceEvent(stoppedEvent('t-1', 'crashed'), change('t-1', 'STOPPED'), ports);
    expect(await workspaceRecords.get('ws-1')).toEqual(after);
    expect(published.map((event) => (event.detail as { attempt: number }).attempt)).toEqual([1, 1]);
  });

  it('cuts a crash loop: with 2 recoveries in the window the next crash is abandoned', async () => {
    const { ports, workspaceRecords, published, clock } = lifecyclePorts(
      record({ recoveries: [Date.parse('2026-03-01T11:55:00Z'), Date.parse('2026-03-01T11:58:00Z')] }),
    );
    expect(clock.now()).toBe(Date.parse('2026-03-01T12:00:00Z'));
    await followWorkspaceEvent(stoppedEvent('t-1', 'out-of-memory', 137), change('t-1', 'STOPPED'), ports);
    expect(await workspaceRecords.get('ws-1')).toMatchObject({ state: 'failed' });
    expect(published).toEqual([
      {
        detailType: DETAIL_TYPES.recoveryAbandoned,
        detail: {
          workspaceId: 'ws-1',
          cause: 'out-of-memory',
          attempts: 2,
          previousTaskArn: taskArnOf('t-1'),
          requestId: 'req-1',
          kind: 'workspace',
        },
      },
    ]);
  });

  it.each([
    ['a requested stop', record(), 'requested'],
    ['a crash with recovery "never"', record({ request: { ...request, recovery: 'never' } }), 'crashed'],
  ])('leaves %s stopped and publishes nothing', async (_name, stored, cause) => {
    const { ports, workspaceRecords, published } = lifecyclePorts(stored);
    await followWorkspaceEvent(stoppedEvent('t-1', cause), change('t-1', 'STOPPED'), ports);
    expect(await workspaceRecords.get('ws-1')).toMatchObject({ state: 'stopped' });
    expect(published).toEqual([]);
  });

  it('takes the stop of a task a relaunch is replacing for the relaunch’s own, though it shares the request', async () => {
    const stored = record({ state: 'recovering', taskArn: undefined, replacedTaskArns: [taskArnOf('t-1')] });
    const { ports, workspaceRecords, published } = lifecyclePorts(stored);
    await followWorkspaceEvent(stoppedEvent('t-1', 'requested'), change('t-1', 'STOPPED'), ports);
    expect(await workspaceRecords.get('ws-1')).toEqual(stored);
    expect(published).toEqual([]);
  });

  it('changes nothing for a task the record does not name (a replaced one, one run by hand)', async () => {
    const stored = record({ taskArn: taskArnOf('t-9') });
    const { ports, workspaceRecords, published } = lifecyclePorts(stored);
    await followWorkspaceEvent(stoppedEvent('t-1', 'crashed'), change('t-1', 'STOPPED'), ports);
    expect(await workspaceRecords.get('ws-1')).toEqual(stored);
    expect(published).toEqual([]);
  });
});

/** Relaunch ports over fakes: a runner that launches `t-new-<n>`, with the calls in order. */
function relaunchPorts(stored?: WorkspaceRecord, liveTasks: string[] = []) {
  const clock = new FakeClock();
  const calls: string[] = [];
  const live = new Set(liveTasks);
  let launched = 0;
  const tokens: string[] = [];
  const volumeConfigurations: unknown[] = [];
  const runner = {
    async runTask(input: { clientToken?: string; volumeConfigurations?: unknown }): Promise<RunTaskOutcome> {
      launched += 1;
      const taskArn = taskArnOf(`t-new-${launched}`);
      calls.push(`run ${taskArn}`);
      tokens.push(input.clientToken ?? '');
      volumeConfigurations.push(input.volumeConfigurations);
      live.add(taskArn);
      return { kind: 'launched', taskArn, reused: false } as RunTaskOutcome;
    },
    async listTaskArns() {
      return [...live];
    },
    async describeTasks(arns: readonly string[]) {
      const tasks: TaskSummary[] = arns
        .filter((arn) => live.has(arn))
        .map((arn) => ({
          taskArn: arn,
          lastStatus: 'RUNNING',
          desiredStatus: 'RUNNING',
          startedBy: 'ws-1',
          tags: {},
          systemEnvironment: {},
        }));
      return { tasks, missing: arns.filter((arn) => !live.has(arn)) };
    },
    async stopTask(taskArn: string) {
      calls.push(`stop ${taskArn}`);
      live.delete(taskArn);
    },
  };
  const workspaceRecords = new InMemoryWorkspaceRecordStore();
  if (stored) void workspaceRecords.put(stored);
  const volumes = new FakeWorkspaceVolumes(DATA_VOLUMES.dataTag, () => clock.now());
  const files = new InMemoryWorkspaceFiles();
  void files.put(bootBundleKey('org-1', 'ws-1', 'req-1'), 'BOOT_FILE_1=...\n');
  const requests = new InMemoryProvisionRequestStore();
  const leases = new InMemoryWorkspaceLeaseStore(clock);
  const { published, publisher } = recordingPublisher();
  const ports: RelaunchPorts = {
    runner,
    clock,
    random: () => 0.5,
    retry: { baseDelayMs: 10, maxDelayMs: 100, safetyMarginMs: 1_000 },
    instrumentation: quietInstrumentation(),
    workspaceTasks: new WorkspaceTasks(runner, leases, clock),
    workspaceLeases: leases,
    publisher,
    catalog: loadCatalog(),
    settings: { ...SETTINGS, dataVolumes: DATA_VOLUMES, dataSaveWaitSeconds: 60 },
    files,
    requests,
    workspaceRecords,
    workspaceVolumes: volumes,
  };
  return {
    ports,
    calls,
    tokens,
    published,
    workspaceRecords,
    files,
    clock,
    live,
    volumes,
    volumeConfigurations,
  };
}

/** v1.3: the data volume settings of the relaunch tests. */
const DATA_VOLUMES = { roleArn: 'arn:aws:iam::123456789012:role/infra', dataTag: 'wp-test' };

describe('restart, recovery and status (lifecycle, v1.2)', () => {
  it('restarts: the old task is stopped before the new one is asked for, and the record names the new one', async () => {
    const { ports, calls, published, workspaceRecords } = relaunchPorts(record(), [taskArnOf('t-1')]);
    const result = await onRestartRequested({ requestId: 'restart-1', workspaceId: 'ws-1' }, ports, {
      remainingMs: 60_000,
    });
    expect(result).toMatchObject({
      outcome: 'relaunched',
      taskArn: taskArnOf('t-new-1'),
      stopped: [taskArnOf('t-1')],
    });
    expect(calls).toEqual([`stop ${taskArnOf('t-1')}`, `run ${taskArnOf('t-new-1')}`]);
    expect(await workspaceRecords.get('ws-1')).toMatchObject({
      state: 'provisioning',
      taskArn: taskArnOf('t-new-1'),
    });
    expect(published.map((event) => event.detailType)).toEqual([DETAIL_TYPES.taskLaunched]);
    expect(published[0]?.detail).toMatchObject({
      requestId: 'req-1',
      workspaceId: 'ws-1',
      taskArn: taskArnOf('t-new-1'),
    });
  });

  it("v1.3: restarts a persistent workspace from the data its old task leaves, once that task's save is finished", async () => {
    const persistent = ProvisionRequestedDetail.parse({ ...request, storage: { persistent: true } });
    const { ports, calls, published, volumes, volumeConfigurations, clock } = relaunchPorts(
      record({ request: persistent }),
      [taskArnOf('t-1')],
    );
    const tags = { 'workspace-provisioner': 'wp-test', 'workspace-id': 'ws-1' };
    volumes.addSnapshot({ tags, startedAt: clock.now() - 60_000 });
    const old = volumes.addVolume('ws-1', { state: 'in-use' });
    // ECS, the save and its finish, as the relaunch waits: detached, snapshotted, Data Saved, deleted.
    const sleep = clock.sleep.bind(clock);
    let polls = 0;
    ports.clock.sleep = async (ms: number) => {
      polls += 1;
      if (polls === 1) volumes.detach(old.volumeId);
      if (polls === 2) volumes.addSnapshot({ tags, volumeId: old.volumeId, startedAt: clock.now() });
      if (polls === 3) await volumes.deleteVolume(old.volumeId);
      await sleep(ms);
    };
    const result = await onRestartRequested({ requestId: 'restart-1', workspaceId: 'ws-1' }, ports, {
      remainingMs: 60_000,
    });
    expect(result).toMatchObject({ outcome: 'relaunched' });
    expect(calls).toEqual([`stop ${taskArnOf('t-1')}`, `run ${taskArnOf('t-new-1')}`]);
    expect(polls).toBe(3);
    const saved = [...volumes.snapshots.values()].find((snapshot) => snapshot.volumeId === old.volumeId);
    expect(volumeConfigurations[0]).toEqual([
      expect.objectContaining({
        name: 'workspace-data',
        managedEBSVolume: expect.objectContaining({ snapshotId: saved?.snapshotId, sizeInGiB: 20 }),
      }),
    ]);
    expect(published[0]?.detail).toMatchObject({
      storage: { persistent: true, sizeGiB: 20, path: '/workspace', restoredFrom: saved?.snapshotId },
    });
  });

  it('v1.3: fails a restart whose old data is still being saved when the wait runs out, launching nothing', async () => {
    const persistent = ProvisionRequestedDetail.parse({ ...request, storage: { persistent: true } });
    const { ports, calls, volumes, workspaceRecords } = relaunchPorts(record({ request: persistent }), [
      taskArnOf('t-1'),
    ]);
    volumes.addVolume('ws-1', { state: 'in-use' });
    const result = await onRestartRequested(
      { requestId: 'restart-1', workspaceId: 'ws-1' },
      { ...ports, settings: { ...ports.settings, dataSaveWaitSeconds: 5 } },
      { remainingMs: 60_000 },
    );
    expect(result).toMatchObject({ outcome: 'failed' });
    expect(calls).toEqual([`stop ${taskArnOf('t-1')}`]);
    expect(await workspaceRecords.get('ws-1')).toMatchObject({ state: 'failed' });
  });

  it('gives each relaunch a client token of its own, never the first launch’s', async () => {
    const first = relaunchPorts(record());
    await onRestartRequested({ requestId: 'restart-1', workspaceId: 'ws-1' }, first.ports, {
      remainingMs: 60_000,
    });
    const second = relaunchPorts(record());
    await onRestartRequested({ requestId: 'restart-2', workspaceId: 'ws-1' }, second.ports, {
      remainingMs: 60_000,
    });
    expect(first.tokens[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(first.tokens[0]).not.toBe(second.tokens[0]);
  });

  it.each([
    ['an unknown workspace', undefined, 'WORKSPACE_UNKNOWN'],
    [
      'a deprovisioned workspace',
      record({ state: 'deprovisioned', taskArn: undefined }),
      'WORKSPACE_DEPROVISIONED',
    ],
  ])('answers the restart of %s with Restart Failed and launches nothing', async (_name, stored, code) => {
    const { ports, calls, published } = relaunchPorts(stored);
    await onRestartRequested({ requestId: 'restart-1', workspaceId: 'ws-1' }, ports, { remainingMs: 60_000 });
    expect(calls).toEqual([]);
    expect(published).toEqual([
      {
        detailType: DETAIL_TYPES.restartFailed,
        detail: expect.objectContaining({ requestId: 'restart-1', workspaceId: 'ws-1', code }),
      },
    ]);
  });

  it('waits out the recorded backoff, then relaunches the recovery it was told of', async () => {
    const dueAt = Date.parse('2026-03-01T12:00:30Z');
    const pending = { attempt: 1, cause: 'crashed' as const, previousTaskArn: taskArnOf('t-1'), dueAt };
    const { ports, clock, calls, workspaceRecords } = relaunchPorts(
      record({ state: 'recovering', taskArn: undefined, pendingRecovery: pending }),
    );
    const recovering = {
      workspaceId: 'ws-1',
      cause: 'crashed' as const,
      attempt: 1,
      previousTaskArn: taskArnOf('t-1'),
      requestId: 'req-1',
      kind: 'workspace' as const,
      backoffSeconds: 30,
    };
    const result = await onRecovering(recovering, ports, { remainingMs: 300_000 });
    expect(clock.sleeps).toContain(30_000);
    expect(result).toMatchObject({ outcome: 'relaunched' });
    expect(calls).toEqual([`run ${taskArnOf('t-new-1')}`]);
    expect((await workspaceRecords.get('ws-1'))?.pendingRecovery).toBeUndefined();
    // Delivered again: the record no longer holds that recovery, so nothing more is launched.
    expect(await onRecovering(recovering, ports, { remainingMs: 300_000 })).toMatchObject({
      outcome: 'skipped',
    });
    expect(calls).toHaveLength(1);
  });

  it('launches nothing for a recovery a deprovision overtook during its backoff', async () => {
    const { ports, calls } = relaunchPorts(record({ state: 'deprovisioned', taskArn: undefined }));
    const result = await onRecovering(
      {
        workspaceId: 'ws-1',
        cause: 'crashed',
        attempt: 1,
        previousTaskArn: taskArnOf('t-1'),
        requestId: 'req-1',
        kind: 'workspace',
        backoffSeconds: 10,
      },
      ports,
      { remainingMs: 300_000 },
    );
    expect(result).toMatchObject({ outcome: 'skipped' });
    expect(calls).toEqual([]);
  });

  it('replaces a task AWS Health says will be retired: Recovering first, then the old task stopped and a new one run', async () => {
    const { ports, calls, published } = relaunchPorts(record(), [taskArnOf('t-1')]);
    const [result] = await onTasksRetiring([taskArnOf('t-1')], ports, { remainingMs: 60_000 });
    expect(result).toMatchObject({ outcome: 'relaunched', stopped: [taskArnOf('t-1')] });
    expect(calls).toEqual([`stop ${taskArnOf('t-1')}`, `run ${taskArnOf('t-new-1')}`]);
    expect(published.map((event) => event.detailType)).toEqual([
      DETAIL_TYPES.recovering,
      DETAIL_TYPES.taskLaunched,
    ]);
    expect(published[0]?.detail).toMatchObject({
      cause: 'scheduled-retirement',
      attempt: 1,
      previousTaskArn: taskArnOf('t-1'),
      backoffSeconds: 0,
    });
  });

  it('says nothing and launches nothing for a retiring task that is no longer the workspace’s', async () => {
    const { ports, calls, published } = relaunchPorts(record({ taskArn: taskArnOf('t-2') }), [
      taskArnOf('t-1'),
      taskArnOf('t-2'),
    ]);
    expect(await onTasksRetiring([taskArnOf('t-1')], ports, { remainingMs: 60_000 })).toEqual([]);
    expect(calls).toEqual([]);
    expect(published).toEqual([]);
  });

  it('answers Status from the record, and says stopped when ECS no longer runs the recorded task', async () => {
    const { ports, published } = relaunchPorts(record({ url: 'http://10.0.0.5:8000' }), [taskArnOf('t-1')]);
    await onStatusRequested({ requestId: 's-1', workspaceId: 'ws-1' }, ports);
    const gone = relaunchPorts(record());
    await onStatusRequested({ requestId: 's-2', workspaceId: 'ws-1' }, gone.ports);
    expect(published[0]?.detail).toMatchObject({
      requestId: 's-1',
      state: 'running',
      taskArn: taskArnOf('t-1'),
      url: 'http://10.0.0.5:8000',
    });
    expect(gone.published[0]?.detail).toMatchObject({ requestId: 's-2', state: 'stopped' });
  });
});
