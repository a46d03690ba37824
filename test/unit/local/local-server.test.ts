import {
  ClusterNotFoundException,
  DescribeTasksCommand,
  ECSClient,
  ECSServiceException,
  ConflictException as EcsConflictException,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import {
  EventBridgeClient,
  InvalidEventPatternException,
  PutEventsCommand,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from 'vitest';
import { createEcsEmulator, type EcsEmulatorOptions } from '#local/ecs/index.ts';
import {
  createEventBridgeEmulator,
  createEventBus,
  type EventBridgeEmulatorOptions,
} from '#local/eventbridge/index.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';
import { createLocalServer, LocalServerError, TARGET_PREFIXES, type WireRequest } from '#local/wire/index.ts';
import { CODEX, NETWORK } from './helpers.ts';

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };

interface Stack {
  readonly url: string;
  readonly ecsClient: ECSClient;
  readonly eventBridgeClient: EventBridgeClient;
  ready: boolean;
}

describe('the local endpoint', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function start(
    options: { ecs?: Partial<EcsEmulatorOptions>; eventBridge?: Partial<EventBridgeEmulatorOptions> } = {},
  ): Promise<Stack> {
    const database = openDatabase(IN_MEMORY);
    const bus = createEventBus(database);
    const eventBridge = createEventBridgeEmulator({ bus, ...options.eventBridge });
    const ecs = createEcsEmulator({
      database,
      bus,
      driver: 'simulated',
      simulatedStepMs: 1,
      taskDefinitions: [CODEX],
      ...options.ecs,
    });
    const stack = { ready: true } as Stack;
    const server = await createLocalServer({ port: 0, eventBridge, ecs, bus, ready: () => stack.ready });
    // No SDK retries: each test sees the first answer.
    const config = { endpoint: server.url, region: 'us-east-1', credentials, maxAttempts: 1 };
    const ecsClient = new ECSClient(config);
    const eventBridgeClient = new EventBridgeClient(config);
    cleanups.unshift(async () => {
      ecsClient.destroy();
      eventBridgeClient.destroy();
      await server.close();
      await ecs.close();
      database.close();
    });
    return Object.assign(stack, { url: server.url, ecsClient, eventBridgeClient });
  }

  it('serves PutEvents to the EventBridge client and lists the events at /local/events', async () => {
    const { url, eventBridgeClient } = await start();

    const response = await eventBridgeClient.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'platform.workspace-server',
            DetailType: 'Workspace Provision Requested',
            Detail: '{"n":1}',
            EventBusName: 'workspaces',
          },
          {
            Source: 'platform.workspace-server',
            DetailType: 'Other',
            Detail: '{"n":2}',
            EventBusName: 'workspaces',
            Time: new Date('2026-01-01T00:00:00Z'),
          },
          { Source: 'platform.workspace-server', DetailType: 'Other' },
        ],
      }),
    );

    expect(response.FailedEntryCount).toBe(1);
    expect(response.Entries?.[2]?.ErrorCode).toBe('InvalidArgument');
    const all = (await (await fetch(`${url}/local/events`)).json()) as {
      events: Array<Record<string, unknown>>;
    };
    expect(all.events.map((event) => event.id)).toEqual([
      response.Entries?.[0]?.EventId,
      response.Entries?.[1]?.EventId,
    ]);
    expect(all.events[1]).toMatchObject({ time: '2026-01-01T00:00:00Z', detail: { n: 2 } });
    const filtered = (await (await fetch(`${url}/local/events?detail-type=Other`)).json()) as {
      events: unknown[];
    };
    expect(filtered.events).toHaveLength(1);
    const paged = (await (await fetch(`${url}/local/events?after=1`)).json()) as {
      events: unknown[];
      lastSeq: number;
    };
    expect(paged).toMatchObject({ events: [{ 'detail-type': 'Other' }], lastSeq: 2 });
  });

  it('answers TestEventPattern, and an invalid pattern with the modelled exception', async () => {
    const { eventBridgeClient } = await start();
    const event = JSON.stringify({
      id: '1',
      account: '000000000000',
      source: 'aws.ecs',
      time: '2026-01-01T00:00:00Z',
      region: 'us-east-1',
      'detail-type': 'ECS Task State Change',
      detail: {},
    });

    const result = await eventBridgeClient.send(
      new TestEventPatternCommand({ EventPattern: '{"source":["aws.ecs"]}', Event: event }),
    );
    const error = await eventBridgeClient
      .send(new TestEventPatternCommand({ EventPattern: '{"source":"aws.ecs"}', Event: event }))
      .catch((caught: unknown) => caught);

    expect(result.Result).toBe(true);
    expect(error).toBeInstanceOf(InvalidEventPatternException);
    expect((error as Error).message).toMatch(/^Event pattern is not valid\. Reason: /);
  });

  it('serves RunTask, ListTasks, DescribeTasks and StopTask to the ECS client', async () => {
    const { ecsClient } = await start();

    const run = await ecsClient.send(
      new RunTaskCommand({
        cluster: 'workspaces',
        taskDefinition: 'workspace-codex',
        launchType: 'FARGATE',
        startedBy: 'ws-1',
        networkConfiguration: NETWORK,
        tags: [{ key: 'workspace-id', value: 'ws-1' }],
      }),
    );
    const taskArn = run.tasks?.[0]?.taskArn as string;
    expect(run.failures).toEqual([]);
    expect(run.tasks?.[0]?.createdAt).toBeInstanceOf(Date);

    const listed = await ecsClient.send(new ListTasksCommand({ cluster: 'workspaces', startedBy: 'ws-1' }));
    expect(listed.taskArns).toEqual([taskArn]);

    const described = await ecsClient.send(
      new DescribeTasksCommand({
        cluster: 'workspaces',
        tasks: [taskArn, 'missing-task'],
        include: ['TAGS'],
      }),
    );
    expect(described.tasks?.[0]?.tags).toEqual([{ key: 'workspace-id', value: 'ws-1' }]);
    expect(described.failures).toEqual([{ arn: 'missing-task', reason: 'MISSING' }]);

    const stopped = await ecsClient.send(
      new StopTaskCommand({ cluster: 'workspaces', task: taskArn, reason: 'bye' }),
    );
    expect(stopped.task).toMatchObject({
      desiredStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'bye',
    });
  });

  it('surfaces a clientToken conflict as ConflictException with resourceIds', async () => {
    const { ecsClient } = await start();
    const input = {
      cluster: 'workspaces',
      taskDefinition: 'workspace-codex',
      networkConfiguration: NETWORK,
      clientToken: 'token-1',
    };
    const first = await ecsClient.send(new RunTaskCommand({ ...input, startedBy: 'ws-1' }));
    const retry = await ecsClient.send(new RunTaskCommand({ ...input, startedBy: 'ws-1' }));

    const error = await ecsClient
      .send(new RunTaskCommand({ ...input, startedBy: 'ws-2' }))
      .catch((caught: unknown) => caught);

    expect(retry.tasks?.[0]?.taskArn).toBe(first.tasks?.[0]?.taskArn);
    expect(error).toBeInstanceOf(EcsConflictException);
    expect((error as EcsConflictException).resourceIds).toEqual([first.tasks?.[0]?.taskArn]);
    expect((error as EcsConflictException).$metadata.httpStatusCode).toBe(400);
  });

  it('surfaces quota throttling as a ThrottlingException with HTTP 400, which the SDK retries', async () => {
    const { ecsClient, url } = await start({ ecs: { quota: { burst: 1, ratePerSecond: 0.001 } } });
    const input = { cluster: 'workspaces', taskDefinition: 'workspace-codex', networkConfiguration: NETWORK };
    await ecsClient.send(new RunTaskCommand(input));

    const error = (await ecsClient
      .send(new RunTaskCommand(input))
      .catch((caught: unknown) => caught)) as ECSServiceException;

    // The ECS model has no ThrottlingException shape, so the SDK raises its service exception by name.
    expect(error).toBeInstanceOf(ECSServiceException);
    expect(error.name).toBe('ThrottlingException');
    expect(error.message).toBe('Rate exceeded');
    expect(error.$metadata.httpStatusCode).toBe(400);
    const retrying = new ECSClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 2 });
    const retried = (await retrying
      .send(new RunTaskCommand(input))
      .catch((caught: unknown) => caught)) as ECSServiceException;
    retrying.destroy();
    expect(retried.$metadata.attempts).toBe(2);
  });

  it('surfaces the modelled ECS exceptions', async () => {
    const { ecsClient } = await start();

    const error = await ecsClient
      .send(new ListTasksCommand({ cluster: 'nowhere' }))
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ClusterNotFoundException);
  });

  it('answers an unknown target with UnknownOperationException and a body that is not JSON with SerializationException', async () => {
    const { url } = await start();
    const post = (target: string, body: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1' },
        body,
      });

    const unknown = await post(`${TARGET_PREFIXES.ecs}.CreateCluster`, '{}');
    const malformed = await post(`${TARGET_PREFIXES.events}.PutEvents`, '{"Entries": [');

    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(unknown.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ __type: 'SerializationException' });
  });

  it('answers health with 503 until ready, then 200', async () => {
    const stack = await start();
    stack.ready = false;

    const starting = await fetch(`${stack.url}/local/health`);
    stack.ready = true;
    const ready = await fetch(`${stack.url}/local/health`);

    expect(starting.status).toBe(503);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok' });
  });

  it('refuses to bind anything but loopback', async () => {
    const database = openDatabase(IN_MEMORY);
    cleanups.push(() => database.close());
    const bus = createEventBus(database);
    const ecs = createEcsEmulator({ database, bus, driver: 'simulated', taskDefinitions: [CODEX] });
    cleanups.unshift(() => ecs.close());

    await expect(
      createLocalServer({
        host: '0.0.0.0',
        port: 0,
        bus,
        ecs,
        eventBridge: createEventBridgeEmulator({ bus }),
        ready: () => true,
      }),
    ).rejects.toThrow(LocalServerError);
  });

  it('hands a request a route claims to that route, with its body, and writes its answer as it is', async () => {
    const database = openDatabase(IN_MEMORY);
    cleanups.push(() => database.close());
    const bus = createEventBus(database);
    const ecs = createEcsEmulator({ database, bus, driver: 'simulated', taskDefinitions: [CODEX] });
    cleanups.unshift(() => ecs.close());
    const seen: WireRequest[] = [];
    const server = await createLocalServer({
      port: 0,
      bus,
      ecs,
      eventBridge: createEventBridgeEmulator({ bus }),
      ready: () => true,
      routes: [
        {
          matches: (request) => request.method === 'POST' && request.url.pathname.startsWith('/2015-03-31/'),
          answer(request) {
            seen.push(request);
            return { status: 202, headers: { 'x-custom': 'yes' }, body: '' };
          },
        },
        {
          matches: (request) => request.target?.startsWith('AmazonSQS.') === true,
          answer: () => {
            throw new Error('route broke');
          },
        },
      ],
    });
    cleanups.unshift(() => server.close());

    const routed = await fetch(`${server.url}/2015-03-31/functions/f/invocations?Qualifier=x`, {
      method: 'POST',
      headers: { 'x-amz-invocation-type': 'Event' },
      body: '{"a":1}',
    });
    expect(routed.status).toBe(202);
    expect(routed.headers.get('x-custom')).toBe('yes');
    expect(routed.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen[0]?.body.toString()).toBe('{"a":1}');
    expect(seen[0]?.headers['x-amz-invocation-type']).toBe('Event');
    expect(seen[0]?.url.searchParams.get('Qualifier')).toBe('x');

    const broken = await fetch(`${server.url}/`, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSQS.ListQueues' },
      body: '{}',
    });
    expect(broken.status).toBe(500);

    // Unclaimed requests keep their old answers.
    expect((await fetch(`${server.url}/2015-03-31/functions/f/invocations`)).status).toBe(404);
    const unknown = await fetch(`${server.url}/`, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSEvents.Nope' },
      body: '{}',
    });
    expect(((await unknown.json()) as { __type: string }).__type).toBe('UnknownOperationException');
  });
});
