import { createHash } from 'node:crypto';
import type { TaskRecord } from '../task-record.ts';
import type { TaskDriver, TaskDriverContext } from './types.ts';

/**
 * A made-up private address in 10.0.0.0/16 for a simulated task, the same for the same task (so a
 * resumed task keeps it), never a network or broadcast address.
 */
export function simulatedAddressOf(taskArn: string): string {
  const hash = createHash('sha256').update(taskArn).digest();
  return `10.0.${hash[0] as number}.${((hash[1] as number) % 254) + 1}`;
}

/**
 * The `simulated` driver: no processes. A task walks PROVISIONING → PENDING → RUNNING one step
 * (`stepMs`) apart, and reaches STOPPED one step after StopTask, with exit code 0 when it had run.
 * RUNNING at a made-up private address ({@link simulatedAddressOf}), as a Fargate task's ENI would
 * have one. After a restart, tasks resume where they were. Nothing runs, so the launch's directories
 * (configs, EBS volume) are not used. For tests and benchmarks.
 */
export function createSimulatedDriver(context: TaskDriverContext): TaskDriver {
  const { hooks, stepMs } = context;
  const timers = new Map<string, NodeJS.Timeout>();

  function after(taskArn: string, step: () => void): void {
    clearTimeout(timers.get(taskArn));
    const timer = setTimeout(() => {
      timers.delete(taskArn);
      step();
    }, stepMs);
    // Simulated tasks must not keep the process alive on their own.
    timer.unref();
    timers.set(taskArn, timer);
  }

  function toRunning(taskArn: string): void {
    after(taskArn, () => hooks.running(taskArn, { privateIPv4Address: simulatedAddressOf(taskArn) }));
  }

  function toPending(taskArn: string): void {
    after(taskArn, () => {
      hooks.pending(taskArn);
      toRunning(taskArn);
    });
  }

  function stop(task: TaskRecord): void {
    const ran = task.startedAt !== undefined;
    after(task.taskArn, () => hooks.stopped(task.taskArn, ran ? { exitCode: 0 } : {}));
  }

  return {
    name: 'simulated',
    // One step per state: a task the agent moved to PENDING already has one step left.
    start: (task, _definition, launch) =>
      launch?.pending ? toRunning(task.taskArn) : toPending(task.taskArn),
    stop,
    adopt(task) {
      if (task.desiredStatus === 'STOPPED') stop(task);
      else if (task.lastStatus === 'PROVISIONING') toPending(task.taskArn);
      else if (task.lastStatus !== 'RUNNING') toRunning(task.taskArn);
    },
    async close() {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
