import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { waitForEvents } from '#local/stack.ts';
import {
  about,
  hasAll,
  provisionRequest,
  publishProvision,
  readDatabase,
  startTestStack,
  type TestStack,
  tasksOf,
  uniqueId,
} from './helpers.ts';

let local: TestStack;

beforeAll(async () => {
  local = await startTestStack({
    faults: { capacityFailureRate: 1, seed: 1 },
    // Lambda's 1 min and 2 min retry gaps become 200 ms and 400 ms.
    retryDelayScale: 1 / 300,
    // Leave the handler almost no in-invocation retry time, so the platform's retries do the work.
    provisionRetry: { safetyMarginMs: 59_800 },
  });
});
afterAll(async () => {
  await local?.stop();
});

describe('a launch that keeps hitting no capacity', () => {
  it('is retried by the platform and then ends in Workspace Provision Failed', async () => {
    const workspaceId = uniqueId('full');
    await publishProvision(local.events, provisionRequest(workspaceId));
    const events = await waitForEvents(
      local.stack.url,
      hasAll(workspaceId, DETAIL_TYPES.provisionFailed),
      20_000,
    );

    const [failed] = about(events, DETAIL_TYPES.provisionFailed, workspaceId);
    expect(failed?.detail).toMatchObject({
      requestId: `req-${workspaceId}`,
      code: 'CAPACITY_UNAVAILABLE',
      retryable: true,
    });
    expect(about(events, DETAIL_TYPES.taskLaunched, workspaceId)).toEqual([]);
    expect(await tasksOf(local.ecs, workspaceId)).toEqual([]);

    const provision = await readDatabase(local.stack.databasePath, (db) => ({
      invocation: db
        .prepare(`SELECT status, attempts FROM invocations WHERE function = 'provision' AND payload LIKE ?`)
        .get(`%${workspaceId}%`),
      deadLetter: db
        .prepare(
          `SELECT condition, error_message FROM function_dead_letters WHERE function = 'provision' AND payload LIKE ?`,
        )
        .get(`%${workspaceId}%`),
    }));
    // One attempt and Lambda's two async retries, then the on-failure destination and the DLQ.
    expect(provision.invocation).toMatchObject({ status: 'failed', attempts: 3 });
    expect(provision.deadLetter).toMatchObject({ condition: 'RetriesExhausted' });
    expect(String((provision.deadLetter as { error_message: string }).error_message)).toMatch(
      /^CAPACITY_UNAVAILABLE/,
    );
  });
});
