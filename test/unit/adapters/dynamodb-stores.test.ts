import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  DynamoDbTaskVersionStore,
  DynamoDbWorkspaceLeaseStore,
  dynamoDbIdempotencyStore,
} from '#adapters/dynamodb-stores.ts';
import { FakeClock, REGION } from '../handlers/harness.ts';

const TABLE = 'provisioner-state';
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

function setup() {
  const clock = new FakeClock(Date.parse('2026-03-01T12:00:00Z'));
  const client = new DynamoDBClient({
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const documents = DynamoDBDocumentClient.from(client);
  const documentsMock = mockClient(documents);
  return {
    clock,
    documentsMock,
    versions: new DynamoDbTaskVersionStore(documents, { tableName: TABLE, clock }),
    leases: new DynamoDbWorkspaceLeaseStore(documents, { tableName: TABLE, clock }),
  };
}

describe('DynamoDbTaskVersionStore', () => {
  it('advances with a conditional write that only moves forwards, with a TTL', async () => {
    const { versions, documentsMock, clock } = setup();
    documentsMock.on(UpdateCommand).resolves({});

    await expect(versions.advance('arn:task/1', 4)).resolves.toBe(true);

    expect(documentsMock).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: { id: 'task-version#arn:task/1' },
      ConditionExpression: 'attribute_not_exists(#version) OR #version < :version',
      ExpressionAttributeValues: {
        ':version': 4,
        ':expiration': Math.floor(clock.now() / 1000) + 7 * 24 * 3600,
      },
    });
  });

  it('answers false when the stored version is already as high', async () => {
    const { versions, documentsMock } = setup();
    documentsMock.on(UpdateCommand).rejects(conditionFailed());
    await expect(versions.advance('arn:task/1', 4)).resolves.toBe(false);
  });

  it('reads the stored version consistently', async () => {
    const { versions, documentsMock } = setup();
    documentsMock
      .on(GetCommand)
      .resolvesOnce({ Item: { id: 'task-version#arn:task/1', version: 7 } })
      .resolves({});
    await expect(versions.get('arn:task/1')).resolves.toBe(7);
    await expect(versions.get('arn:task/2')).resolves.toBeUndefined();
    expect(documentsMock).toHaveReceivedCommandWith(GetCommand, { ConsistentRead: true });
  });
});

describe('DynamoDbWorkspaceLeaseStore', () => {
  it('acquires a lease that is free, expired or already its own', async () => {
    const { leases, documentsMock, clock } = setup();
    documentsMock.on(PutCommand).resolves({});

    await expect(leases.acquire('ws-1', 'req-1', 30_000)).resolves.toBe(true);

    expect(documentsMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: {
        id: 'workspace-lease#ws-1',
        owner: 'req-1',
        leaseExpiresAt: clock.now() + 30_000,
        expiration: Math.floor((clock.now() + 30_000) / 1000) + 60,
      },
      ConditionExpression: 'attribute_not_exists(#id) OR #leaseExpiresAt < :now OR #owner = :owner',
      ExpressionAttributeValues: { ':now': clock.now(), ':owner': 'req-1' },
    });
  });

  it('answers false while another owner holds the lease', async () => {
    const { leases, documentsMock } = setup();
    documentsMock.on(PutCommand).rejects(conditionFailed());
    await expect(leases.acquire('ws-1', 'req-2', 30_000)).resolves.toBe(false);
  });

  it('releases only its own lease', async () => {
    const { leases, documentsMock } = setup();
    documentsMock.on(DeleteCommand).rejects(conditionFailed());
    await expect(leases.release('ws-1', 'req-1')).resolves.toBeUndefined();
    expect(documentsMock).toHaveReceivedCommandWith(DeleteCommand, {
      ConditionExpression: '#owner = :owner',
      ExpressionAttributeValues: { ':owner': 'req-1' },
    });
  });

  it('records and reads back the last launch', async () => {
    const { leases, documentsMock, clock } = setup();
    const record = {
      workspaceId: 'ws-1',
      requestId: 'req-1',
      taskArn: 'arn:task/1',
      launchedAt: clock.now(),
    };
    documentsMock.on(PutCommand).resolves({});
    documentsMock.on(GetCommand).resolves({ Item: { id: 'workspace-launch#ws-1', ...record } });

    await leases.recordLaunch(record);
    await expect(leases.lastLaunch('ws-1')).resolves.toEqual(record);

    expect(documentsMock).toHaveReceivedCommandWith(PutCommand, {
      Item: {
        id: 'workspace-launch#ws-1',
        ...record,
        expiration: Math.floor(clock.now() / 1000) + 24 * 3600,
      },
    });
  });
});

describe('dynamoDbIdempotencyStore', () => {
  it('keeps Powertools records in the same table, keyed on id with the expiration TTL', async () => {
    const client = new DynamoDBClient({
      region: REGION,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const clientMock = mockClient(client);
    clientMock.on(PutItemCommand).resolves({});
    clientMock.on(GetItemCommand).resolves({});
    const store = dynamoDbIdempotencyStore(client, TABLE);
    store.configure({
      config: new IdempotencyConfig({ eventKeyJmesPath: 'requestId' }),
      keyPrefix: 'provision',
    });

    await store.saveInProgress({ requestId: 'req-1' }, 30_000);

    const [put] = clientMock.commandCalls(PutItemCommand);
    const input = put?.args[0].input;
    expect(input?.TableName).toBe(TABLE);
    expect(input?.Item?.id?.S).toMatch(/^provision#/);
    expect(input?.Item?.expiration?.N).toBeDefined();
  });
});
