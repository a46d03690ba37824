import { describe, expect, it } from 'vitest';
import type { TaskDriver } from '#local/ecs/drivers/types.ts';
import type { EcsTaskDefinition, TaskRecord } from '#local/ecs/index.ts';
import { reconcileLeftUnfinished, reconcileOnNextTick, whyNotAdoptable } from '#local/ecs/reconcile.ts';
import type { TaskLedger } from '#local/ecs/task-ledger.ts';
import type { TaskTransition } from '#local/ecs/task-state-machine.ts';
import { taskIn } from './task-fixture.ts';

const CODEX: EcsTaskDefinition = {
  family: 'workspace-codex',
  image: 'img',
  containerName: 'workspace',
  containerPort: 8000,
};

/** A ledger over a map: enough for reconciliation, which only reads live tasks and changes them. */
function mapLedger(tasks: TaskRecord[]): TaskLedger & { stopped: TaskRecord[] } {
  const live = new Map(tasks.map((task) => [task.taskArn, task]));
  const stopped: TaskRecord[] = [];
  return {
    stopped,
    find: (arn) => live.get(arn),
    live: (arn) => live.get(arn),
    liveTasks: () => [...live.values()],
    change(arn, transition: TaskTransition) {
      const task = live.get(arn);
      if (!task || !transition(task, 7_000)) return task;
      if (task.lastStatus === 'STOPPED') {
        live.delete(arn);
        stopped.push(task);
      }
      return task;
    },
    emitCreated: () => {},
    track: (task) => live.set(task.taskArn, task),
    adopt: (task) => live.set(task.taskArn, task),
    close: () => {},
  };
}

function fakeDriver(name: TaskDriver['name']): TaskDriver & { adopted: string[] } {
  const adopted: string[] = [];
  return {
    name,
    adopted,
    start: () => {},
    stop: () => {},
    adopt: async (task) => {
      adopted.push(task.taskArn);
    },
    close: async () => {},
  };
}

describe('reconciliation after a restart', () => {
  it.each([
    ['same driver, definition configured', 'simulated', CODEX, undefined],
    [
      'definition gone',
      'simulated',
      undefined,
      'its task definition workspace-codex is no longer configured',
    ],
    ['another driver', 'process', CODEX, 'it ran under the simulated driver and the stack now uses process'],
  ] as const)('%s', (_case, driverName, definition, why) => {
    expect(whyNotAdoptable(taskIn('RUNNING', 'RUNNING'), driverName, definition)).toBe(why);
  });

  it('hands adoptable tasks to the driver and stops the others with the reason', async () => {
    const running = taskIn('RUNNING', 'RUNNING', { taskArn: 'arn:a', startedAt: 2_000 });
    const other = taskIn('PROVISIONING', 'RUNNING', { taskArn: 'arn:b', family: 'workspace-gone' });
    const tasks = mapLedger([running, other]);
    const driver = fakeDriver('simulated');

    await reconcileLeftUnfinished({
      leftUnfinished: [running, other],
      tasks,
      driver,
      definitions: new Map([[CODEX.family, CODEX]]),
    });

    expect(driver.adopted).toEqual(['arn:a']);
    expect(tasks.stopped).toMatchObject([
      {
        taskArn: 'arn:b',
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'Local stack restarted; its task definition workspace-gone is no longer configured',
      },
    ]);
  });

  it('skips a task settled since the emulator started', async () => {
    const task = taskIn('RUNNING', 'RUNNING', { taskArn: 'arn:a' });
    const tasks = mapLedger([]);
    const driver = fakeDriver('simulated');

    await reconcileLeftUnfinished({
      leftUnfinished: [task],
      tasks,
      driver,
      definitions: new Map([[CODEX.family, CODEX]]),
    });

    expect(driver.adopted).toEqual([]);
  });

  it('runs on the next tick, and not at all when closing by then', async () => {
    const task = taskIn('RUNNING', 'RUNNING', { taskArn: 'arn:a' });
    const driver = fakeDriver('simulated');
    const reconciliation = {
      leftUnfinished: [task],
      tasks: mapLedger([task]),
      driver,
      definitions: new Map([[CODEX.family, CODEX]]),
    };

    const reconciled = reconcileOnNextTick(reconciliation, () => false);
    expect(driver.adopted).toEqual([]);
    await reconciled;
    expect(driver.adopted).toEqual(['arn:a']);

    const skipped = fakeDriver('simulated');
    await reconcileOnNextTick({ ...reconciliation, driver: skipped }, () => true);
    expect(skipped.adopted).toEqual([]);
  });
});
