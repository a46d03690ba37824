import { describe, expect, it } from 'vitest';
import { type LiveTask, type ReconcileInput, reconcile, stopStillInFlight } from '#core/reconcile.ts';
import type { WorkspaceRecord } from '#ports/workspace-record-store.ts';
import { taskArnFor, workspaceRecord } from '../../fixtures/workspace-records.ts';

const MINUTE = 60_000;
const GRACE = 5 * MINUTE;
const NOW = Date.UTC(2026, 11, 1, 12);
const OLD = NOW - GRACE - 1;
const YOUNG = NOW - GRACE + 1;

const recordsOf = (...records: WorkspaceRecord[]) =>
  new Map(records.map((record) => [record.workspaceId, record]));
const liveTask = (workspaceId: string | undefined, overrides: Partial<LiveTask> = {}): LiveTask => ({
  taskArn: taskArnFor(`task-${workspaceId ?? 'nobody'}`),
  ...(workspaceId === undefined ? {} : { workspaceId }),
  createdAt: OLD,
  launchedByProvisioner: true,
  ...overrides,
});
const run = (liveTasks: LiveTask[], records: Map<string, WorkspaceRecord>): ReturnType<typeof reconcile> =>
  reconcile({ liveTasks, records, now: NOW, graceMs: GRACE } satisfies ReconcileInput);

describe('reconcile: orphan tasks', () => {
  const handRun = (workspaceId: string) =>
    liveTask(workspaceId, { taskArn: taskArnFor(`by-hand-${workspaceId}`), launchedByProvisioner: false });

  const rows: ReadonlyArray<[string, LiveTask, WorkspaceRecord | undefined, string | undefined]> = [
    ['the recorded task of a running workspace', liveTask('ws-1'), workspaceRecord('ws-1'), undefined],
    [
      'a task of a deprovisioned workspace (a deprovision that failed to stop it)',
      liveTask('ws-1'),
      workspaceRecord('ws-1', { state: 'deprovisioned' }),
      'deprovisioned',
    ],
    [
      // The deprovision records the workspace first, then stops its tasks: a sweep in between must
      // not report the task it is stopping (a CI run caught it doing so).
      "a provisioner's task of a workspace deprovisioned within the grace period",
      liveTask('ws-1'),
      workspaceRecord('ws-1', { state: 'deprovisioned', since: YOUNG }),
      undefined,
    ],
    [
      'a task run by hand for a workspace deprovisioned within the grace period',
      handRun('ws-1'),
      workspaceRecord('ws-1', { state: 'deprovisioned', since: YOUNG }),
      'deprovisioned',
    ],
    // Not judged: workspaces launched before v1.2 have no record, and must not be stopped.
    ['a task of a workspace with no record', liveTask('ws-1'), undefined, undefined],
    [
      'a task run by hand for a deprovisioned workspace',
      handRun('ws-1'),
      workspaceRecord('ws-1', { state: 'deprovisioned' }),
      'deprovisioned',
    ],
    [
      'a task run by hand beside a running workspace',
      handRun('ws-1'),
      workspaceRecord('ws-1'),
      'not-launched-by-provisioner',
    ],
    [
      'a task run by hand for a recovering workspace',
      handRun('ws-1'),
      workspaceRecord('ws-1', { state: 'recovering' }),
      'not-launched-by-provisioner',
    ],
    [
      "a provisioner's task that is not the recorded one (a relaunch not yet recorded)",
      liveTask('ws-1', { taskArn: taskArnFor('relaunch') }),
      workspaceRecord('ws-1'),
      undefined,
    ],
    [
      'the recorded task of a stopped workspace',
      liveTask('ws-1'),
      workspaceRecord('ws-1', { state: 'stopped' }),
      undefined,
    ],
    [
      'a young task of a workspace with no record',
      liveTask('ws-1', { createdAt: YOUNG }),
      undefined,
      undefined,
    ],
    [
      // A deprovisioned workspace is judged at once: a launch records `provisioning` before RunTask.
      'a young task run by hand for a deprovisioned workspace',
      { ...handRun('ws-1'), createdAt: YOUNG },
      workspaceRecord('ws-1', { state: 'deprovisioned' }),
      'deprovisioned',
    ],
    [
      'a young task run by hand beside a running workspace',
      { ...handRun('ws-1'), createdAt: YOUNG },
      workspaceRecord('ws-1'),
      undefined,
    ],
    [
      'a task exactly as old as the grace period',
      liveTask('ws-1', { createdAt: NOW - GRACE }),
      undefined,
      undefined,
    ],
    ['a task that names no workspace', liveTask(undefined), undefined, undefined],
  ];

  it.each(rows)('%s: %s', (_name, task, record, reason) => {
    const { orphans } = run([task], record === undefined ? new Map() : recordsOf(record));
    expect(orphans).toEqual(
      reason === undefined ? [] : [{ taskArn: task.taskArn, workspaceId: task.workspaceId, reason }],
    );
  });

  it('reports every orphan once, in the order ECS listed them', () => {
    const tasks = [handRun('ws-2'), liveTask('ws-1'), liveTask('ws-3'), liveTask('ws-gone')];
    const records = recordsOf(
      workspaceRecord('ws-1'),
      workspaceRecord('ws-2'),
      workspaceRecord('ws-3', { state: 'deprovisioned' }),
    );
    expect(run(tasks, records).orphans).toEqual([
      { taskArn: taskArnFor('by-hand-ws-2'), workspaceId: 'ws-2', reason: 'not-launched-by-provisioner' },
      { taskArn: taskArnFor('task-ws-3'), workspaceId: 'ws-3', reason: 'deprovisioned' },
    ]);
  });
});

describe('reconcile: lost workspaces', () => {
  const overdue = { attempt: 1, cause: 'crashed' as const, dueAt: NOW - GRACE - 1 };
  const rows: ReadonlyArray<[string, WorkspaceRecord, LiveTask[], boolean]> = [
    ['a running workspace whose task ECS runs', workspaceRecord('ws-1'), [liveTask('ws-1')], false],
    // A launch or relaunch that died before naming a task, its event given up: nothing else launches it.
    [
      'a provisioning workspace that never named a task, past the grace period',
      workspaceRecord('ws-1', { state: 'provisioning', taskArn: undefined, since: OLD }),
      [],
      true,
    ],
    [
      'a provisioning workspace that has not named its task yet, within the grace period',
      workspaceRecord('ws-1', { state: 'provisioning', taskArn: undefined, since: YOUNG }),
      [],
      false,
    ],
    [
      'a recovering workspace whose relaunch never named a task, past the grace period',
      workspaceRecord('ws-1', { state: 'recovering', taskArn: undefined, since: OLD }),
      [],
      true,
    ],
    [
      'a provisioning workspace whose new task ECS runs but the record does not name yet',
      workspaceRecord('ws-1', { state: 'provisioning', taskArn: undefined, since: OLD }),
      [liveTask('ws-1', { taskArn: taskArnFor('new') })],
      false,
    ],
    ['a running workspace whose task ECS no longer runs', workspaceRecord('ws-1', { since: OLD }), [], true],
    [
      'a running workspace whose task is gone, another of its tasks live',
      workspaceRecord('ws-1', { since: OLD }),
      [liveTask('ws-1', { taskArn: taskArnFor('other') })],
      true,
    ],
    [
      'a running workspace with no task recorded',
      workspaceRecord('ws-1', { since: OLD, taskArn: undefined }),
      [],
      true,
    ],
    [
      'a workspace running for less than the grace period',
      workspaceRecord('ws-1', { since: YOUNG }),
      [],
      false,
    ],
    [
      'a recovering workspace whose relaunch is overdue, no task live',
      workspaceRecord('ws-1', { state: 'recovering', pendingRecovery: overdue }),
      [],
      true,
    ],
    [
      'a recovering workspace whose relaunch is overdue, its relaunched task live',
      workspaceRecord('ws-1', { state: 'recovering', pendingRecovery: overdue }),
      [liveTask('ws-1', { taskArn: taskArnFor('relaunch') })],
      false,
    ],
    [
      'a recovering workspace within the grace period after its due time',
      workspaceRecord('ws-1', {
        state: 'recovering',
        pendingRecovery: { ...overdue, dueAt: NOW - GRACE + 1 },
      }),
      [],
      false,
    ],
    [
      'a recovering workspace still in its backoff',
      workspaceRecord('ws-1', { state: 'recovering', pendingRecovery: { ...overdue, dueAt: NOW + MINUTE } }),
      [],
      false,
    ],
    [
      'a provisioning workspace with no task',
      workspaceRecord('ws-1', { state: 'provisioning', since: OLD }),
      [],
      false,
    ],
    ['a stopped workspace', workspaceRecord('ws-1', { state: 'stopped', since: OLD }), [], false],
    ['a failed workspace', workspaceRecord('ws-1', { state: 'failed', since: OLD }), [], false],
    ['a deprovisioned workspace', workspaceRecord('ws-1', { state: 'deprovisioned', since: OLD }), [], false],
  ];

  it.each(rows)('%s: lost %s', (_name, record, tasks, lost) => {
    expect(run(tasks, recordsOf(record)).lost).toEqual(lost ? [record] : []);
  });

  it('finds orphans and lost workspaces in one sweep, without mixing them up', () => {
    const lostOne = workspaceRecord('ws-lost', { since: OLD });
    const healthy = workspaceRecord('ws-ok', { since: OLD });
    const gone = workspaceRecord('ws-gone', { state: 'deprovisioned', since: OLD });
    const findings = run([liveTask('ws-ok'), liveTask('ws-gone')], recordsOf(lostOne, healthy, gone));
    expect(findings).toEqual({
      orphans: [{ taskArn: taskArnFor('task-ws-gone'), workspaceId: 'ws-gone', reason: 'deprovisioned' }],
      lost: [lostOne],
    });
  });
});

describe("stopStillInFlight: a lost workspace's recorded task, described", () => {
  it.each([
    [
      'stopped within the grace period (its STOPPED on its way to task-state)',
      { lastStatus: 'STOPPED', stoppedAt: YOUNG },
      true,
    ],
    ['stopped longer ago than the grace period', { lastStatus: 'STOPPED', stoppedAt: OLD }, false],
    ['still stopping (DEPROVISIONING, no stoppedAt yet)', { lastStatus: 'DEPROVISIONING' }, true],
    ['still RUNNING as ECS describes it (a listing that lagged)', { lastStatus: 'RUNNING' }, true],
    ['unknown to ECS (MISSING)', undefined, false],
  ] as const)('%s: %s', (_what, task, inFlight) => {
    expect(stopStillInFlight(task, NOW, GRACE)).toBe(inFlight);
  });
});
