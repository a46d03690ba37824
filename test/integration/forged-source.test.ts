import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_EVENT_BUS_NAME,
  DEFAULT_PROVISIONER_SOURCE,
  DEFAULT_REQUEST_SOURCE,
  DETAIL_TYPES,
} from '#contracts/names.ts';
import { waitForEvents } from '#local/stack.ts';
import {
  about,
  hasAll,
  provisionRequest,
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

describe("the provisioner's source, reserved to the stack's own functions (the bus policy)", () => {
  it('refuses a forged Task Launched from an outside client per entry, and the rest of the batch goes on', async () => {
    const forgedWorkspace = uniqueId('forged');
    const realWorkspace = uniqueId('real');
    const forged = {
      requestId: `${forgedWorkspace}-req`,
      workspaceId: forgedWorkspace,
      orgId: 'org-1',
      runtime: 'claude-code',
      kind: 'platform',
      tier: 2,
      image: 'ghcr.io/molecule-ai/workspace-template-claude-code:latest',
      taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/0123456789abcdef0123456789abcdef',
      clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/workspaces',
      cpu: 512,
      memory: 1024,
    };

    const answer = await local.events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: DEFAULT_EVENT_BUS_NAME,
            Source: DEFAULT_PROVISIONER_SOURCE,
            DetailType: DETAIL_TYPES.taskLaunched,
            Detail: JSON.stringify(forged),
          },
          {
            EventBusName: DEFAULT_EVENT_BUS_NAME,
            Source: DEFAULT_REQUEST_SOURCE,
            DetailType: DETAIL_TYPES.provisionRequested,
            Detail: JSON.stringify(provisionRequest(realWorkspace, { kind: 'platform' })),
          },
        ],
      }),
    );

    expect(answer.FailedEntryCount).toBe(1);
    expect(answer.Entries?.[0]).toEqual({
      ErrorCode: 'AccessDeniedException',
      ErrorMessage: expect.stringContaining('explicit deny in a resource-based policy'),
    });
    expect(answer.Entries?.[1]?.EventId).toEqual(expect.any(String));

    // The stack's own functions still speak as the provisioner: the real request runs its course.
    const events = await waitForEvents(
      local.stack.url,
      hasAll(realWorkspace, DETAIL_TYPES.running, DETAIL_TYPES.configOverlayApplied),
      20_000,
    );
    expect(about(events, DETAIL_TYPES.configOverlayApplied, realWorkspace)).toHaveLength(1);
    await settled(local.stack);

    // The forgery reached nobody: no event about its workspace, no overlay, no plugin install, no task.
    const log = local.stack.bus.list().map((event) => event.envelope);
    expect(
      log
        .filter((event) => JSON.stringify(event.detail).includes(forgedWorkspace))
        .map((event) => event['detail-type']),
    ).toEqual([]);
    expect(await tasksOf(local.ecs, forgedWorkspace)).toEqual([]);
  });
});
