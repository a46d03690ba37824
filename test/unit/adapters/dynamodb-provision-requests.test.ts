import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  AWAITING_LOOKBACK_MINUTES,
  DynamoDbProvisionRequestStore,
} from '#adapters/dynamodb-provision-requests.ts';
import { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import type { ProvisionRequestRecord } from '#ports/provision-request-store.ts';
import { FakeClock, REGION } from '../handlers/harness.ts';

const TABLE = 'provisioner-state';
const NOW = Date.parse('2026-03-01T12:00:00Z');
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

function setup() {
  const clock = new FakeClock(NOW);
  const client = new DynamoDBClient({
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const documents = DynamoDBDocumentClient.from(client);
  const documentsMock = mockClient(documents);
  return { documentsMock, store: new DynamoDbProvisionRequestStore(documents, { tableName: TABLE, clock }) };
}

const record: ProvisionRequestRecord = {
  request: ProvisionRequestedDetail.parse({
    requestId: 'r1',
    workspaceId: 'ws-1',
    orgId: 'o',
    runtime: 'codex',
  }),
  status: 'awaiting-assets',
  recordedAt: NOW,
  template: 'platform-agent',
  destination: 's3://workspace-files/staged/o/ws-1/r1/',
  assetsDeadline: NOW + 300_000,
  secrets: [],
};
const minute = (ms: number) => Math.floor(ms / 60_000);

describe('DynamoDbProvisionRequestStore: keys on the shared table, no index', () => {
  it('records a request under provision-request#<requestId> once, and files it under its deadline minute', async () => {
    const { documentsMock, store } = setup();
    documentsMock.on(PutCommand).resolves({});
    documentsMock.on(UpdateCommand).resolves({});
    expect(await store.create(record)).toBe(true);
    expect(documentsMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({ id: 'provision-request#r1', status: 'awaiting-assets' }),
      ConditionExpression: 'attribute_not_exists(#id)',
    });
    expect(documentsMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { id: `provision-awaiting#${minute(NOW + 300_000)}` },
      UpdateExpression: 'SET #requests.#request = :deadline',
      ExpressionAttributeNames: { '#requests': 'requests', '#request': 'r1' },
    });
    documentsMock.on(PutCommand).rejects(conditionFailed());
    expect(await store.create(record)).toBe(false);
  });

  it('transitions with a condition on the status, and answers false when it does not hold', async () => {
    const { documentsMock, store } = setup();
    documentsMock.on(UpdateCommand).resolves({});
    documentsMock.on(PutCommand).resolves({});
    await store.transition('r1', ['launching'], 'launched', { taskArn: 't-1' });
    expect(documentsMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { id: 'provision-request#r1' },
      ConditionExpression: 'attribute_exists(#id) AND #status IN (:from0)',
      ExpressionAttributeValues: expect.objectContaining({
        ':from0': 'launching',
        ':to': 'launched',
        ':taskArn': 't-1',
      }),
    });
    // The task points back at its request, for task-state.
    expect(documentsMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ id: 'provision-request-task#t-1', requestId: 'r1' }),
    });
    documentsMock.on(UpdateCommand).rejects(conditionFailed());
    expect(await store.transition('r1', ['awaiting-assets'], 'failed')).toBe(false);
  });

  it('finds overdue requests by reading the deadline minutes up to now, taking only those still awaiting', async () => {
    const { documentsMock, store } = setup();
    const data = JSON.stringify({ ...record, status: undefined });
    const bucket = { id: `provision-awaiting#${minute(NOW)}`, requests: { r1: NOW - 1, r2: NOW + 1 } };
    // Answers only for the keys asked, as DynamoDB does.
    documentsMock
      .on(BatchGetCommand)
      .callsFake((input: { RequestItems: Record<string, { Keys: Array<{ id: string }> }> }) => ({
        Responses: {
          [TABLE]: input.RequestItems[TABLE]?.Keys.some((key) => key.id === bucket.id) ? [bucket] : [],
        },
      }));
    documentsMock.on(GetCommand, { Key: { id: 'provision-request#r1' } }).resolves({
      Item: { id: 'provision-request#r1', status: 'awaiting-assets', data },
    });
    const overdue = await store.overdueAwaitingAssets(NOW, 10);
    expect(overdue.map((found) => found.request.requestId)).toEqual(['r1']);
    const keys = documentsMock
      .commandCalls(BatchGetCommand)
      .flatMap((call) => call.args[0].input.RequestItems?.[TABLE]?.Keys ?? []);
    expect(keys).toHaveLength(AWAITING_LOOKBACK_MINUTES + 1);
    expect(keys.at(-1)).toEqual({ id: `provision-awaiting#${minute(NOW)}` });
    // BatchGetItem takes at most 100 keys a call.
    for (const call of documentsMock.commandCalls(BatchGetCommand)) {
      expect(call.args[0].input.RequestItems?.[TABLE]?.Keys?.length).toBeLessThanOrEqual(100);
    }
  });

  it('claims the overlay report of a task with a condition, once', async () => {
    const { documentsMock, store } = setup();
    documentsMock.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    expect(await store.claimOverlayReport('r1', 't-1')).toBe(true);
    expect(await store.claimOverlayReport('r1', 't-1')).toBe(false);
  });
});
