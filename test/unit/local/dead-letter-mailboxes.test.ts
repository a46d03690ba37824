import { afterEach, describe, expect, it } from 'vitest';
import { functionDeadLetterMailboxes } from '#local/lambda/function-dead-letter-mailbox.ts';
import { InvocationStore } from '#local/lambda/invocation-store.ts';
import { DeliveryStore } from '#local/routing/delivery-store.ts';
import type { Route } from '#local/routing/routes.ts';
import { targetDeadLetterMailboxes } from '#local/routing/target-dead-letter-mailbox.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';
import { DEFAULT_TARGET_RETRY } from '#wiring/flows.ts';

const databases: Array<{ close(): void }> = [];
afterEach(() => {
  for (const database of databases.splice(0)) database.close();
});

function open() {
  const database = openDatabase(IN_MEMORY);
  databases.push(database);
  return database;
}

const route = (id: string, bus: string, target: Route['target']): Route => ({
  id,
  bus,
  pattern: {},
  target,
  retryPolicy: DEFAULT_TARGET_RETRY,
  deadLetterQueue: true,
});
const ROUTES = [
  route('ProvisionRequested', 'workspaces', 'provision'),
  route('EcsTaskStateChange', 'default', 'task-state'),
];

describe('rule-target dead letters as SQS messages', () => {
  it('puts the envelope in the body and the attributes EventBridge documents on the message', () => {
    const database = open();
    const store = new DeliveryStore(database);
    const envelope = { version: '0', id: 'e-1', 'detail-type': 'Workspace Provision Requested', detail: {} };
    store.deadLetter({
      seq: 7,
      routeId: 'ProvisionRequested',
      target: 'provision',
      envelope,
      errorCode: 'ResourceNotFoundException',
      errorMessage: 'Function not found: provision',
      attempts: 1,
      now: 1_234,
    });
    const mailboxes = targetDeadLetterMailboxes({
      database,
      routes: ROUTES,
      region: 'us-east-1',
      account: '000000000000',
    });
    const mailbox = mailboxes.find(
      (candidate) => candidate.queueName === 'WorkspaceProvisioner-ProvisionRequested-target-dlq',
    );
    expect(mailbox?.list()).toEqual([
      {
        key: '7',
        body: JSON.stringify(envelope),
        sentAt: 1_234,
        attributes: {
          RULE_ARN: {
            DataType: 'String',
            StringValue: 'arn:aws:events:us-east-1:000000000000:rule/workspaces/ProvisionRequested',
          },
          TARGET_ARN: {
            DataType: 'String',
            StringValue: 'arn:aws:lambda:us-east-1:000000000000:function:WorkspaceProvisioner-provision',
          },
          ERROR_CODE: { DataType: 'String', StringValue: 'NO_RESOURCE' },
          ERROR_MESSAGE: {
            DataType: 'String',
            StringValue: 'ResourceNotFoundException: Function not found: provision',
          },
          RETRY_ATTEMPTS: { DataType: 'String', StringValue: '0' },
        },
      },
    ]);
    expect(mailbox?.remove('7')).toBe(true);
    expect(mailbox?.list()).toEqual([]);
    expect(mailbox?.remove('7')).toBe(false);
  });

  it.each([
    [
      DEFAULT_TARGET_RETRY.maximumRetryAttempts + 1,
      'MaximumRetryAttempts',
      'INTERNAL_ERROR',
      'InternalFailure',
    ],
    [3, 'MaximumEventAgeInSeconds', 'THROTTLING', 'ThrottlingException'],
  ])('after %s attempts names %s as the exhausted condition', (attempts, condition, code, localCode) => {
    const database = open();
    new DeliveryStore(database).deadLetter({
      seq: 1,
      routeId: 'EcsTaskStateChange',
      target: 'task-state',
      envelope: {},
      errorCode: localCode,
      errorMessage: 'x',
      attempts,
      now: 1,
    });
    const mailbox = targetDeadLetterMailboxes({
      database,
      routes: ROUTES,
      region: 'us-east-1',
      account: '000000000000',
    }).find((candidate) => candidate.queueName === 'WorkspaceProvisioner-EcsTaskStateChange-target-dlq');
    const attributes = mailbox?.list()[0]?.attributes;
    expect(attributes?.EXHAUSTED_RETRY_CONDITION?.StringValue).toBe(condition);
    expect(attributes?.ERROR_CODE?.StringValue).toBe(code);
    expect(attributes?.RETRY_ATTEMPTS?.StringValue).toBe(String(attempts - 1));
    // A rule on the default bus has no bus segment in its ARN.
    expect(attributes?.RULE_ARN?.StringValue).toBe(
      'arn:aws:events:us-east-1:000000000000:rule/EcsTaskStateChange',
    );
  });

  it('keeps each rule in its own queue', () => {
    const database = open();
    new DeliveryStore(database).deadLetter({
      seq: 1,
      routeId: 'EcsTaskStateChange',
      target: 'task-state',
      envelope: {},
      errorCode: 'x',
      errorMessage: 'x',
      attempts: 1,
      now: 1,
    });
    const counts = targetDeadLetterMailboxes({
      database,
      routes: ROUTES,
      region: 'us-east-1',
      account: '000000000000',
    }).map((mailbox) => [mailbox.queueName, mailbox.list().length]);
    expect(counts.filter(([, count]) => count === 1)).toEqual([
      ['WorkspaceProvisioner-EcsTaskStateChange-target-dlq', 1],
    ]);
  });
});

describe('function dead letters as SQS messages', () => {
  const deadLetter = (
    store: InvocationStore,
    invocationId: number,
    functionName: string,
    extra: Partial<{ errorType: string | null; errorMessage: string | null }>,
  ) =>
    store.deadLetter({
      invocationId,
      functionName,
      requestId: `req-${invocationId}`,
      payload: `{"n":${invocationId}}`,
      condition: 'RetriesExhausted',
      errorType: 'Error',
      errorMessage: 'boom',
      attempts: 3,
      now: 100 + invocationId,
      ...extra,
    });

  it('puts the original event in the body and RequestID, ErrorCode and ErrorMessage on the message', () => {
    const database = open();
    const store = new InvocationStore(database);
    deadLetter(store, 4, 'deprovision', {});
    deadLetter(store, 5, 'overlay', {});
    const mailbox = functionDeadLetterMailboxes(database).find(
      (candidate) => candidate.queueName === 'WorkspaceProvisioner-deprovision-dlq',
    );
    expect(mailbox?.list()).toEqual([
      {
        key: '4',
        body: '{"n":4}',
        sentAt: 104,
        attributes: {
          RequestID: { DataType: 'String', StringValue: 'req-4' },
          ErrorCode: { DataType: 'Number', StringValue: '200' },
          ErrorMessage: { DataType: 'String', StringValue: 'boom' },
        },
      },
    ]);
    expect(mailbox?.remove('4')).toBe(true);
    expect(mailbox?.list()).toEqual([]);
  });

  it('cuts the error message at 1 KB of UTF-8 without splitting a character', () => {
    const database = open();
    deadLetter(new InvocationStore(database), 1, 'overlay', { errorMessage: 'é'.repeat(600) });
    const message = functionDeadLetterMailboxes(database)
      .find((candidate) => candidate.queueName === 'WorkspaceProvisioner-overlay-dlq')
      ?.list()[0]?.attributes.ErrorMessage?.StringValue as string;
    expect(Buffer.byteLength(message, 'utf8')).toBe(1024);
    expect(message).toBe('é'.repeat(512));
  });

  it('reports an event that aged out unrun as a throttled invocation, with the condition as its message', () => {
    const database = open();
    deadLetter(new InvocationStore(database), 1, 'overlay', { errorType: null, errorMessage: null });
    const attributes = functionDeadLetterMailboxes(database)
      .find((candidate) => candidate.queueName === 'WorkspaceProvisioner-overlay-dlq')
      ?.list()[0]?.attributes;
    expect(attributes?.ErrorCode?.StringValue).toBe('429');
    expect(attributes?.ErrorMessage?.StringValue).toBe('RetriesExhausted');
  });
});
