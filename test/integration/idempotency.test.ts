import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { waitForEvents } from '#local/stack.ts';
import {
  about,
  hasAll,
  provisionRequest,
  publishProvision,
  settled,
  startTestStack,
  type TestStack,
  tasksOf,
  uniqueId,
} from './helpers.ts';

let local: TestStack;

beforeAll(async () => {
  local = await startTestStack();
});
afterAll(async () => {
  await local?.stop();
});

describe('a duplicate requestId', () => {
  it('sent again after the first launched, gives one task', async () => {
    const workspaceId = uniqueId('dup-seq');
    const request = provisionRequest(workspaceId);
    await publishProvision(local.events, request);
    await waitForEvents(local.stack.url, hasAll(workspaceId, DETAIL_TYPES.running));
    await publishProvision(local.events, request);
    await settled(local.stack);

    expect(await tasksOf(local.ecs, workspaceId)).toHaveLength(1);
    const requests = about(
      local.stack.bus.list().map((event) => event.envelope),
      DETAIL_TYPES.provisionRequested,
      workspaceId,
    );
    expect(requests).toHaveLength(2);
  });

  it('sent concurrently, gives one task', async () => {
    const workspaceId = uniqueId('dup-par');
    const request = provisionRequest(workspaceId);
    await Promise.all(Array.from({ length: 5 }, () => publishProvision(local.events, request)));
    await waitForEvents(local.stack.url, hasAll(workspaceId, DETAIL_TYPES.running));
    await settled(local.stack);

    expect(await tasksOf(local.ecs, workspaceId)).toHaveLength(1);
    const envelopes = local.stack.bus.list().map((event) => event.envelope);
    expect(about(envelopes, DETAIL_TYPES.provisionFailed, workspaceId)).toEqual([]);
  });
});

describe('a requestId used again for a different request', () => {
  it('is rejected naming requestId, launching nothing; the first request stays a silent replay', async () => {
    const workspaceId = uniqueId('reused');
    const first = provisionRequest(workspaceId);
    await publishProvision(local.events, first);
    await waitForEvents(local.stack.url, hasAll(workspaceId, DETAIL_TYPES.running));

    await publishProvision(local.events, { ...first, tier: 4 });
    const events = await waitForEvents(
      local.stack.url,
      (log) => about(log, DETAIL_TYPES.provisionRejected, workspaceId).length === 1,
    );
    const [rejection] = about(events, DETAIL_TYPES.provisionRejected, workspaceId);
    expect(rejection?.detail).toMatchObject({
      requestId: first.requestId,
      errors: [
        { path: 'requestId', message: expect.stringContaining('already used for a different request') },
      ],
    });

    await publishProvision(local.events, first);
    await settled(local.stack);
    expect(await tasksOf(local.ecs, workspaceId)).toHaveLength(1);
    const log = local.stack.bus.list().map((event) => event.envelope);
    expect(about(log, DETAIL_TYPES.provisionRequested, workspaceId)).toHaveLength(3);
    expect(about(log, DETAIL_TYPES.taskLaunched, workspaceId)).toHaveLength(1);
    expect(about(log, DETAIL_TYPES.provisionRejected, workspaceId)).toHaveLength(1);
  });
});

describe('a second request for a live workspace', () => {
  it('launches no second task and reports the live one', async () => {
    const workspaceId = uniqueId('live');
    await publishProvision(
      local.events,
      provisionRequest(workspaceId, { requestId: `${workspaceId}-first` }),
    );
    await waitForEvents(local.stack.url, hasAll(workspaceId, DETAIL_TYPES.running));
    await publishProvision(
      local.events,
      provisionRequest(workspaceId, { requestId: `${workspaceId}-second` }),
    );
    const events = await waitForEvents(
      local.stack.url,
      (log) => about(log, DETAIL_TYPES.taskLaunched, workspaceId).length === 2,
    );
    await settled(local.stack);

    const tasks = await tasksOf(local.ecs, workspaceId);
    expect(tasks).toHaveLength(1);
    const [first, second] = about(events, DETAIL_TYPES.taskLaunched, workspaceId);
    expect(second?.detail).toMatchObject({
      requestId: `${workspaceId}-second`,
      taskArn: tasks[0]?.taskArn,
      alreadyRunning: true,
    });
    expect((first?.detail as { taskArn?: string } | undefined)?.taskArn).toBe(tasks[0]?.taskArn);
  });
});
