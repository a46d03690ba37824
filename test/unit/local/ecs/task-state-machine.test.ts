import { describe, expect, it } from 'vitest';
import { copyTaskRecord, type TaskRecord } from '#local/ecs/task-record.ts';
import {
  markPending,
  markRunning,
  markStopped,
  markStopRequested,
  type TaskTransition,
} from '#local/ecs/task-state-machine.ts';
import { taskIn } from './task-fixture.ts';

// The task lifecycle ECS documents ("Amazon ECS task lifecycle": PROVISIONING -> PENDING -> RUNNING
// -> ... -> STOPPED; StopTask sets desiredStatus STOPPED first, lastStatus follows once the
// container is gone), for the states the emulator records.
const STATES: Record<string, () => TaskRecord> = {
  provisioning: () => taskIn('PROVISIONING', 'RUNNING'),
  pending: () => taskIn('PENDING', 'RUNNING'),
  running: () => taskIn('RUNNING', 'RUNNING'),
  'provisioning, stop requested': () =>
    taskIn('PROVISIONING', 'STOPPED', { stopCode: 'UserInitiated', stoppedReason: 'by user' }),
  'running, stop requested': () =>
    taskIn('RUNNING', 'STOPPED', { stopCode: 'UserInitiated', stoppedReason: 'by user' }),
  stopped: () => taskIn('STOPPED', 'STOPPED', { stopCode: 'EssentialContainerExited' }),
};

const TRANSITIONS: Record<string, TaskTransition> = {
  markPending,
  markRunning: (task, now) => markRunning(task, now, { port: 41000 }),
  markStopped: (task, now) => markStopped(task, now, { exitCode: 0 }),
  markStopRequested: (task, now) => markStopRequested(task, now, 'Task stopped by user'),
};

/** [state, transition, changed, lastStatus after, desiredStatus after] */
const TABLE: Array<[string, string, boolean, string, string]> = [
  ['provisioning', 'markPending', true, 'PENDING', 'RUNNING'],
  ['provisioning', 'markRunning', true, 'RUNNING', 'RUNNING'],
  ['provisioning', 'markStopped', true, 'STOPPED', 'STOPPED'],
  ['provisioning', 'markStopRequested', true, 'PROVISIONING', 'STOPPED'],
  ['pending', 'markPending', false, 'PENDING', 'RUNNING'],
  ['pending', 'markRunning', true, 'RUNNING', 'RUNNING'],
  ['pending', 'markStopped', true, 'STOPPED', 'STOPPED'],
  ['pending', 'markStopRequested', true, 'PENDING', 'STOPPED'],
  ['running', 'markPending', false, 'RUNNING', 'RUNNING'],
  // A running task placed anew (the process driver re-spawns it after a restart of the stack).
  ['running', 'markRunning', true, 'RUNNING', 'RUNNING'],
  ['running', 'markStopped', true, 'STOPPED', 'STOPPED'],
  ['running', 'markStopRequested', true, 'RUNNING', 'STOPPED'],
  ['provisioning, stop requested', 'markPending', false, 'PROVISIONING', 'STOPPED'],
  ['provisioning, stop requested', 'markRunning', false, 'PROVISIONING', 'STOPPED'],
  ['provisioning, stop requested', 'markStopped', true, 'STOPPED', 'STOPPED'],
  ['provisioning, stop requested', 'markStopRequested', false, 'PROVISIONING', 'STOPPED'],
  ['running, stop requested', 'markPending', false, 'RUNNING', 'STOPPED'],
  ['running, stop requested', 'markRunning', false, 'RUNNING', 'STOPPED'],
  ['running, stop requested', 'markStopped', true, 'STOPPED', 'STOPPED'],
  ['running, stop requested', 'markStopRequested', false, 'RUNNING', 'STOPPED'],
  ['stopped', 'markPending', false, 'STOPPED', 'STOPPED'],
  ['stopped', 'markRunning', false, 'STOPPED', 'STOPPED'],
  ['stopped', 'markStopped', false, 'STOPPED', 'STOPPED'],
  ['stopped', 'markStopRequested', false, 'STOPPED', 'STOPPED'],
];

describe('the ECS task state machine', () => {
  it('covers each transition from each state', () => {
    const covered = new Set(TABLE.map(([state, transition]) => `${state}/${transition}`));
    expect(covered.size).toBe(Object.keys(STATES).length * Object.keys(TRANSITIONS).length);
  });

  it.each(TABLE)('from %s, %s changes=%s to %s / desired %s', (state, name, changed, last, desired) => {
    const task = (STATES[state] as () => TaskRecord)();
    const before = copyTaskRecord(task);
    const transition = TRANSITIONS[name] as TaskTransition;

    expect(transition(task, 5_000)).toBe(changed);
    expect(task.lastStatus).toBe(last);
    expect(task.desiredStatus).toBe(desired);
    if (!changed) expect(task).toEqual(before);
    for (const container of task.containers) {
      if (last === 'STOPPED' || (changed && name !== 'markStopRequested')) {
        expect(container.lastStatus).toBe(last);
      }
    }
  });

  it('records the times and placement of a start', () => {
    const task = taskIn('PENDING', 'RUNNING', { pullStartedAt: 2_000 });
    markRunning(task, 3_000, { port: 41000, pid: 7 });
    expect(task).toMatchObject({
      pullStartedAt: 2_000,
      pullStoppedAt: 3_000,
      startedAt: 3_000,
      connectivity: 'CONNECTED',
      connectivityAt: 3_000,
      local: { port: 41000, pid: 7 },
    });
  });

  it('records a running task placed anew, keeping its start, and nothing when the placement is the same', () => {
    const task = taskIn('RUNNING', 'RUNNING', { startedAt: 1_000, local: { port: 41000, pid: 7 } });
    expect(markRunning(task, 3_000, { port: 41000, pid: 7 })).toBe(false);
    expect(markRunning(task, 3_000, { port: 42000, pid: 8 })).toBe(true);
    expect(task).toMatchObject({ startedAt: 1_000, local: { port: 42000, pid: 8 } });
  });

  it('keeps a StopTask reason when the task then stops, and names a failed start otherwise', () => {
    const requested = taskIn('RUNNING', 'RUNNING');
    markStopRequested(requested, 2_000, 'Task stopped by user');
    markStopped(requested, 3_000, { exitCode: 143 });
    expect(requested).toMatchObject({
      stopCode: 'UserInitiated',
      stoppedReason: 'Task stopped by user',
      stoppingAt: 2_000,
      stoppedAt: 3_000,
    });
    expect(requested.containers[0]?.exitCode).toBe(143);

    const failed = taskIn('PROVISIONING', 'RUNNING');
    markStopped(failed, 3_000, { failedToStart: true, containerReason: 'CannotStartContainerError' });
    expect(failed).toMatchObject({ stopCode: 'TaskFailedToStart', stoppedReason: 'Task failed to start' });
    expect(failed.containers[0]?.reason).toBe('CannotStartContainerError');

    const exited = taskIn('RUNNING', 'RUNNING');
    markStopped(exited, 3_000, { exitCode: 1 });
    expect(exited).toMatchObject({
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
    });
  });
});
