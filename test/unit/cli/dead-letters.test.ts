import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  factsOf,
  formatAge,
  listDeadLetters,
  redriveDeadLetters,
  selectQueues,
} from '#local/cli/dead-letters.ts';
import { UsageError } from '#local/cli/errors.ts';
import { escapeControl, printableValue } from '#local/cli/printable.ts';

const NOW = 1_700_000_000_000;
const QUEUE = 'WorkspaceProvisioner-deprovision-dlq';
const URL = `http://127.0.0.1:4010/000000000000/${QUEUE}`;

const deprovisionEvent = (workspaceId: string) => ({
  version: '0',
  id: `e-${workspaceId}`,
  'detail-type': 'Workspace Deprovision Requested',
  source: 'platform.workspace-server',
  detail: { workspaceId, requestId: `r-${workspaceId}` },
});

const lambdaMessage = (id: string, body: unknown, ageMs = 90_000): Message => ({
  MessageId: id,
  ReceiptHandle: `rh-${id}`,
  Body: JSON.stringify(body),
  Attributes: { SentTimestamp: String(NOW - ageMs) },
  MessageAttributes: {
    RequestID: { DataType: 'String', StringValue: `req-${id}` },
    ErrorCode: { DataType: 'Number', StringValue: '200' },
    ErrorMessage: { DataType: 'String', StringValue: 'injected fault' },
  },
});

function setUp(messages: Message[]) {
  const sqs = new SQSClient({ region: 'us-east-1' });
  const lambda = new LambdaClient({ region: 'us-east-1' });
  const sqsMock = mockClient(sqs);
  const lambdaMock = mockClient(lambda);
  sqsMock
    .on(GetQueueUrlCommand)
    .rejects(new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: {} }));
  sqsMock.on(GetQueueUrlCommand, { QueueName: QUEUE }).resolves({ QueueUrl: URL });
  sqsMock
    .on(GetQueueAttributesCommand)
    .resolves({ Attributes: { ApproximateNumberOfMessages: String(messages.length) } });
  sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: messages }).resolves({});
  sqsMock.on(DeleteMessageCommand).resolves({});
  sqsMock.on(ChangeMessageVisibilityCommand).resolves({});
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 202 });
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (line: string) => out.push(line), stderr: (line: string) => err.push(line) };
  return { clients: { sqs, lambda }, sqsMock, lambdaMock, io, out, err };
}

describe('escapeControl', () => {
  it.each([
    ['plain text', 'plain text'],
    ['\u001b[2Jgone', '\\u001b[2Jgone'],
    ['two\nlines', 'two\\u000alines'],
    ['bell\u0007', 'bell\\u0007'],
    ['c1\u009b', 'c1\\u009b'],
    ['rtl\u202Eevil', 'rtl\\u202eevil'],
    ['isolate\u2066', 'isolate\\u2066'],
    ['sep\u2028', 'sep\\u2028'],
    ['ünïcode ✓', 'ünïcode ✓'],
  ])('prints %j as %j', (text, printed) => {
    expect(escapeControl(text)).toBe(printed);
  });

  it.each([
    ['ws-1', 'ws-1'],
    ['two words', '"two words"'],
    ['a"b', '"a\\"b"'],
    ['', '""'],
  ])('quotes the value %j as %s', (value, printed) => {
    expect(printableValue(value)).toBe(printed);
  });
});

describe('selectQueues', () => {
  it('takes every queue by default, a full name, or a short one', () => {
    expect(selectQueues(undefined).length).toBeGreaterThan(1);
    expect(selectQueues(QUEUE).map((queue) => queue.queueName)).toEqual([QUEUE]);
    expect(selectQueues('deprovision').map((queue) => queue.queueName)).toEqual([QUEUE]);
    expect(selectQueues('ProvisionRequested-target').map((queue) => queue.queueName)).toEqual([
      'WorkspaceProvisioner-ProvisionRequested-target-dlq',
    ]);
  });

  it('refuses a queue the stack does not have, naming the ones it has', () => {
    expect(() => selectQueues('nope')).toThrow(UsageError);
    expect(() => selectQueues('nope')).toThrow(/deprovision/);
  });
});

describe('factsOf', () => {
  it('reads a Lambda dead letter: the event, ErrorMessage and the age', () => {
    expect(factsOf(lambdaMessage('m1', deprovisionEvent('ws-1')), NOW)).toEqual({
      messageId: 'm1',
      detailType: 'Workspace Deprovision Requested',
      workspaceId: 'ws-1',
      error: 'injected fault',
      ageMs: 90_000,
    });
  });

  it('reads a rule-target dead letter: ERROR_CODE and ERROR_MESSAGE', () => {
    const message: Message = {
      MessageId: 'm2',
      Body: JSON.stringify(deprovisionEvent('ws-2')),
      MessageAttributes: {
        ERROR_CODE: { DataType: 'String', StringValue: 'NO_RESOURCE' },
        ERROR_MESSAGE: { DataType: 'String', StringValue: 'Function not found' },
      },
    };
    expect(factsOf(message, NOW)).toMatchObject({
      error: 'NO_RESOURCE: Function not found',
      workspaceId: 'ws-2',
    });
  });

  it("reads the event inside an on-failure record (the failure reporter's dead letters)", () => {
    const record = { version: '1.0', requestContext: {}, requestPayload: deprovisionEvent('ws-3') };
    expect(factsOf(lambdaMessage('m3', record), NOW)).toMatchObject({
      detailType: 'Workspace Deprovision Requested',
      workspaceId: 'ws-3',
    });
  });

  it('reads the workspace of an aws.ecs task state change from startedBy', () => {
    const event = {
      'detail-type': 'ECS Task State Change',
      source: 'aws.ecs',
      detail: { startedBy: 'ws-4' },
    };
    expect(factsOf(lambdaMessage('m4', event), NOW).workspaceId).toBe('ws-4');
  });

  it('copes with a body that is not JSON', () => {
    expect(factsOf({ MessageId: 'm5', Body: 'nope' }, NOW)).toEqual({ messageId: 'm5' });
  });
});

describe('formatAge', () => {
  it.each([
    [0, '0s'],
    [59_999, '59s'],
    [95_000, '1m35s'],
    [2 * 3_600_000 + 5 * 60_000, '2h5m'],
    [26 * 3_600_000, '1d2h'],
  ])('prints %i ms as %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});

describe('dead-letters list', () => {
  it('prints each message and a summary per queue, then gives the messages back', async () => {
    const { clients, io, out, sqsMock } = setUp([
      lambdaMessage('m1', deprovisionEvent('ws-1')),
      lambdaMessage('m2', deprovisionEvent('ws-2'), 7_200_000),
    ]);
    expect(await listDeadLetters(clients, io, { queue: 'deprovision', now: () => NOW })).toBe(0);
    expect(out).toEqual([
      `${QUEUE}: 2 message(s) for deprovision, oldest 2h0m`,
      '  m1 function=deprovision detail-type="Workspace Deprovision Requested" workspace=ws-1 age=1m30s error="injected fault"',
      '  m2 function=deprovision detail-type="Workspace Deprovision Requested" workspace=ws-2 age=2h0m error="injected fault"',
      '2 dead letter(s)',
    ]);
    expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: URL, ReceiptHandle: 'rh-m1', VisibilityTimeout: 0 },
      { QueueUrl: URL, ReceiptHandle: 'rh-m2', VisibilityTimeout: 0 },
    ]);
  });

  it('escapes control characters an event put in any printed field', async () => {
    const hostile = { ...deprovisionEvent('ws-\u001b[2J'), 'detail-type': 'Evil\nforged line' };
    const { clients, io, out } = setUp([lambdaMessage('m1', hostile)]);
    await listDeadLetters(clients, io, { queue: 'deprovision', now: () => NOW });
    const printed = out.join('\n');
    expect(printed.includes(String.fromCharCode(0x1b))).toBe(false);
    expect(out[1]).toContain('detail-type="Evil\\u000aforged line"');
    expect(out[1]).toContain('workspace=ws-\\u001b[2J');
  });

  it('says so when a queue does not exist', async () => {
    const { clients, io, out } = setUp([]);
    await listDeadLetters(clients, io, { queue: 'overlay', now: () => NOW });
    expect(out[0]).toBe(
      'WorkspaceProvisioner-overlay-dlq: not found (is the stack deployed in this account and region?)',
    );
  });
});

describe('dead-letters redrive', () => {
  it('invokes the function asynchronously with each body, then deletes the message', async () => {
    const messages = [
      lambdaMessage('m1', deprovisionEvent('ws-1')),
      lambdaMessage('m2', deprovisionEvent('ws-2')),
    ];
    const { clients, io, out, sqsMock, lambdaMock } = setUp(messages);
    expect(await redriveDeadLetters(clients, io, { queue: 'deprovision', now: () => NOW })).toBe(0);
    const invokes = lambdaMock.commandCalls(InvokeCommand).map((call) => call.args[0].input);
    expect(invokes.map((input) => [input.FunctionName, input.InvocationType])).toEqual([
      ['WorkspaceProvisioner-deprovision', 'Event'],
      ['WorkspaceProvisioner-deprovision', 'Event'],
    ]);
    expect(invokes.map((input) => new TextDecoder().decode(input.Payload as Uint8Array))).toEqual(
      messages.map((message) => message.Body),
    );
    expect(
      sqsMock.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input.ReceiptHandle),
    ).toEqual(['rh-m1', 'rh-m2']);
    expect(out.at(-1)).toBe('redrove 2 message(s)');
  });

  it('leaves a message whose invoke fails in the queue, reports it and exits 1', async () => {
    const { clients, io, err, out, sqsMock, lambdaMock } = setUp([
      lambdaMessage('m1', deprovisionEvent('ws-1')),
      lambdaMessage('m2', deprovisionEvent('ws-2')),
    ]);
    lambdaMock
      .on(InvokeCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }))
      .resolves({ StatusCode: 202 });
    expect(await redriveDeadLetters(clients, io, { queue: 'deprovision', now: () => NOW })).toBe(1);
    expect(
      sqsMock.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input.ReceiptHandle),
    ).toEqual(['rh-m2']);
    expect(err[0]).toContain('not redriven (invoke failed: ResourceNotFoundException: Function not found)');
    expect(err[0]).toContain('m1');
    expect(out.at(-1)).toBe('redrove 1 message(s); 1 failed and stay in their queues');
    // The one left behind is visible again at once, for the next try.
    expect(
      sqsMock.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input.ReceiptHandle),
    ).toEqual(['rh-m1']);
  });

  it('with --dry-run shows what would be sent and invokes and deletes nothing', async () => {
    const { clients, io, out, sqsMock, lambdaMock } = setUp([lambdaMessage('m1', deprovisionEvent('ws-1'))]);
    expect(
      await redriveDeadLetters(clients, io, { queue: 'deprovision', dryRun: true, now: () => NOW }),
    ).toBe(0);
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    expect(out[0]).toMatch(/^would invoke WorkspaceProvisioner-deprovision \(Event\): {2}m1 /);
    expect(out[1]).toBe(`    payload ${JSON.stringify(deprovisionEvent('ws-1'))}`);
    expect(out.at(-1)).toBe('dry run: would redrive 1 message(s); nothing was sent or deleted');
  });

  it('leaves a message dead-lettered after the run started (its own redrive failing again) for the next run', async () => {
    const { clients, io, out, sqsMock, lambdaMock } = setUp([
      lambdaMessage('m1', deprovisionEvent('ws-1')),
      lambdaMessage('m2', deprovisionEvent('ws-2'), -1_000),
    ]);
    expect(await redriveDeadLetters(clients, io, { queue: 'deprovision', now: () => NOW })).toBe(0);
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(1);
    expect(
      sqsMock.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input.ReceiptHandle),
    ).toEqual(['rh-m1']);
    expect(
      out.some((line) => line.startsWith('arrived after this redrive started') && line.includes('m2')),
    ).toBe(true);
    expect(out.at(-1)).toBe('redrove 1 message(s); 1 arrived during the run and wait for the next one');
  });

  it('does not invoke with a body that is not JSON', async () => {
    const { clients, io, err, lambdaMock } = setUp([
      { MessageId: 'm1', ReceiptHandle: 'rh-m1', Body: 'nope' },
    ]);
    expect(await redriveDeadLetters(clients, io, { queue: 'deprovision', now: () => NOW })).toBe(1);
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(err[0]).toContain('the body is not JSON');
  });
});
