import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Clock } from '#ports/clock.ts';
import type { TaskVersionStore } from '#ports/task-version-store.ts';
import type { WorkspaceLaunchRecord, WorkspaceLeaseStore } from '#ports/workspace-lease-store.ts';

/**
 * The DynamoDB side of the handlers' state, all in ONE table (partition key `id`, TTL attribute
 * `expiration` in epoch seconds), shared with Powertools' idempotency records. Item ids carry a
 * prefix per kind of record, so they never collide with idempotency keys (`<scope>#<hash>`).
 */

/** Partition key and TTL attribute of the table (Powertools' defaults). */
export const TABLE_KEY = 'id';
export const TABLE_TTL = 'expiration';

const TASK_VERSION_PREFIX = 'task-version#';
const LEASE_PREFIX = 'workspace-lease#';
const LAUNCH_PREFIX = 'workspace-launch#';

/** ECS keeps a stopped task visible for about an hour; a week of versions outlives any redelivery. */
const TASK_VERSION_TTL_SECONDS = 7 * 24 * 3600;
/** The launch record only bridges ListTasks' eventual consistency; a day is plenty. */
const LAUNCH_RECORD_TTL_SECONDS = 24 * 3600;

/** True for DynamoDB's answer to a conditional write whose condition did not hold. */
export const isConditionFailure = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  (error as { name?: unknown }).name === 'ConditionalCheckFailedException';

const epochSeconds = (ms: number): number => Math.floor(ms / 1000);

/** Powertools' DynamoDB persistence layer on the shared table, with the client passed in (no hidden client). */
export function dynamoDbIdempotencyStore(
  client: DynamoDBClient,
  tableName: string,
): DynamoDBPersistenceLayer {
  return new DynamoDBPersistenceLayer({
    tableName,
    keyAttr: TABLE_KEY,
    expiryAttr: TABLE_TTL,
    awsSdkV3Client: client,
  });
}

export interface DynamoDbStoreOptions {
  readonly tableName: string;
  readonly clock: Clock;
}

/** The idempotency table and the clock its TTLs are computed from, shared by the stores below. */
abstract class DynamoDbTableStore {
  protected readonly client: DynamoDBDocumentClient;
  protected readonly tableName: string;
  protected readonly clock: Clock;

  constructor(client: DynamoDBDocumentClient, options: DynamoDbStoreOptions) {
    this.client = client;
    this.tableName = options.tableName;
    this.clock = options.clock;
  }
}

/** `TaskVersionStore` with conditional writes: a version only ever moves forwards. */
export class DynamoDbTaskVersionStore extends DynamoDbTableStore implements TaskVersionStore {
  async get(taskArn: string): Promise<number | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [TABLE_KEY]: TASK_VERSION_PREFIX + taskArn },
        ConsistentRead: true,
      }),
    );
    return typeof Item?.version === 'number' ? Item.version : undefined;
  }

  async advance(taskArn: string, version: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [TABLE_KEY]: TASK_VERSION_PREFIX + taskArn },
          UpdateExpression: 'SET #version = :version, #expiration = :expiration',
          ConditionExpression: 'attribute_not_exists(#version) OR #version < :version',
          ExpressionAttributeNames: { '#version': 'version', '#expiration': TABLE_TTL },
          ExpressionAttributeValues: {
            ':version': version,
            ':expiration': epochSeconds(this.clock.now()) + TASK_VERSION_TTL_SECONDS,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

/**
 * `WorkspaceLeaseStore` with conditional writes. A lease is free when absent, expired, or already
 * held by the same owner (a redelivery of the same request may take it again).
 */
export class DynamoDbWorkspaceLeaseStore extends DynamoDbTableStore implements WorkspaceLeaseStore {
  async acquire(workspaceId: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [TABLE_KEY]: LEASE_PREFIX + workspaceId,
            owner,
            leaseExpiresAt: now + ttlMs,
            [TABLE_TTL]: epochSeconds(now + ttlMs) + 60,
          },
          ConditionExpression: 'attribute_not_exists(#id) OR #leaseExpiresAt < :now OR #owner = :owner',
          ExpressionAttributeNames: {
            '#id': TABLE_KEY,
            '#leaseExpiresAt': 'leaseExpiresAt',
            '#owner': 'owner',
          },
          ExpressionAttributeValues: { ':now': now, ':owner': owner },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async release(workspaceId: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [TABLE_KEY]: LEASE_PREFIX + workspaceId },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      // Expired and taken by someone else: theirs now.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async recordLaunch(record: WorkspaceLaunchRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          [TABLE_KEY]: LAUNCH_PREFIX + record.workspaceId,
          workspaceId: record.workspaceId,
          requestId: record.requestId,
          taskArn: record.taskArn,
          launchedAt: record.launchedAt,
          [TABLE_TTL]: epochSeconds(record.launchedAt) + LAUNCH_RECORD_TTL_SECONDS,
        },
      }),
    );
  }

  async lastLaunch(workspaceId: string): Promise<WorkspaceLaunchRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [TABLE_KEY]: LAUNCH_PREFIX + workspaceId },
        ConsistentRead: true,
      }),
    );
    if (
      !Item ||
      typeof Item.requestId !== 'string' ||
      typeof Item.taskArn !== 'string' ||
      typeof Item.launchedAt !== 'number'
    ) {
      return undefined;
    }
    return { workspaceId, requestId: Item.requestId, taskArn: Item.taskArn, launchedAt: Item.launchedAt };
  }
}
