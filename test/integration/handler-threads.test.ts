import { afterEach, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { waitForEvents } from '#local/stack.ts';
import {
  about,
  hasAll,
  provisionRequest,
  publishProvision,
  startTestStack,
  type TestStack,
  tasksOf,
  uniqueId,
} from './helpers.ts';

let local: TestStack | undefined;
afterEach(async () => {
  await local?.stop();
  local = undefined;
});

describe.each([0, 1, 2])('with handlerThreads: %i', (handlerThreads) => {
  it('launches a workspace once, and a repeated request is an idempotent replay', async () => {
    local = await startTestStack({ handlerThreads });
    const workspaceId = uniqueId(`threads-${handlerThreads}`);
    const request = provisionRequest(workspaceId);
    await publishProvision(local.events, request);
    await waitForEvents(
      local.stack.url,
      hasAll(workspaceId, DETAIL_TYPES.taskLaunched, DETAIL_TYPES.configOverlayApplied),
      15_000,
    );
    await publishProvision(local.events, request);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const events = await waitForEvents(local.stack.url, () => true);
    expect(about(events, DETAIL_TYPES.taskLaunched, workspaceId)).toHaveLength(1);
    expect(await tasksOf(local.ecs, workspaceId)).toHaveLength(1);
    expect(local.stack.state().deliveries.dlq).toBe(0);
  });
});
