/**
 * The console's routes (issue 15) over an in-memory store: its files with their content types, CSP
 * and caching; the workspace list's filter and pages; a workspace's record and events; a request's
 * flow from the router's and the invoker's tables; the queues; and the form check, which answers
 * exactly what the CLI's code says.
 */
import { describe, expect, it } from 'vitest';
import { ContractViolationError } from '#local/cli/errors.ts';
import { provisionEntry } from '#local/cli/requests.ts';
import { CONTENT_SECURITY_POLICY, consoleRoutes } from '#local/console/index.ts';
import { createEventBus } from '#local/eventbridge/index.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import { InvocationStore } from '#local/lambda/invocation-store.ts';
import { SqliteWorkspaceRecordStore } from '#local/ports/workspace-record-store.ts';
import { DeliveryStore } from '#local/routing/delivery-store.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';
import type { WireAnswer } from '#local/wire/index.ts';
import { DEAD_LETTER_QUEUES } from '#wiring/dead-letter-queues.ts';
import { RECORDED_AT, workspaceRecord } from '../../fixtures/workspace-records.ts';

const URL_BASE = 'http://127.0.0.1:4010';

function envelope(
  detailType: string,
  detail: Record<string, unknown>,
  source = 'platform.provisioner',
): EventEnvelope {
  return {
    version: '0',
    id: `${detailType}-${JSON.stringify(detail)}`,
    'detail-type': detailType,
    source,
    account: '000000000000',
    time: '2026-12-01T09:30:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

function setUp() {
  const database = openDatabase(IN_MEMORY);
  const bus = createEventBus(database);
  const records = new SqliteWorkspaceRecordStore(database);
  const deliveries = new DeliveryStore(database);
  const invocations = new InvocationStore(database);
  const routes = consoleRoutes({ database, url: URL_BASE, account: '000000000000' });
  function request(method: string, path: string, body = ''): WireAnswer {
    const url = new URL(path, URL_BASE);
    const routeRequest = { method, url, rawPath: url.pathname, target: undefined };
    const route = routes.find((candidate) => candidate.matches(routeRequest));
    if (!route) throw new Error(`no console route for ${method} ${path}`);
    return route.answer({ ...routeRequest, headers: {}, body: Buffer.from(body) });
  }
  const json = (answer: WireAnswer) => JSON.parse(answer.body.toString()) as Record<string, unknown>;
  return { database, bus, records, deliveries, invocations, routes, request, json };
}

describe('the console routes', () => {
  it('serves its page and assets with their content types, a strict CSP and revalidation', () => {
    const { request } = setUp();
    const page = request('GET', '/console');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toMatch(/^default-src 'self'; script-src 'self';/);
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    // No inline script: every script is a file of its own.
    expect(page.body.toString()).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    const script = request('GET', '/console/assets/pages/workspaces.js');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(request('GET', '/console/assets/console.css').headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    const again = setUp().routes[0]?.answer({
      method: 'GET',
      url: new URL('/console/assets/pages/workspaces.js', URL_BASE),
      rawPath: '/console/assets/pages/workspaces.js',
      target: undefined,
      headers: { 'if-none-match': script.headers.etag },
      body: Buffer.alloc(0),
    });
    expect(again?.status).toBe(304);
    for (const path of [
      '/console/assets/../routes.ts',
      '/console/assets/%2e%2e/routes.ts',
      '/console/nope.js',
    ]) {
      expect(request('GET', path).status).toBe(404);
    }
  });

  it('pages and filters the workspace list, newest change first, and names the last seq', () => {
    const { records, bus, request, json } = setUp();
    for (let n = 0; n < 5; n++) {
      records.putNow(
        workspaceRecord(`ws-${n}`, {
          since: RECORDED_AT + n,
          ...(n === 3 ? { state: 'failed', kind: 'platform', runtime: 'claude-code' } : {}),
        }),
      );
    }
    bus.accept('workspaces', [envelope('Workspace Running', { workspaceId: 'ws-1' })]);
    const first = json(request('GET', '/local/workspaces?limit=2'));
    expect(first).toMatchObject({ total: 5, offset: 0, limit: 2, lastSeq: 1 });
    expect((first.workspaces as Array<{ workspaceId: string }>).map((row) => row.workspaceId)).toEqual([
      'ws-4',
      'ws-3',
    ]);
    expect((first.workspaces as unknown[])[1]).toEqual({
      workspaceId: 'ws-3',
      orgId: 'org-1',
      state: 'failed',
      kind: 'platform',
      runtime: 'claude-code',
      tier: 2,
      taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/task-ws-3',
      url: 'http://10.0.1.7:8080',
      since: RECORDED_AT + 3,
    });
    const second = json(request('GET', '/local/workspaces?limit=2&offset=4'));
    expect((second.workspaces as Array<{ workspaceId: string }>).map((row) => row.workspaceId)).toEqual([
      'ws-0',
    ]);
    const filtered = json(request('GET', '/local/workspaces?q=PLATFORM'));
    expect(filtered.total).toBe(1);
    expect(json(request('GET', '/local/workspaces?q=ws-')).total).toBe(5);
    expect(request('GET', '/local/workspaces?limit=-1').status).toBe(400);
    expect(request('GET', '/local/workspaces?limit=1001').status).toBe(400);
  });

  it("answers a workspace's record (404 without one) and its events in order, ECS's by startedBy", () => {
    const { records, bus, request, json } = setUp();
    records.putNow(workspaceRecord('ws-1'));
    bus.accept('workspaces', [
      envelope(
        'Workspace Provision Requested',
        { workspaceId: 'ws-1', requestId: 'r-1' },
        'platform.workspace-server',
      ),
      envelope(
        'Workspace Provision Requested',
        { workspaceId: 'ws-2', requestId: 'r-2' },
        'platform.workspace-server',
      ),
    ]);
    bus.accept('default', [
      envelope('ECS Task State Change', { startedBy: 'ws-1', taskArn: 't-1' }, 'aws.ecs'),
    ]);
    bus.accept('workspaces', [envelope('Workspace Running', { workspaceId: 'ws-1', taskArn: 't-1' })]);
    expect(json(request('GET', '/local/workspaces/ws-1')).workspace).toEqual(workspaceRecord('ws-1'));
    expect(request('GET', '/local/workspaces/ws-9').status).toBe(404);
    const events = json(request('GET', '/local/workspaces/ws-1/events'));
    expect((events.events as Array<{ seq: number }>).map((event) => event.seq)).toEqual([1, 3, 4]);
    expect(events.lastSeq).toBe(4);
    const after = json(request('GET', '/local/workspaces/ws-1/events?after=1&limit=1'));
    expect(
      (after.events as Array<{ seq: number; envelope: EventEnvelope }>).map(
        (event) => event.envelope['detail-type'],
      ),
    ).toEqual(['ECS Task State Change']);
    expect(after.lastSeq).toBe(3);
    expect(request('GET', '/local/workspaces/%E0%A4%A/events').status).toBe(400);
  });

  it("draws a request's flow: its events, the tasks' ECS changes, each rule's delivery and invocation", () => {
    const { bus, deliveries, invocations, request, json } = setUp();
    bus.accept('workspaces', [
      envelope(
        'Workspace Provision Requested',
        { workspaceId: 'ws-1', requestId: 'r-1' },
        'platform.workspace-server',
      ),
      envelope(
        'Workspace Provision Requested',
        { workspaceId: 'ws-2', requestId: 'r-2' },
        'platform.workspace-server',
      ),
      envelope('Workspace Task Launched', { workspaceId: 'ws-1', requestId: 'r-1', taskArn: 't-1' }),
    ]);
    bus.accept('default', [
      envelope('ECS Task State Change', { startedBy: 'ws-1', taskArn: 't-1' }, 'aws.ecs'),
    ]);
    const now = 1_000;
    deliveries.create({
      seq: 1,
      routeId: 'ProvisionRequested',
      target: 'provision',
      status: 'delivered',
      attempts: 1,
      nextAttemptAt: null,
      lastError: null,
      now,
    });
    deliveries.create({
      seq: 4,
      routeId: 'EcsTaskStateChange',
      target: 'task-state',
      status: 'delivered',
      attempts: 1,
      nextAttemptAt: null,
      lastError: null,
      now,
    });
    const provision = invocations.insert({
      functionName: 'provision',
      requestId: 'aws-1',
      origin: 'event:1:ProvisionRequested',
      payload: '{}',
      enqueuedAt: now,
      nextAttemptAt: now,
    });
    invocations.start(provision);
    invocations.succeed(provision, now + 250);
    const taskState = invocations.insert({
      functionName: 'task-state',
      requestId: 'aws-2',
      origin: 'event:4:EcsTaskStateChange',
      payload: '{}',
      enqueuedAt: now,
      nextAttemptAt: now,
    });
    invocations.start(taskState);
    invocations.fail(
      taskState,
      JSON.stringify({ errorType: 'Boom', errorMessage: 'it broke', trace: [] }),
      now + 40,
    );
    // A redrive's Lambda Invoke of the same request, and one of another request.
    const redriven = invocations.insert({
      functionName: 'provision',
      requestId: 'aws-3',
      origin: 'invoke:aws-3',
      payload: JSON.stringify(
        envelope('Workspace Provision Requested', { workspaceId: 'ws-1', requestId: 'r-1' }),
      ),
      enqueuedAt: now + 500,
      nextAttemptAt: now + 500,
    });
    invocations.insert({
      functionName: 'provision',
      requestId: 'aws-4',
      origin: 'invoke:aws-4',
      payload: JSON.stringify(
        envelope('Workspace Provision Requested', { workspaceId: 'ws-2', requestId: 'r-2' }),
      ),
      enqueuedAt: now + 500,
      nextAttemptAt: now + 500,
    });
    const flow = json(request('GET', '/local/invocations?requestId=r-1'));
    expect((flow.events as Array<{ seq: number }>).map((event) => event.seq)).toEqual([1, 3, 4]);
    expect(flow.deliveries).toEqual([
      {
        seq: 1,
        rule: 'ProvisionRequested',
        target: 'provision',
        status: 'delivered',
        attempts: 1,
        lastError: null,
      },
      {
        seq: 4,
        rule: 'EcsTaskStateChange',
        target: 'task-state',
        status: 'delivered',
        attempts: 1,
        lastError: null,
      },
    ]);
    expect(flow.invocations).toEqual([
      {
        id: provision,
        function: 'provision',
        awsRequestId: 'aws-1',
        seq: 1,
        rule: 'ProvisionRequested',
        outcome: 'succeeded',
        attempts: 1,
        enqueuedAt: now,
        finishedAt: now + 250,
        durationMs: 250,
        lastError: null,
      },
      {
        id: taskState,
        function: 'task-state',
        awsRequestId: 'aws-2',
        seq: 4,
        rule: 'EcsTaskStateChange',
        outcome: 'failed',
        attempts: 1,
        enqueuedAt: now,
        finishedAt: now + 40,
        durationMs: 40,
        lastError: 'Boom: it broke',
      },
      {
        id: redriven,
        function: 'provision',
        awsRequestId: 'aws-3',
        seq: null,
        rule: null,
        outcome: 'queued',
        attempts: 0,
        enqueuedAt: now + 500,
        finishedAt: null,
        durationMs: null,
        lastError: null,
      },
    ]);
    expect((json(request('GET', '/local/invocations?workspaceId=ws-2')).events as unknown[]).length).toBe(1);
    expect(request('GET', '/local/invocations').status).toBe(400);
    expect(request('GET', '/local/invocations?requestId=a&workspaceId=b').status).toBe(400);
  });

  it('lists every dead-letter queue with its URL and the function a redrive invokes', () => {
    const { request, json } = setUp();
    const { queues } = json(request('GET', '/local/dead-letter-queues')) as {
      queues: Array<Record<string, string>>;
    };
    expect(queues.map((queue) => queue.queueName)).toEqual(
      DEAD_LETTER_QUEUES.map((queue) => queue.queueName),
    );
    expect(queues[0]).toMatchObject({
      queueUrl: `${URL_BASE}/000000000000/${DEAD_LETTER_QUEUES[0]?.queueName}`,
      functionName: `WorkspaceProvisioner-${DEAD_LETTER_QUEUES[0]?.handledBy}`,
    });
  });

  it("checks a form with the CLI's code: the entry to send, or the CLI's message and each field's", () => {
    const { request, json } = setUp();
    const good = request(
      'POST',
      '/local/requests/check',
      JSON.stringify({
        command: 'provision',
        flags: { 'workspace-id': 'ws-1', 'org-id': 'org-1', runtime: 'codex', env: ['A=1'] },
      }),
    );
    expect(good.status).toBe(200);
    const { entry } = json(good) as { entry: { DetailType: string; Detail: string } };
    expect(entry.DetailType).toBe('Workspace Provision Requested');
    expect(JSON.parse(entry.Detail)).toMatchObject({
      workspaceId: 'ws-1',
      env: { A: '1' },
      kind: 'workspace',
    });

    const flags = { 'workspace-id': 'bad id', 'org-id': 'org-1', runtime: 'codex', tier: '9' };
    const bad = request('POST', '/local/requests/check', JSON.stringify({ command: 'provision', flags }));
    expect(bad.status).toBe(400);
    let cli: ContractViolationError | undefined;
    try {
      provisionEntry(flags);
    } catch (error) {
      cli = error as ContractViolationError;
    }
    expect(cli).toBeInstanceOf(ContractViolationError);
    expect(json(bad)).toEqual({ message: cli?.message, problems: cli?.problems });
    expect((cli?.problems ?? []).map((problem) => problem.flag)).toEqual(['--workspace-id', '--tier']);

    const erase = json(
      request(
        'POST',
        '/local/requests/check',
        JSON.stringify({ command: 'deprovision', flags: { 'workspace-id': 'ws-1', erase: true } }),
      ),
    );
    expect(JSON.parse((erase.entry as { Detail: string }).Detail)).toMatchObject({
      workspaceId: 'ws-1',
      erase: true,
    });
    // v1.3: the storage fields, as the CLI's --persistent and --size-gib.
    const persistent = json(
      request(
        'POST',
        '/local/requests/check',
        JSON.stringify({
          command: 'provision',
          flags: {
            'workspace-id': 'ws-1',
            'org-id': 'org-1',
            runtime: 'codex',
            persistent: true,
            'size-gib': '8',
          },
        }),
      ),
    );
    expect(JSON.parse((persistent.entry as { Detail: string }).Detail)).toMatchObject({
      storage: { persistent: true, sizeGiB: 8 },
    });
    const sizeAlone = json(
      request(
        'POST',
        '/local/requests/check',
        JSON.stringify({
          command: 'provision',
          flags: { 'workspace-id': 'ws-1', 'org-id': 'org-1', runtime: 'codex', 'size-gib': '8' },
        }),
      ),
    ) as { problems: Array<{ flag: string; message: string }> };
    expect(sizeAlone.problems).toEqual([
      expect.objectContaining({
        flag: '--persistent/--size-gib',
        message: 'storage.sizeGiB applies only to persistent storage ("persistent": true)',
      }),
    ]);
    const missing = request(
      'POST',
      '/local/requests/check',
      JSON.stringify({ command: 'provision', flags: {} }),
    );
    expect(json(missing)).toEqual({
      message: 'provision needs --workspace-id, --org-id, --runtime',
      problems: [],
    });
    expect(
      request('POST', '/local/requests/check', JSON.stringify({ command: 'status', flags: {} })).status,
    ).toBe(400);
    expect(
      request('POST', '/local/requests/check', JSON.stringify({ command: 'provision', flags: { tier: 3 } }))
        .status,
    ).toBe(400);
    expect(request('POST', '/local/requests/check', 'not json').status).toBe(400);
  });
});
