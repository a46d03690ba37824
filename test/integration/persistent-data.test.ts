import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import { waitForEvents } from '#local/stack.ts';
import {
  about,
  hasAll,
  publish,
  publishProvision,
  startTestStack,
  type TestStack,
  uniqueId,
} from './helpers.ts';

/**
 * Issue 14's acceptance, end to end on the local stack with the `process` driver and the real
 * EventBridge, ECS and EC2 clients: a file written into a persistent workspace is there, unchanged,
 * after a restart, after a crash recovery, and after a deprovision without `erase` followed by a new
 * provision of the same workspace; `Workspace Data Saved` follows each stop; `erase: true` ends in
 * `Workspace Data Erased` and the next provision starts empty; an ephemeral workspace keeps nothing.
 */

const detailOf = <T>(event: EventEnvelope | undefined) => (event?.detail ?? {}) as T;

interface RunningDetail {
  readonly taskArn: string;
  readonly url: string;
}
interface DataFile {
  readonly path: string;
  readonly sha256: string;
}

const atLeast =
  (workspaceId: string, detailType: string, n: number) =>
  (events: readonly EventEnvelope[]): boolean =>
    about(events, detailType, workspaceId).length >= n;
const both =
  (...predicates: Array<(events: readonly EventEnvelope[]) => boolean>) =>
  (events: readonly EventEnvelope[]): boolean =>
    predicates.every((predicate) => predicate(events));

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Writes a file into the workspace's data directory through the stand-in (`PUT /data/<path>`). */
async function writeData(url: string, path: string, content: string): Promise<void> {
  const response = await fetch(`${url}/data/${path}`, { method: 'PUT', body: content });
  expect(response.status).toBe(201);
  expect(await response.json()).toEqual({ path, sha256: sha256(content) });
}

/** The data files the workspace booted with, from the stand-in's report (`GET /`). */
async function dataFiles(url: string): Promise<DataFile[]> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: DataFile[] }).data;
}

/** The n-th Running of the workspace (1-based), once it is in. */
async function nthRunning(local: TestStack, workspaceId: string, n: number): Promise<RunningDetail> {
  const events = await waitForEvents(local.stack.url, atLeast(workspaceId, DETAIL_TYPES.running, n), 40_000);
  return detailOf<RunningDetail>(about(events, DETAIL_TYPES.running, workspaceId)[n - 1]);
}

/** The index of each event in the log: consumers see them in this order. */
const positionOf = (events: readonly EventEnvelope[], event: EventEnvelope | undefined): number =>
  event ? events.indexOf(event) : -1;

describe('persistent workspace data on the local stack (process driver)', () => {
  let local: TestStack;

  beforeAll(async () => {
    local = await startTestStack({
      driver: 'process',
      recoveryBackoffSeconds: 0,
      dataSaveWaitSeconds: 30,
    });
  });
  afterAll(async () => {
    await local?.stop();
  });

  const provision = (workspaceId: string, requestId: string, storage?: unknown) =>
    publishProvision(local.events, {
      requestId,
      workspaceId,
      orgId: 'org-data',
      runtime: 'codex',
      ...(storage === undefined ? {} : { storage }),
    });

  it('keeps a file across a restart: Stopped, then Data Saved, then the new task restored from it', async () => {
    const workspaceId = uniqueId('keep-restart');
    await provision(workspaceId, `p-${workspaceId}`, { persistent: true, sizeGiB: 2 });
    const first = await nthRunning(local, workspaceId, 1);
    expect(await dataFiles(first.url)).toEqual([]);
    await writeData(first.url, 'notes/today.md', '# kept across restarts\n');

    await publish(local.events, DETAIL_TYPES.restartRequested, {
      requestId: `r-${workspaceId}`,
      workspaceId,
    });
    const second = await nthRunning(local, workspaceId, 2);
    expect(second.taskArn).not.toBe(first.taskArn);
    expect(await dataFiles(second.url)).toEqual([
      { path: 'notes/today.md', sha256: sha256('# kept across restarts\n') },
    ]);

    const events = await waitForEvents(
      local.stack.url,
      hasAll(workspaceId, DETAIL_TYPES.dataSaved, DETAIL_TYPES.stopped),
    );
    const [saved] = about(events, DETAIL_TYPES.dataSaved, workspaceId);
    expect(saved?.detail).toMatchObject({
      workspaceId,
      sizeGiB: 2,
      taskArn: first.taskArn,
      kind: 'workspace',
    });
    const snapshotId = detailOf<{ snapshotId: string }>(saved).snapshotId;
    const [stopped] = about(events, DETAIL_TYPES.stopped, workspaceId);
    const launched = about(events, DETAIL_TYPES.taskLaunched, workspaceId);
    expect(launched[0]?.detail).toMatchObject({
      storage: { persistent: true, sizeGiB: 2, path: '/workspace' },
    });
    expect(detailOf<{ storage: Record<string, unknown> }>(launched[0]).storage).not.toHaveProperty(
      'restoredFrom',
    );
    expect(launched[1]?.detail).toMatchObject({ storage: { restoredFrom: snapshotId } });
    // The order a consumer sees: the old task's stop, its save, then the new task.
    expect(positionOf(events, stopped)).toBeLessThan(positionOf(events, saved));
    expect(positionOf(events, saved)).toBeLessThan(positionOf(events, launched[1]));
  });

  it('keeps a file across a crash recovery', async () => {
    const workspaceId = uniqueId('keep-crash');
    await provision(workspaceId, `p-${workspaceId}`, { persistent: true });
    const first = await nthRunning(local, workspaceId, 1);
    await writeData(first.url, 'session.json', '{"turn": 7}');

    const crashed = await fetch(`${first.url}/exit`, { method: 'POST', body: JSON.stringify({ code: 3 }) });
    expect(crashed.status).toBe(202);
    const second = await nthRunning(local, workspaceId, 2);
    expect(await dataFiles(second.url)).toEqual([{ path: 'session.json', sha256: sha256('{"turn": 7}') }]);
    const events = await waitForEvents(
      local.stack.url,
      both(hasAll(workspaceId, DETAIL_TYPES.recovering), atLeast(workspaceId, DETAIL_TYPES.dataSaved, 1)),
    );
    expect(about(events, DETAIL_TYPES.stopped, workspaceId)[0]?.detail).toMatchObject({ cause: 'crashed' });
    expect(about(events, DETAIL_TYPES.dataSaved, workspaceId)[0]?.detail).toMatchObject({
      taskArn: first.taskArn,
      sizeGiB: 20,
    });
  });

  it('keeps a file across a deprovision without erase and a new provision; erase then deletes it all', async () => {
    const workspaceId = uniqueId('keep-deprov');
    await provision(workspaceId, `p1-${workspaceId}`, { persistent: true });
    const first = await nthRunning(local, workspaceId, 1);
    await writeData(first.url, 'repo/README.md', 'hello from the first life');

    await publish(local.events, DETAIL_TYPES.deprovisionRequested, {
      requestId: `d1-${workspaceId}`,
      workspaceId,
    });
    await waitForEvents(
      local.stack.url,
      both(hasAll(workspaceId, DETAIL_TYPES.deprovisioned), atLeast(workspaceId, DETAIL_TYPES.dataSaved, 1)),
    );
    await provision(workspaceId, `p2-${workspaceId}`, { persistent: true });
    const second = await nthRunning(local, workspaceId, 2);
    expect(await dataFiles(second.url)).toEqual([
      { path: 'repo/README.md', sha256: sha256('hello from the first life') },
    ]);

    await publish(local.events, DETAIL_TYPES.deprovisionRequested, {
      requestId: `d2-${workspaceId}`,
      workspaceId,
      erase: true,
    });
    const erasedEvents = await waitForEvents(
      local.stack.url,
      hasAll(workspaceId, DETAIL_TYPES.dataErased),
      40_000,
    );
    const erased = detailOf<{ snapshotIds: string[]; requestId: string }>(
      about(erasedEvents, DETAIL_TYPES.dataErased, workspaceId)[0],
    );
    expect(erased.requestId).toBe(`d2-${workspaceId}`);
    const savedIds = about(erasedEvents, DETAIL_TYPES.dataSaved, workspaceId).map(
      (event) => detailOf<{ snapshotId: string }>(event).snapshotId,
    );
    expect(erased.snapshotIds).toEqual(expect.arrayContaining(savedIds));
    expect(erased.snapshotIds.length).toBeGreaterThan(0);

    await provision(workspaceId, `p3-${workspaceId}`, { persistent: true });
    const third = await nthRunning(local, workspaceId, 3);
    expect(await dataFiles(third.url)).toEqual([]);
    const events = await waitForEvents(local.stack.url, atLeast(workspaceId, DETAIL_TYPES.taskLaunched, 3));
    expect(
      detailOf<{ storage: Record<string, unknown> }>(about(events, DETAIL_TYPES.taskLaunched, workspaceId)[2])
        .storage,
    ).not.toHaveProperty('restoredFrom');
  });

  it('keeps nothing of an ephemeral workspace', async () => {
    const workspaceId = uniqueId('ephemeral');
    await provision(workspaceId, `p-${workspaceId}`);
    const first = await nthRunning(local, workspaceId, 1);
    await writeData(first.url, 'scratch.txt', 'gone with the task');
    expect(await dataFiles(first.url)).toEqual([
      { path: 'scratch.txt', sha256: sha256('gone with the task') },
    ]);

    await publish(local.events, DETAIL_TYPES.restartRequested, {
      requestId: `r-${workspaceId}`,
      workspaceId,
    });
    const second = await nthRunning(local, workspaceId, 2);
    expect(await dataFiles(second.url)).toEqual([]);
    const events = await waitForEvents(local.stack.url, atLeast(workspaceId, DETAIL_TYPES.stopped, 1));
    expect(about(events, DETAIL_TYPES.dataSaved, workspaceId)).toEqual([]);
    expect(
      detailOf<Record<string, unknown>>(about(events, DETAIL_TYPES.taskLaunched, workspaceId)[1]),
    ).not.toHaveProperty('storage');
  });
});

describe('a data save whose events were lost, resumed by the sweep (local stack, process driver)', () => {
  let local: TestStack;

  beforeAll(async () => {
    local = await startTestStack({
      driver: 'process',
      // Every lifecycle invocation fails: the task's STOPPED (DataTaskStopped) and EBS's snapshot
      // notification never get through, as when both are dead-lettered on AWS.
      faults: { functionErrors: ['lifecycle'] },
      sweepIntervalMs: 1_000,
      reconcileGraceSeconds: 3,
      dataSaveWaitSeconds: 30,
    });
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('snapshots the volume a deprovision left, finishes the save, and the next provision restores it', async () => {
    const workspaceId = uniqueId('resumed-save');
    const provision = (requestId: string) =>
      publishProvision(local.events, {
        requestId,
        workspaceId,
        orgId: 'org-data',
        runtime: 'codex',
        storage: { persistent: true },
      });
    await provision(`p1-${workspaceId}`);
    const first = await nthRunning(local, workspaceId, 1);
    await writeData(first.url, 'kept.txt', 'saved by the sweep');

    await publish(local.events, DETAIL_TYPES.deprovisionRequested, {
      requestId: `d-${workspaceId}`,
      workspaceId,
    });
    // Only the sweep can say it: the lifecycle function fails every time.
    const events = await waitForEvents(
      local.stack.url,
      both(hasAll(workspaceId, DETAIL_TYPES.deprovisioned), atLeast(workspaceId, DETAIL_TYPES.dataSaved, 1)),
      40_000,
    );
    const saved = detailOf<{ snapshotId: string; taskArn: string }>(
      about(events, DETAIL_TYPES.dataSaved, workspaceId)[0],
    );
    expect(saved.taskArn).toBe(first.taskArn);

    await provision(`p2-${workspaceId}`);
    const second = await nthRunning(local, workspaceId, 2);
    expect(await dataFiles(second.url)).toEqual([{ path: 'kept.txt', sha256: sha256('saved by the sweep') }]);
    const launched = about(
      await waitForEvents(local.stack.url, atLeast(workspaceId, DETAIL_TYPES.taskLaunched, 2)),
      DETAIL_TYPES.taskLaunched,
      workspaceId,
    );
    expect(launched[1]?.detail).toMatchObject({ storage: { restoredFrom: saved.snapshotId } });
  }, 90_000);
});
