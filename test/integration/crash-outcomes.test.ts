/**
 * SIGKILL of a stack on the `process` driver at each step of one provision, then a restart on the
 * same state: the request's events must tell one story. The kill is exact: a preload in the killed
 * stack SIGKILLs it the moment it logs the line of the step (see fixtures/sigkill-at-line.ts).
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import { waitForEvents } from '#local/stack.ts';
import {
  clientsFor,
  provisionRequest,
  publishProvision,
  settled,
  startTestStack,
  type TestStack,
  tasksOf,
  tempStateDir,
} from './helpers.ts';
import { type SpawnedStack, spawnStack } from './spawned-stack.ts';

const PRELOAD = fileURLToPath(new URL('./fixtures/sigkill-at-line.ts', import.meta.url));

/** Steps of a provision, each as the stack's log line that marks it. */
const KILL_POINTS = [
  { step: 'right after RunTask, before its answer and the Launched event', line: ' PROVISIONING \\(ws=' },
  { step: 'as the task process is about to be spawned', line: ' PENDING \\(ws=' },
  { step: 'once the task process runs', line: ' RUNNING \\(ws=\\S+\\) http://' },
  { step: 'once Workspace Task Launched is accepted', line: ' event  #\\d+ Workspace Task Launched ' },
  { step: 'once Workspace Running is accepted', line: ' event  #\\d+ Workspace Running ' },
] as const;

/** A request's outcome events, in the order the bus took them. */
interface Outcome {
  readonly detailType: string;
  readonly taskArn?: string;
}

/**
 * The outcomes of one request: its own (they carry its requestId), and a task-state
 * `Workspace Provision Failed` about a task it launched (ECS's events carry no tags, so that one
 * names the task, not always the request).
 */
const outcomesOf = (events: readonly EventEnvelope[], requestId: string): Outcome[] => {
  const detailOf = (event: EventEnvelope) => event.detail as { requestId?: string; taskArn?: string };
  const launchedTasks = new Set(
    events
      .filter((event) => event['detail-type'] === DETAIL_TYPES.taskLaunched)
      .filter((event) => detailOf(event).requestId === requestId)
      .map((event) => detailOf(event).taskArn),
  );
  return events
    .filter(
      (event) =>
        (event['detail-type'] === DETAIL_TYPES.taskLaunched && detailOf(event).requestId === requestId) ||
        (event['detail-type'] === DETAIL_TYPES.provisionFailed &&
          (detailOf(event).requestId === requestId || launchedTasks.has(detailOf(event).taskArn))),
    )
    .map((event) => {
      const { taskArn } = detailOf(event);
      return { detailType: event['detail-type'], ...(taskArn ? { taskArn } : {}) };
    });
};

/** Launched and Failed for the same task (a Failed naming no task counts against every launch). */
const contradicts = (outcomes: readonly Outcome[]): boolean => {
  const launched = outcomes.filter((outcome) => outcome.detailType === DETAIL_TYPES.taskLaunched);
  return outcomes.some(
    (outcome) =>
      outcome.detailType === DETAIL_TYPES.provisionFailed &&
      launched.some((launch) => outcome.taskArn === undefined || outcome.taskArn === launch.taskArn),
  );
};

describe('a stack on the process driver SIGKILLed during a provision', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it.each(KILL_POINTS)(
    'tells one story after a restart when killed $step',
    async ({ line }) => {
      const stateDir = tempStateDir();
      cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
      const first: SpawnedStack = await spawnStack(
        ['--port', '0', '--state-dir', stateDir, '--driver', 'process'],
        {
          env: { ...process.env, SIGKILL_AT_LINE: line, NO_COLOR: '1' },
          nodeArgs: ['--import', 'tsx', '--import', PRELOAD],
        },
      );
      cleanups.push(() => first.kill());
      const workspaceId = `crash-${KILL_POINTS.findIndex((point) => point.line === line)}`;
      const request = provisionRequest(workspaceId);
      const { events: publisher } = clientsFor(first.url);
      await publishProvision(publisher, request);
      publisher.destroy();
      const killed = await Promise.race([
        new Promise<boolean>((resolve) => first.child.once('exit', () => resolve(true))),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000)),
      ]);
      expect(killed, `the stack never logged /${line}/:\n${first.output()}`).toBe(true);
      expect(first.child.signalCode).toBe('SIGKILL');

      const second: TestStack = await startTestStack({ stateDir, driver: 'process' });
      cleanups.unshift(() => second.stop());
      const requestId = request.requestId as string;
      await waitForEvents(
        second.stack.url,
        (log) => {
          const outcomes = outcomesOf(log, requestId);
          if (contradicts(outcomes)) return true;
          const launched = outcomes.find((outcome) => outcome.detailType === DETAIL_TYPES.taskLaunched);
          return (
            launched !== undefined &&
            log.some(
              (event) =>
                event['detail-type'] === DETAIL_TYPES.running &&
                (event.detail as { taskArn?: string }).taskArn === launched.taskArn,
            )
          );
        },
        20_000,
      );
      await settled(second.stack);
      const outcomes = outcomesOf(await waitForEvents(second.stack.url, () => true, 1000), requestId);

      expect(contradicts(outcomes), JSON.stringify(outcomes)).toBe(false);
      expect(new Set(outcomes.map((outcome) => outcome.detailType))).toEqual(
        new Set([DETAIL_TYPES.taskLaunched]),
      );
      // The emulator's crash is not the workspace's: the one task goes on running.
      const tasks = await tasksOf(second.ecs, workspaceId);
      expect(tasks.map((task) => [task.lastStatus, task.desiredStatus])).toEqual([['RUNNING', 'RUNNING']]);
    },
    90_000,
  );
});
