import { describe, expect, it } from 'vitest';
import { WorkspaceStatusDetail } from '#contracts/outbound.ts';
import { type EcsTaskView, statusOf, type WorkspaceStatus } from '#core/workspace-status.ts';
import type { WorkspaceState } from '#ports/workspace-record-store.ts';
import { RECORDED_AT, workspaceRecord } from '../../fixtures/workspace-records.ts';

const SINCE = new Date(RECORDED_AT).toISOString();
const running = workspaceRecord('ws-1');
const { taskArn, url } = running;

describe('statusOf', () => {
  it('answers unknown for a workspace with no record, whatever ECS says', () => {
    expect(statusOf(undefined)).toEqual({ state: 'unknown' });
    expect(statusOf(undefined, null)).toEqual({ state: 'unknown' });
  });

  it('answers running with the task, its url and since when ECS runs the task', () => {
    expect(statusOf(running, { lastStatus: 'RUNNING' })).toEqual({
      state: 'running',
      taskArn,
      url,
      since: SINCE,
      kind: 'workspace',
      runtime: 'codex',
    });
  });

  it('answers from the record alone when ECS was not asked', () => {
    expect(statusOf(running)).toEqual(statusOf(running, { lastStatus: 'RUNNING' }));
  });

  // `lastStatus` of a task (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html):
  // only STOPPED means the task is gone; a task on its way down is still the workspace's until then.
  const ecsRows: ReadonlyArray<[string, EcsTaskView | null, WorkspaceStatus['state']]> = [
    ['RUNNING', { lastStatus: 'RUNNING' }, 'running'],
    ['DEACTIVATING (still running until it stops)', { lastStatus: 'DEACTIVATING' }, 'running'],
    ['STOPPING', { lastStatus: 'STOPPING' }, 'running'],
    ['STOPPED', { lastStatus: 'STOPPED' }, 'stopped'],
    ['not known to ECS (null)', null, 'stopped'],
  ];
  it.each(ecsRows)('a running record whose task ECS shows %s is %s', (_name, ecsTask, state) => {
    expect(statusOf(running, ecsTask).state).toBe(state);
  });

  it("a running record whose task ECS stopped takes ECS's stoppedAt as since and drops the url", () => {
    const stoppedAt = new Date(RECORDED_AT + 60_000);
    expect(statusOf(running, { lastStatus: 'STOPPED', stoppedAt })).toEqual({
      state: 'stopped',
      taskArn,
      since: stoppedAt.toISOString(),
      kind: 'workspace',
      runtime: 'codex',
    });
    expect(statusOf(running, { lastStatus: 'STOPPED', stoppedAt: stoppedAt.toISOString() }).since).toBe(
      stoppedAt.toISOString(),
    );
  });

  it('leaves since out when ECS no longer knows the task: the stop time is unknown', () => {
    expect(statusOf(running, null)).toEqual({
      state: 'stopped',
      taskArn,
      kind: 'workspace',
      runtime: 'codex',
    });
  });

  const recordedStates: readonly WorkspaceState[] = [
    'provisioning',
    'recovering',
    'stopped',
    'deprovisioned',
    'failed',
  ];
  it.each(recordedStates)(
    'reports a record in state %s as it is, without a url, whatever ECS says',
    (state) => {
      const record = workspaceRecord('ws-2', { state });
      for (const ecsTask of [undefined, null, { lastStatus: 'STOPPED' }, { lastStatus: 'RUNNING' }]) {
        expect(statusOf(record, ecsTask)).toEqual({
          state,
          taskArn: record.taskArn,
          since: SINCE,
          kind: 'workspace',
          runtime: 'codex',
        });
      }
    },
  );

  it('leaves taskArn out for a record that has no task yet', () => {
    const record = workspaceRecord('ws-3', { state: 'provisioning', taskArn: undefined, url: undefined });
    expect(statusOf(record)).toEqual({
      state: 'provisioning',
      since: SINCE,
      kind: 'workspace',
      runtime: 'codex',
    });
  });

  it('gives answers the Workspace Status contract accepts', () => {
    const answers = [
      statusOf(undefined),
      statusOf(running),
      statusOf(running, null),
      statusOf(running, { lastStatus: 'STOPPED', stoppedAt: new Date(RECORDED_AT) }),
      statusOf(workspaceRecord('ws-4', { state: 'deprovisioned' })),
    ];
    for (const answer of answers) {
      const detail = { requestId: 'st-1', workspaceId: 'ws-1', ...answer };
      expect(WorkspaceStatusDetail.safeParse(detail).success, JSON.stringify(detail)).toBe(true);
    }
  });
});
