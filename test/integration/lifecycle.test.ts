import { ListTasksCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import { waitForEvents } from '#local/stack.ts';
import {
  about,
  hasAll,
  publish,
  publishDeprovision,
  publishProvision,
  startTestStack,
  type TestStack,
  uniqueId,
} from './helpers.ts';

/**
 * Issue 13's acceptance, end to end on the local stack with the `process` driver and the real
 * EventBridge and ECS clients: crashes are recovered, a crash loop is cut, restarts keep one live
 * task, retirement (after the fact and ahead of time) replaces the task, status answers from the
 * records, and the reconciliation stops a task nobody should be running.
 */

const detailOf = <T>(event: EventEnvelope | undefined) => (event?.detail ?? {}) as T;

interface RunningDetail {
  readonly taskArn: string;
  readonly url: string;
}

/** Events of a detail-type about a workspace, counted. */
const count = (events: readonly EventEnvelope[], detailType: string, workspaceId: string) =>
  about(events, detailType, workspaceId).length;

const atLeast =
  (workspaceId: string, detailType: string, n: number) =>
  (events: readonly EventEnvelope[]): boolean =>
    count(events, detailType, workspaceId) >= n;

/**
 * A replaced task: the new task's second Running and the old task's Stopped. They come from two
 * task-state calls (the old one's once its process has exited), in no set order: wait for both.
 */
const replacedAndStopped = (workspaceId: string) => (events: readonly EventEnvelope[]) =>
  atLeast(workspaceId, DETAIL_TYPES.running, 2)(events) &&
  count(events, DETAIL_TYPES.stopped, workspaceId) >= 1;

/** POST JSON to a URL; answers the status and the parsed body. */
async function post(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Provisions a codex workspace and waits for its n-th Running; answers that Running. */
async function provisionRunning(local: TestStack, workspaceId: string, extra: Record<string, unknown> = {}) {
  await publishProvision(local.events, {
    requestId: `req-${workspaceId}`,
    workspaceId,
    orgId: 'org-lifecycle',
    runtime: 'codex',
    ...extra,
  });
  const events = await waitForEvents(local.stack.url, hasAll(workspaceId, DETAIL_TYPES.running), 20_000);
  return detailOf<RunningDetail>(about(events, DETAIL_TYPES.running, workspaceId)[0]);
}

/** Tasks ECS wants running for the workspace. */
async function liveTasks(local: TestStack, workspaceId: string): Promise<string[]> {
  const listed = await local.ecs.send(
    new ListTasksCommand({ cluster: 'workspaces', startedBy: workspaceId }),
  );
  return listed.taskArns ?? [];
}

describe('lifecycle on the local stack (process driver)', () => {
  let local: TestStack;

  beforeAll(async () => {
    local = await startTestStack({
      driver: 'process',
      recoveryAttempts: 2,
      recoveryWindowSeconds: 600,
      recoveryBackoffSeconds: 0,
      sweepIntervalMs: 500,
    });
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('recovers a crash: Stopped crashed with the exit code, Recovering, then Running on a new task', async () => {
    const workspaceId = uniqueId('crash');
    const first = await provisionRunning(local, workspaceId);

    expect((await post(`${first.url}/exit`, { code: 3 })).status).toBe(202);
    const events = await waitForEvents(
      local.stack.url,
      atLeast(workspaceId, DETAIL_TYPES.running, 2),
      30_000,
    );

    const stopped = detailOf<{ cause: string; exitCode: number; taskArn: string }>(
      about(events, DETAIL_TYPES.stopped, workspaceId)[0],
    );
    expect(stopped).toMatchObject({ cause: 'crashed', exitCode: 3, taskArn: first.taskArn });
    const recovering = detailOf<Record<string, unknown>>(
      about(events, DETAIL_TYPES.recovering, workspaceId)[0],
    );
    expect(recovering).toMatchObject({ cause: 'crashed', attempt: 1, previousTaskArn: first.taskArn });
    const again = detailOf<RunningDetail>(about(events, DETAIL_TYPES.running, workspaceId)[1]);
    expect(again.taskArn).not.toBe(first.taskArn);
    // The new task booted as the first did: its overlay is reported on the boot step's evidence.
    const applied = about(events, DETAIL_TYPES.configOverlayApplied, workspaceId).map(
      (event) => detailOf<{ taskArn: string }>(event).taskArn,
    );
    expect(applied).toContain(again.taskArn);
    expect(await liveTasks(local, workspaceId)).toEqual([again.taskArn]);
  });

  it('cuts a crash loop: with --recovery-attempts 2 the third crash ends in Recovery Abandoned and nothing more is launched', async () => {
    const workspaceId = uniqueId('loop');
    let running = await provisionRunning(local, workspaceId);
    for (let crash = 1; crash <= 2; crash++) {
      await post(`${running.url}/exit`, { code: 1 });
      const events = await waitForEvents(
        local.stack.url,
        atLeast(workspaceId, DETAIL_TYPES.running, crash + 1),
        30_000,
      );
      running = detailOf<RunningDetail>(about(events, DETAIL_TYPES.running, workspaceId)[crash]);
    }
    await post(`${running.url}/exit`, { code: 1 });
    const events = await waitForEvents(
      local.stack.url,
      hasAll(workspaceId, DETAIL_TYPES.recoveryAbandoned),
      30_000,
    );
    expect(detailOf(about(events, DETAIL_TYPES.recoveryAbandoned, workspaceId)[0])).toMatchObject({
      workspaceId,
      cause: 'crashed',
      attempts: 2,
    });
    // Give a wrongly scheduled relaunch time to show itself: none comes.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = await waitForEvents(local.stack.url, () => true);
    expect(count(after, DETAIL_TYPES.taskLaunched, workspaceId)).toBe(3);
    expect(count(after, DETAIL_TYPES.recovering, workspaceId)).toBe(2);
    expect(await liveTasks(local, workspaceId)).toEqual([]);
  });

  it('does not recover a workspace whose request says recovery "never"', async () => {
    const workspaceId = uniqueId('never');
    const running = await provisionRunning(local, workspaceId, { recovery: 'never' });
    await post(`${running.url}/exit`, { code: 2 });
    await waitForEvents(local.stack.url, hasAll(workspaceId, DETAIL_TYPES.stopped), 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const events = await waitForEvents(local.stack.url, () => true);
    expect(count(events, DETAIL_TYPES.recovering, workspaceId)).toBe(0);
    expect(count(events, DETAIL_TYPES.taskLaunched, workspaceId)).toBe(1);
    expect(await liveTasks(local, workspaceId)).toEqual([]);
  });

  it('restarts with at most one live task at every moment and ends Running on a new task', async () => {
    const workspaceId = uniqueId('restart');
    const first = await provisionRunning(local, workspaceId);
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        most = Math.max(most, (await liveTasks(local, workspaceId)).length);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const requestId = `restart-${workspaceId}`;
    await publish(local.events, DETAIL_TYPES.restartRequested, { requestId, workspaceId, reason: 'test' });
    // Delivered twice (at least once, as EventBridge may): still one restart.
    await publish(local.events, DETAIL_TYPES.restartRequested, { requestId, workspaceId, reason: 'test' });
    const events = await waitForEvents(
      local.stack.url,
      atLeast(workspaceId, DETAIL_TYPES.running, 2),
      30_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    sampling = false;
    await sampler;

    expect(most).toBe(1);
    const again = detailOf<RunningDetail>(about(events, DETAIL_TYPES.running, workspaceId)[1]);
    expect(again.taskArn).not.toBe(first.taskArn);
    const all = await waitForEvents(local.stack.url, replacedAndStopped(workspaceId), 30_000);
    expect(count(all, DETAIL_TYPES.taskLaunched, workspaceId)).toBe(2);
    const stopped = detailOf(about(all, DETAIL_TYPES.stopped, workspaceId)[0]);
    expect(stopped).toMatchObject({ taskArn: first.taskArn, cause: 'requested' });
    expect(count(all, DETAIL_TYPES.recovering, workspaceId)).toBe(0);
    expect(await liveTasks(local, workspaceId)).toEqual([again.taskArn]);
  });

  it('answers a restart of an unknown workspace and of a deprovisioned one with Restart Failed', async () => {
    const unknown = uniqueId('nobody');
    await publish(local.events, DETAIL_TYPES.restartRequested, {
      requestId: `r-${unknown}`,
      workspaceId: unknown,
    });
    const gone = uniqueId('gone');
    await provisionRunning(local, gone);
    await publishDeprovision(local.events, gone);
    await waitForEvents(local.stack.url, hasAll(gone, DETAIL_TYPES.deprovisioned), 20_000);
    await publish(local.events, DETAIL_TYPES.restartRequested, { requestId: `r-${gone}`, workspaceId: gone });
    const events = await waitForEvents(
      local.stack.url,
      (all) =>
        hasAll(unknown, DETAIL_TYPES.restartFailed)(all) && hasAll(gone, DETAIL_TYPES.restartFailed)(all),
      20_000,
    );
    expect(detailOf(about(events, DETAIL_TYPES.restartFailed, unknown)[0])).toMatchObject({
      code: 'WORKSPACE_UNKNOWN',
    });
    expect(detailOf(about(events, DETAIL_TYPES.restartFailed, gone)[0])).toMatchObject({
      code: 'WORKSPACE_DEPROVISIONED',
    });
  });

  it('recovers a simulated Fargate retirement with cause infrastructure', async () => {
    const workspaceId = uniqueId('retired');
    const first = await provisionRunning(local, workspaceId);
    const answer = await post(`${local.stack.url}/local/simulate/task-retirement`, {
      taskArn: first.taskArn,
    });
    expect(answer.status).toBe(202);
    const events = await waitForEvents(
      local.stack.url,
      atLeast(workspaceId, DETAIL_TYPES.running, 2),
      30_000,
    );
    expect(detailOf(about(events, DETAIL_TYPES.stopped, workspaceId)[0])).toMatchObject({
      taskArn: first.taskArn,
      cause: 'infrastructure',
    });
    expect(detailOf(about(events, DETAIL_TYPES.recovering, workspaceId)[0])).toMatchObject({
      cause: 'infrastructure',
      previousTaskArn: first.taskArn,
    });
  });

  it('replaces a task ahead of its scheduled retirement when AWS Health announces it', async () => {
    const workspaceId = uniqueId('health');
    const first = await provisionRunning(local, workspaceId);
    const answer = await post(`${local.stack.url}/local/simulate/health-event`, {
      eventTypeCode: 'AWS_ECS_TASK_PATCHING_RETIREMENT',
      taskArns: [first.taskArn],
    });
    expect(answer.status).toBe(200);
    const events = await waitForEvents(local.stack.url, replacedAndStopped(workspaceId), 30_000);
    expect(detailOf(about(events, DETAIL_TYPES.recovering, workspaceId)[0])).toMatchObject({
      cause: 'scheduled-retirement',
      previousTaskArn: first.taskArn,
    });
    // The old task was replaced, not retired: its stop was the provisioner's.
    expect(detailOf(about(events, DETAIL_TYPES.stopped, workspaceId)[0])).toMatchObject({
      taskArn: first.taskArn,
      cause: 'requested',
    });
    const again = detailOf<RunningDetail>(about(events, DETAIL_TYPES.running, workspaceId)[1]);
    expect(await liveTasks(local, workspaceId)).toEqual([again.taskArn]);
  });

  it('answers Status for a running, a deprovisioned and an unknown workspace', async () => {
    const runningId = uniqueId('status-run');
    const running = await provisionRunning(local, runningId);
    const goneId = uniqueId('status-gone');
    await provisionRunning(local, goneId);
    await publishDeprovision(local.events, goneId);
    await waitForEvents(local.stack.url, hasAll(goneId, DETAIL_TYPES.deprovisioned), 20_000);
    const unknownId = uniqueId('status-none');
    for (const workspaceId of [runningId, goneId, unknownId]) {
      await publish(local.events, DETAIL_TYPES.statusRequested, {
        requestId: `s-${workspaceId}`,
        workspaceId,
      });
    }
    const events = await waitForEvents(
      local.stack.url,
      (all) => [runningId, goneId, unknownId].every((id) => hasAll(id, DETAIL_TYPES.status)(all)),
      20_000,
    );
    expect(detailOf(about(events, DETAIL_TYPES.status, runningId)[0])).toMatchObject({
      requestId: `s-${runningId}`,
      state: 'running',
      taskArn: running.taskArn,
      url: running.url,
    });
    expect(detailOf(about(events, DETAIL_TYPES.status, goneId)[0])).toMatchObject({ state: 'deprovisioned' });
    expect(detailOf(about(events, DETAIL_TYPES.status, unknownId)[0])).toMatchObject({ state: 'unknown' });
  });

  it('stops a task started by hand for a deprovisioned workspace, and reports it', async () => {
    const workspaceId = uniqueId('orphan');
    await provisionRunning(local, workspaceId);
    await publishDeprovision(local.events, workspaceId);
    await waitForEvents(local.stack.url, hasAll(workspaceId, DETAIL_TYPES.deprovisioned), 20_000);
    const started = await local.ecs.send(
      new RunTaskCommand({
        cluster: 'workspaces',
        taskDefinition: 'workspace-codex',
        startedBy: workspaceId,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-local'] } },
        // The boot step needs a bundle: the one the provisioner wrote for the workspace is still there.
        overrides: {
          containerOverrides: [
            {
              name: 'boot',
              environmentFiles: [
                {
                  type: 's3',
                  value: `arn:aws:s3:::workspace-files/boot/org-lifecycle/${workspaceId}/req-${workspaceId}.env`,
                },
              ],
            },
          ],
        },
      }),
    );
    const taskArn = started.tasks?.[0]?.taskArn;
    expect(taskArn).toBeDefined();
    const events = await waitForEvents(
      local.stack.url,
      hasAll(workspaceId, DETAIL_TYPES.orphanTaskStopped),
      20_000,
    );
    expect(detailOf(about(events, DETAIL_TYPES.orphanTaskStopped, workspaceId)[0])).toMatchObject({
      taskArn,
      reason: 'deprovisioned',
    });
    await waitForEvents(
      local.stack.url,
      (all) =>
        about(all, DETAIL_TYPES.stopped, workspaceId).some(
          (event) => detailOf<{ taskArn: string }>(event).taskArn === taskArn,
        ),
      20_000,
    );
    expect(await liveTasks(local, workspaceId)).toEqual([]);
  });
});
