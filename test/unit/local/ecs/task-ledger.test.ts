import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '#local/ecs/index.ts';
import { createTaskLedger } from '#local/ecs/task-ledger.ts';
import { markStopped, markStopRequested } from '#local/ecs/task-state-machine.ts';
import { createTaskStore } from '#local/ecs/task-store.ts';
import { createEventBus } from '#local/eventbridge/index.ts';
import type { AcceptedEvent } from '#local/interfaces.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';
import { taskIn } from './task-fixture.ts';

function ledgerHarness() {
  const database = openDatabase(IN_MEMORY);
  const bus = createEventBus(database);
  const store = createTaskStore(database);
  const events: AcceptedEvent[] = [];
  bus.subscribe((accepted) => events.push(...accepted));
  const changed: TaskRecord[] = [];
  let now = 5_000;
  const tasks = createTaskLedger({
    database,
    store,
    bus,
    eventBusName: 'default',
    scope: { region: 'us-east-1', account: '000000000000' },
    clock: { now: () => now },
    onChanged: (task) => changed.push(task),
  });
  const recordNew = (task: TaskRecord) => {
    database.transaction(() => {
      store.insert(task);
      tasks.emitCreated([task]);
    });
    tasks.track(task);
  };
  return { database, bus, store, tasks, events, changed, recordNew, setNow: (at: number) => (now = at) };
}

describe('the task ledger', () => {
  it('records a change and its event together, version rising by one', () => {
    const { store, tasks, events, changed, recordNew } = ledgerHarness();
    const task = taskIn('RUNNING', 'RUNNING');
    recordNew(task);

    const next = tasks.change(task.taskArn, (draft, now) => markStopRequested(draft, now, 'by user'));

    expect(next).toMatchObject({ version: 2, desiredStatus: 'STOPPED', updatedAt: 5_000 });
    expect(task.desiredStatus).toBe('RUNNING');
    expect(store.get(task.taskArn)).toEqual(next);
    expect(events.map((event) => event.envelope.detail)).toMatchObject([
      { version: 1, desiredStatus: 'RUNNING' },
      { version: 2, desiredStatus: 'STOPPED' },
    ]);
    expect(changed.map((record) => record.version)).toEqual([1, 2]);
    expect(tasks.live(task.taskArn)).toBe(next);
  });

  it('records nothing when the transition does not apply', () => {
    const { tasks, events, changed, recordNew } = ledgerHarness();
    const task = taskIn('STOPPED', 'STOPPED');
    recordNew(task);

    expect(tasks.change(task.taskArn, (draft, now) => markStopped(draft, now, {}))).toBe(task);
    expect(events).toHaveLength(1);
    expect(changed).toHaveLength(1);
  });

  it('forgets a stopped task from memory but still finds it in the store', () => {
    const { tasks, recordNew } = ledgerHarness();
    const task = taskIn('RUNNING', 'RUNNING');
    recordNew(task);

    tasks.change(task.taskArn, (draft, now) => markStopped(draft, now, { exitCode: 0 }));

    expect(tasks.live(task.taskArn)).toBeUndefined();
    expect(tasks.liveTasks()).toEqual([]);
    expect(tasks.find(task.taskArn)).toMatchObject({ lastStatus: 'STOPPED', version: 2 });
  });

  it('keeps updatedAt from going back when the clock does', () => {
    const { tasks, recordNew, setNow } = ledgerHarness();
    const task = taskIn('RUNNING', 'RUNNING', { updatedAt: 9_000 });
    recordNew(task);
    setNow(8_000);

    expect(tasks.change(task.taskArn, (draft, now) => markStopRequested(draft, now, 'x'))?.updatedAt).toBe(
      9_000,
    );
  });

  it('rolls the row back with its event when the event cannot be accepted', () => {
    const { bus, store, tasks, recordNew } = ledgerHarness();
    const task = taskIn('RUNNING', 'RUNNING');
    recordNew(task);
    const accept = bus.accept;
    bus.accept = () => {
      throw new Error('bus broken');
    };

    expect(() => tasks.change(task.taskArn, (draft, now) => markStopRequested(draft, now, 'x'))).toThrow(
      'bus broken',
    );
    bus.accept = accept;
    expect(store.get(task.taskArn)).toMatchObject({ version: 1, desiredStatus: 'RUNNING' });
    expect(tasks.live(task.taskArn)).toBe(task);
  });

  it('adopts a task quietly, answers undefined for an unknown task, and records nothing once closed', () => {
    const { store, tasks, changed, database } = ledgerHarness();
    const task = taskIn('RUNNING', 'RUNNING');
    database.transaction(() => store.insert(task));
    tasks.adopt(task);

    expect(changed).toEqual([]);
    expect(tasks.liveTasks()).toEqual([task]);
    expect(tasks.change('arn:unknown', () => true)).toBeUndefined();
    tasks.close();
    expect(tasks.change(task.taskArn, (draft, now) => markStopRequested(draft, now, 'x'))).toBeUndefined();
    expect(store.get(task.taskArn)?.version).toBe(1);
  });
});
