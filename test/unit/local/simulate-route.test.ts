import { afterEach, describe, expect, it } from 'vitest';
import { EcsTaskStateChangeDetail } from '#contracts/ecs.ts';
import { stopCauseOf } from '#core/stop-cause.ts';
import { createEventBridgeEmulator } from '#local/eventbridge/index.ts';
import { HEALTH_EVENT_PATH, healthTime, simulateRoute, TASK_RETIREMENT_PATH } from '#local/simulate/index.ts';
import { createLocalServer, type WireAnswer } from '#local/wire/index.ts';
import { type EcsHarness, ecsHarness, runTaskRequest, waitFor } from './helpers.ts';

/**
 * AWS: "The stoppedReason containing a `ECS is performing maintenance on the underlying infrastructure
 * hosting the task` message indicates that the task was stopped due to a task maintenance issue"
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-maintenance.html). The page
 * names no stop code; the emulator uses ServiceSchedulerInitiated, ECS's own stop code (see
 * FARGATE_MAINTENANCE_STOP_CODE).
 */
const MAINTENANCE_REASON = 'ECS is performing maintenance on the underlying infrastructure hosting the task';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const NOW = Date.UTC(2026, 11, 1, 6, 27, 57);

describe('the /local/simulate/ routes', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  function open(): { harness: EcsHarness; post: (path: string, body: unknown) => WireAnswer } {
    const harness = ecsHarness({ eventBusName: 'default' });
    cleanups.unshift(() => harness.close());
    const route = simulateRoute({
      ecs: harness.ecs,
      bus: harness.bus,
      eventBusName: 'default',
      region: REGION,
      account: ACCOUNT,
      clock: { now: () => NOW },
    });
    const post = (path: string, body: unknown, method = 'POST') =>
      route.answer({
        method,
        url: new URL(path, 'http://local'),
        rawPath: path,
        target: undefined,
        headers: {},
        body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      });
    return { harness, post };
  }

  const bodyOf = (answer: WireAnswer): Record<string, unknown> =>
    JSON.parse(answer.body.toString()) as Record<string, unknown>;

  async function runningTask(harness: EcsHarness): Promise<string> {
    const taskArn = harness.ecs.runTask(runTaskRequest({ startedBy: 'ws-1' })).tasks[0]?.taskArn as string;
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');
    return taskArn;
  }

  describe('POST /local/simulate/task-retirement', () => {
    it("stops the task as Fargate's retirement does, which the provisioner reads as infrastructure", async () => {
      const { harness, post } = open();
      const taskArn = await runningTask(harness);

      const answer = post(TASK_RETIREMENT_PATH, { taskArn });

      expect(answer.status).toBe(202);
      expect(bodyOf(answer)).toEqual({
        taskArn,
        desiredStatus: 'STOPPED',
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: MAINTENANCE_REASON,
      });
      await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');
      const stopped = harness.stateChanges(taskArn).at(-1);
      expect(stopped).toMatchObject({
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: MAINTENANCE_REASON,
      });
      expect(stopCauseOf(EcsTaskStateChangeDetail.parse(stopped))).toBe('infrastructure');
    });

    it('takes the task id as well as its ARN', async () => {
      const { harness, post } = open();
      const taskArn = await runningTask(harness);

      expect(
        post(TASK_RETIREMENT_PATH, { taskArn: taskArn.slice(taskArn.lastIndexOf('/') + 1) }).status,
      ).toBe(202);
    });

    it('answers 404 for a task ECS does not know', () => {
      const { post } = open();
      const answer = post(TASK_RETIREMENT_PATH, {
        taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/0123456789abcdef0123456789abcdef',
      });

      expect(answer.status).toBe(404);
      expect(bodyOf(answer).message).toMatch(/No task/);
    });

    it('answers 409 for a task already stopped, and for one already stopping', async () => {
      const { harness, post } = open();
      const taskArn = await runningTask(harness);
      expect(post(TASK_RETIREMENT_PATH, { taskArn }).status).toBe(202);

      const stopping = post(TASK_RETIREMENT_PATH, { taskArn });
      await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');
      const stopped = post(TASK_RETIREMENT_PATH, { taskArn });

      // The simulated driver may have stopped it between the two calls; either way it is a conflict.
      expect(stopping.status).toBe(409);
      expect(stopped.status).toBe(409);
      expect(bodyOf(stopped)).toMatchObject({ taskArn, lastStatus: 'STOPPED' });
      expect(bodyOf(stopped).message).toMatch(/already STOPPED/);
    });

    it.each<{ why: string; body: unknown; message: RegExp }>([
      { why: 'a body that is not JSON', body: 'retire it', message: /must be JSON/ },
      { why: 'a JSON array', body: [1], message: /must be a JSON object/ },
      { why: 'no taskArn', body: {}, message: /must name the task/ },
      { why: 'an empty taskArn', body: { taskArn: ' ' }, message: /must name the task/ },
      { why: 'a taskArn that is no string', body: { taskArn: 7 }, message: /must name the task/ },
    ])('answers 400 with a JSON error for $why', ({ body, message }) => {
      const { post } = open();
      const answer = post(TASK_RETIREMENT_PATH, body);

      expect(answer.status).toBe(400);
      expect(answer.headers['content-type']).toBe('application/json');
      expect(bodyOf(answer).message).toMatch(message);
    });
  });

  describe('POST /local/simulate/health-event', () => {
    const RETIRING = [
      'arn:aws:ecs:us-east-1:000000000000:task/workspaces/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      'arn:aws:ecs:us-east-1:000000000000:task/workspaces/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
    ];

    // The shape of "Reference: AWS Health events Amazon EventBridge schema"
    // (https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html).
    it('puts the event AWS Health would on the default bus, and answers its id', () => {
      const { harness, post } = open();

      const answer = post(HEALTH_EVENT_PATH, {
        eventTypeCode: 'AWS_ECS_TASK_PATCHING_RETIREMENT',
        taskArns: RETIRING,
      });

      expect(answer.status).toBe(200);
      const events = harness.bus.list({ detailType: 'AWS Health Event' });
      expect(events).toHaveLength(1);
      const [event] = events;
      expect(bodyOf(answer)).toEqual({ eventId: event?.envelope.id, eventBusName: 'default' });
      expect(event?.bus).toBe('default');
      expect(event?.envelope).toMatchObject({
        version: '0',
        source: 'aws.health',
        'detail-type': 'AWS Health Event',
        account: ACCOUNT,
        region: REGION,
        time: '2026-12-01T06:27:57Z',
        resources: RETIRING,
        detail: {
          service: 'ECS',
          eventTypeCode: 'AWS_ECS_TASK_PATCHING_RETIREMENT',
          eventTypeCategory: 'scheduledChange',
          eventScopeCode: 'ACCOUNT_SPECIFIC',
          statusCode: 'upcoming',
          eventRegion: REGION,
          affectedAccount: ACCOUNT,
          lastUpdatedTime: 'Tue, 1 Dec 2026 06:27:57 GMT',
          affectedEntities: RETIRING.map((entityValue) => ({
            entityValue,
            lastUpdatedTime: 'Tue, 1 Dec 2026 06:27:57 GMT',
          })),
        },
      });
      const detail = event?.envelope.detail as Record<string, string>;
      // arn:aws:health:event-region::event/SERVICE/EVENT_TYPE_CODE/EVENT_TYPE_PLUS_ID (API_AffectedEntity.html).
      expect(detail.eventArn).toMatch(
        /^arn:aws:health:us-east-1::event\/ECS\/AWS_ECS_TASK_PATCHING_RETIREMENT\/AWS_ECS_TASK_PATCHING_RETIREMENT_[\w-]+$/,
      );
      // Fargate's default retirement wait is 7 days (prepare-task-retirement.html).
      expect(Date.parse(detail.startTime as string) - NOW).toBe(7 * 24 * 60 * 60 * 1000);
      expect(Date.parse(detail.endTime as string)).toBeGreaterThan(Date.parse(detail.startTime as string));
    });

    it('writes the detail times as the schema samples do', () => {
      expect(healthTime(Date.UTC(2022, 5, 3, 6, 27, 57))).toBe('Fri, 3 Jun 2022 06:27:57 GMT');
      expect(healthTime(Date.UTC(2022, 5, 13, 6, 27, 57))).toBe('Mon, 13 Jun 2022 06:27:57 GMT');
    });

    it.each<{ why: string; body: unknown; problems: RegExp[] }>([
      { why: 'no event type code', body: { taskArns: ['t'] }, problems: [/eventTypeCode must be/] },
      {
        why: 'a lower-case event type code',
        body: { eventTypeCode: 'aws_ecs', taskArns: ['t'] },
        problems: [/A-Z, 0-9 and _/],
      },
      {
        why: 'an empty event type code',
        body: { eventTypeCode: '', taskArns: ['t'] },
        problems: [/eventTypeCode/],
      },
      {
        why: 'no task ARNs',
        body: { eventTypeCode: 'AWS_ECS_TASK_PATCHING_RETIREMENT', taskArns: [] },
        problems: [/taskArns must be a list of 1 to 100/],
      },
      {
        why: 'more than 100 task ARNs',
        body: { eventTypeCode: 'X', taskArns: Array.from({ length: 101 }, (_, index) => `t-${index}`) },
        problems: [/1 to 100/],
      },
      {
        why: 'a task ARN that is no string',
        body: { eventTypeCode: 'X', taskArns: ['t', 7, ''] },
        problems: [/taskArns\[1\] must be a non-empty string/, /taskArns\[2\]/],
      },
      {
        why: 'taskArns given as one string',
        body: { eventTypeCode: 'X', taskArns: 't' },
        problems: [/a list/],
      },
      { why: 'both fields wrong', body: {}, problems: [/eventTypeCode/, /taskArns/] },
    ])('answers 400 listing what is wrong for $why, and puts nothing on the bus', ({ body, problems }) => {
      const { harness, post } = open();
      const answer = post(HEALTH_EVENT_PATH, body);

      expect(answer.status).toBe(400);
      const answered = bodyOf(answer) as { message: string; problems: string[] };
      expect(answered.message).toMatch(/not valid/);
      expect(answered.problems).toHaveLength(problems.length);
      problems.forEach((problem, index) => {
        expect(answered.problems[index]).toMatch(problem);
      });
      expect(harness.bus.list({ detailType: 'AWS Health Event' })).toEqual([]);
    });
  });

  it('answers 405 for another method and 404 for another simulation', () => {
    const { post } = open();
    const route = (path: string, method: string) =>
      (post as (path: string, body: unknown, method?: string) => WireAnswer)(path, '', method);

    expect(route(TASK_RETIREMENT_PATH, 'GET').status).toBe(405);
    expect(route('/local/simulate/earthquake', 'POST').status).toBe(404);
  });

  it('is served by the endpoint, beside the AWS JSON operations', async () => {
    const { harness } = open();
    const eventBridge = createEventBridgeEmulator({ bus: harness.bus });
    const server = await createLocalServer({
      port: 0,
      eventBridge,
      ecs: harness.ecs,
      bus: harness.bus,
      ready: () => true,
      routes: [
        simulateRoute({
          ecs: harness.ecs,
          bus: harness.bus,
          eventBusName: 'default',
          region: REGION,
          account: ACCOUNT,
        }),
      ],
    });
    cleanups.unshift(() => server.close());
    const taskArn = await runningTask(harness);

    const retired = await fetch(`${server.url}${TASK_RETIREMENT_PATH}`, {
      method: 'POST',
      body: JSON.stringify({ taskArn }),
    });
    const notice = await fetch(`${server.url}${HEALTH_EVENT_PATH}`, {
      method: 'POST',
      body: JSON.stringify({ eventTypeCode: 'AWS_ECS_TASK_PATCHING_RETIREMENT', taskArns: [taskArn] }),
    });

    expect(retired.status).toBe(202);
    expect(notice.status).toBe(200);
    expect(((await notice.json()) as { eventId: string }).eventId).toBe(
      harness.bus.list({ detailType: 'AWS Health Event' })[0]?.envelope.id,
    );
  });
});
