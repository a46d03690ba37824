/**
 * What can be made to happen to a workspace locally (issue 13), on a started stack with the real
 * SDK: the stand-in workspace's `POST /exit` ends in `Workspace Stopped` with cause `crashed` and its
 * exit code (the `process` driver); a simulated Fargate retirement ends in `Workspace Stopped` with
 * cause `infrastructure`; a simulated AWS Health notice is accepted on the default bus.
 */
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
  uniqueId,
} from './helpers.ts';

const post = (url: string, path: string, body: unknown) =>
  fetch(new URL(path, url), { method: 'POST', body: JSON.stringify(body) });

describe('the local stack simulations', () => {
  let test: TestStack | undefined;
  afterEach(async () => {
    await test?.stop();
    test = undefined;
  });

  it("ends a stand-in's POST /exit in Workspace Stopped, cause crashed, with its exit code", async () => {
    test = await startTestStack({ driver: 'process' });
    const workspaceId = uniqueId('ws-crash');
    await publishProvision(test.events, provisionRequest(workspaceId));
    const running = await waitForEvents(test.stack.url, hasAll(workspaceId, DETAIL_TYPES.running), 20_000);
    const [runningEvent] = about(running, DETAIL_TYPES.running, workspaceId);
    const { url, taskArn } = (runningEvent?.detail ?? {}) as { url?: string; taskArn?: string };

    const answer = await post(url as string, '/exit', { code: 3 });

    expect(answer.status).toBe(202);
    const events = await waitForEvents(test.stack.url, hasAll(workspaceId, DETAIL_TYPES.stopped), 20_000);
    expect(about(events, DETAIL_TYPES.stopped, workspaceId)[0]?.detail).toMatchObject({
      taskArn,
      cause: 'crashed',
      stopCode: 'EssentialContainerExited',
      exitCode: 3,
    });
  });

  it('retires a running task as Fargate does, which the provisioner reports as an infrastructure stop', async () => {
    test = await startTestStack();
    const workspaceId = uniqueId('ws-retire');
    await publishProvision(test.events, provisionRequest(workspaceId));
    const running = await waitForEvents(test.stack.url, hasAll(workspaceId, DETAIL_TYPES.running));
    const [runningEvent] = about(running, DETAIL_TYPES.running, workspaceId);
    const taskArn = (runningEvent?.detail as { taskArn?: string } | undefined)?.taskArn as string;

    const answer = await post(test.stack.url, '/local/simulate/task-retirement', { taskArn });

    expect(answer.status).toBe(202);
    const events = await waitForEvents(test.stack.url, hasAll(workspaceId, DETAIL_TYPES.stopped));
    expect(about(events, DETAIL_TYPES.stopped, workspaceId)[0]?.detail).toMatchObject({
      taskArn,
      cause: 'infrastructure',
      stopCode: 'ServiceSchedulerInitiated',
    });
    expect((await post(test.stack.url, '/local/simulate/task-retirement', { taskArn })).status).toBe(409);
  });

  it('puts an AWS Health retirement notice on the default bus, and says 404 for a task it does not know', async () => {
    test = await startTestStack();
    const taskArn = 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/0123456789abcdef0123456789abcdef';

    const answer = await post(test.stack.url, '/local/simulate/health-event', {
      eventTypeCode: 'AWS_ECS_TASK_PATCHING_RETIREMENT',
      taskArns: [taskArn],
    });
    const unknown = await post(test.stack.url, '/local/simulate/task-retirement', { taskArn });

    expect(answer.status).toBe(200);
    const { eventId } = (await answer.json()) as { eventId: string };
    const events = await waitForEvents(test.stack.url, (all) => all.some((event) => event.id === eventId));
    expect(events.find((event) => event.id === eventId)).toMatchObject({
      source: 'aws.health',
      'detail-type': 'AWS Health Event',
      detail: {
        eventTypeCode: 'AWS_ECS_TASK_PATCHING_RETIREMENT',
        affectedEntities: [{ entityValue: taskArn }],
      },
    });
    expect(test.stack.bus.list({ detailType: 'AWS Health Event' })[0]?.bus).toBe('default');
    expect(unknown.status).toBe(404);
  });
});
