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

const rejectedErrors = async (workspaceId: string) => {
  const events = await waitForEvents(local.stack.url, hasAll(workspaceId, DETAIL_TYPES.provisionRejected));
  const [rejected] = about(events, DETAIL_TYPES.provisionRejected, workspaceId);
  return ((rejected?.detail as { errors?: Array<{ path: string }> } | undefined)?.errors ?? []).map(
    (error) => error.path,
  );
};

describe('a provision request that breaks the contract', () => {
  it('rejects an unknown runtime and launches nothing', async () => {
    const workspaceId = uniqueId('cobol');
    await publishProvision(local.events, provisionRequest(workspaceId, { runtime: 'cobol' }));
    expect(await rejectedErrors(workspaceId)).toEqual(['runtime']);
    await settled(local.stack);
    expect(await tasksOf(local.ecs, workspaceId)).toEqual([]);
  });

  it.each([
    ['an unknown field', { colour: 'blue' }, 'colour'],
    ['a tier out of range', { tier: 9 }, 'tier'],
    ['a reserved env name', { env: { AWS_REGION: 'x' } }, 'env'],
    ['a missing orgId', { orgId: undefined }, 'orgId'],
    ['an unknown kind', { kind: 'admin' }, 'kind'],
  ])('rejects %s and launches nothing', async (_name, overrides, path) => {
    const workspaceId = uniqueId('bad');
    await publishProvision(local.events, provisionRequest(workspaceId, overrides));
    const paths = await rejectedErrors(workspaceId);
    expect(paths.some((candidate) => candidate === path || candidate.startsWith(`${path}.`))).toBe(true);
    await settled(local.stack);
    expect(await tasksOf(local.ecs, workspaceId)).toEqual([]);
    expect(
      about(
        local.stack.bus.list().map((event) => event.envelope),
        DETAIL_TYPES.taskLaunched,
        workspaceId,
      ),
    ).toEqual([]);
  });
});
