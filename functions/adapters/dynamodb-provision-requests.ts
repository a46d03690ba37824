/**
 * `ProvisionRequestStore` on the shared state table (partition key `id` only, TTL `expiration`):
 * no new index. Three kinds of item, apart from every other by their id prefix:
 *
 * - `provision-request#<requestId>`: the record. `status` is its own attribute so transitions are
 *   conditional writes on it; the request as recorded is `data` (JSON), and what later steps add
 *   (`manifest`, `effectiveConfig` as JSON, `taskArn`, `overlayReportedTaskArn`) their own attributes.
 * - `provision-request-task#<taskArn>`: `requestId`, written when a request records its task, so
 *   task-state finds the request of a task with one GetItem.
 * - `provision-awaiting#<minute>`: the requests awaiting assets whose deadline falls in that minute
 *   (epoch minutes), as a map `requests` of requestId to deadline (ms). The sweep reads the minutes
 *   from {@link AWAITING_LOOKBACK_MINUTES} ago to now with BatchGetItem, so overdue requests are
 *   found without a scan or an index; a request leaves its minute once it moves on.
 */
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Clock } from '#ports/clock.ts';
import type {
  ProvisionRequestRecord,
  ProvisionRequestStatus,
  ProvisionRequestStore,
  ProvisionRequestUpdate,
} from '#ports/provision-request-store.ts';
import { isConditionFailure, TABLE_KEY, TABLE_TTL } from './dynamodb-stores.ts';

export const PROVISION_REQUEST_PREFIX = 'provision-request#';
export const PROVISION_REQUEST_TASK_PREFIX = 'provision-request-task#';
export const PROVISION_AWAITING_PREFIX = 'provision-awaiting#';

/** How far back the sweep looks for overdue minutes: it runs every minute, this covers outages. */
export const AWAITING_LOOKBACK_MINUTES = 6 * 60;
/** A record outlives any redelivery and the task it launched by far. */
const RECORD_TTL_SECONDS = 7 * 24 * 3600;
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_MAX_KEYS = 100;
const MINUTE_MS = 60_000;

const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS);
const epochSeconds = (ms: number): number => Math.floor(ms / 1000);

export interface DynamoDbProvisionRequestStoreOptions {
  readonly tableName: string;
  readonly clock: Clock;
}

type RecordData = Omit<
  ProvisionRequestRecord,
  'status' | 'manifest' | 'effectiveConfig' | 'taskArn' | 'overlayReportedTaskArn'
>;

/** The provision-request store on the shared table. */
export class DynamoDbProvisionRequestStore implements ProvisionRequestStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #clock: Clock;

  constructor(client: DynamoDBDocumentClient, options: DynamoDbProvisionRequestStoreOptions) {
    this.#client = client;
    this.#table = options.tableName;
    this.#clock = options.clock;
  }

  #expiration(): number {
    return epochSeconds(this.#clock.now()) + RECORD_TTL_SECONDS;
  }

  async create(record: ProvisionRequestRecord): Promise<boolean> {
    const { status, manifest, effectiveConfig, taskArn, overlayReportedTaskArn: _, ...data } = record;
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            [TABLE_KEY]: PROVISION_REQUEST_PREFIX + record.request.requestId,
            status,
            data: JSON.stringify(data satisfies RecordData),
            ...(manifest ? { manifest: JSON.stringify(manifest) } : {}),
            ...(effectiveConfig ? { effectiveConfig: JSON.stringify(effectiveConfig) } : {}),
            ...(taskArn ? { taskArn } : {}),
            [TABLE_TTL]: this.#expiration(),
          },
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': TABLE_KEY },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
    if (status === 'awaiting-assets' && record.assetsDeadline !== undefined) {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { [TABLE_KEY]: PROVISION_AWAITING_PREFIX + minuteOf(record.assetsDeadline) },
          UpdateExpression: 'SET #requests = if_not_exists(#requests, :empty), #expiration = :expiration',
          ExpressionAttributeNames: { '#requests': 'requests', '#expiration': TABLE_TTL },
          ExpressionAttributeValues: { ':empty': {}, ':expiration': this.#expiration() },
        }),
      );
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { [TABLE_KEY]: PROVISION_AWAITING_PREFIX + minuteOf(record.assetsDeadline) },
          UpdateExpression: 'SET #requests.#request = :deadline',
          ExpressionAttributeNames: { '#requests': 'requests', '#request': record.request.requestId },
          ExpressionAttributeValues: { ':deadline': record.assetsDeadline },
        }),
      );
    }
    if (taskArn) await this.#pointTask(taskArn, record.request.requestId);
    return true;
  }

  async get(requestId: string): Promise<ProvisionRequestRecord | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { [TABLE_KEY]: PROVISION_REQUEST_PREFIX + requestId },
        ConsistentRead: true,
      }),
    );
    return Item ? recordOf(Item) : undefined;
  }

  async transition(
    requestId: string,
    from: readonly ProvisionRequestStatus[],
    to: ProvisionRequestStatus,
    update: ProvisionRequestUpdate = {},
  ): Promise<boolean> {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':to': to };
    const sets = ['#status = :to'];
    from.forEach((status, index) => {
      values[`:from${index}`] = status;
    });
    const fields: Array<[keyof ProvisionRequestUpdate, unknown]> = [
      ['manifest', update.manifest === undefined ? undefined : JSON.stringify(update.manifest)],
      [
        'effectiveConfig',
        update.effectiveConfig === undefined ? undefined : JSON.stringify(update.effectiveConfig),
      ],
      ['taskArn', update.taskArn],
    ];
    for (const [field, value] of fields) {
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    let old: Record<string, unknown> | undefined;
    try {
      const result = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { [TABLE_KEY]: PROVISION_REQUEST_PREFIX + requestId },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `attribute_exists(#id) AND #status IN (${from.map((_, index) => `:from${index}`).join(', ')})`,
          ExpressionAttributeNames: { ...names, '#id': TABLE_KEY },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
        }),
      );
      old = result.Attributes;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
    if (update.taskArn) await this.#pointTask(update.taskArn, requestId);
    const record = old ? recordOf(old) : undefined;
    if (
      record?.status === 'awaiting-assets' &&
      to !== 'awaiting-assets' &&
      record.assetsDeadline !== undefined
    ) {
      await this.#leaveAwaiting(requestId, record.assetsDeadline);
    }
    return true;
  }

  async overdueAwaitingAssets(now: number, limit: number): Promise<ProvisionRequestRecord[]> {
    const last = minuteOf(now);
    const keys: string[] = [];
    for (let minute = last - AWAITING_LOOKBACK_MINUTES; minute <= last; minute += 1) {
      keys.push(PROVISION_AWAITING_PREFIX + minute);
    }
    const due: string[] = [];
    for (let offset = 0; offset < keys.length; offset += BATCH_GET_MAX_KEYS) {
      let pending: Array<Record<string, unknown>> | undefined = keys
        .slice(offset, offset + BATCH_GET_MAX_KEYS)
        .map((id) => ({ [TABLE_KEY]: id }));
      while (pending && pending.length > 0) {
        const result = await this.#client.send(
          new BatchGetCommand({ RequestItems: { [this.#table]: { Keys: pending, ConsistentRead: true } } }),
        );
        for (const item of result.Responses?.[this.#table] ?? []) {
          const requests = (item.requests ?? {}) as Record<string, unknown>;
          for (const [requestId, deadline] of Object.entries(requests)) {
            if (typeof deadline === 'number' && deadline <= now) due.push(requestId);
          }
        }
        pending = result.UnprocessedKeys?.[this.#table]?.Keys as Array<Record<string, unknown>> | undefined;
      }
    }
    const records: ProvisionRequestRecord[] = [];
    for (const requestId of due.slice(0, limit)) {
      const record = await this.get(requestId);
      if (record?.status === 'awaiting-assets') records.push(record);
      else if (record?.assetsDeadline !== undefined)
        await this.#leaveAwaiting(requestId, record.assetsDeadline);
    }
    return records;
  }

  async findByTask(taskArn: string): Promise<ProvisionRequestRecord | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { [TABLE_KEY]: PROVISION_REQUEST_TASK_PREFIX + taskArn },
        ConsistentRead: true,
      }),
    );
    return typeof Item?.requestId === 'string' ? this.get(Item.requestId) : undefined;
  }

  async claimOverlayReport(requestId: string, taskArn: string): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { [TABLE_KEY]: PROVISION_REQUEST_PREFIX + requestId },
          UpdateExpression: 'SET #reported = :task',
          ConditionExpression:
            'attribute_exists(#id) AND (attribute_not_exists(#reported) OR #reported <> :task)',
          ExpressionAttributeNames: { '#id': TABLE_KEY, '#reported': 'overlayReportedTaskArn' },
          ExpressionAttributeValues: { ':task': taskArn },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async #pointTask(taskArn: string, requestId: string): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          [TABLE_KEY]: PROVISION_REQUEST_TASK_PREFIX + taskArn,
          requestId,
          [TABLE_TTL]: this.#expiration(),
        },
      }),
    );
  }

  async #leaveAwaiting(requestId: string, deadline: number): Promise<void> {
    await this.#client
      .send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { [TABLE_KEY]: PROVISION_AWAITING_PREFIX + minuteOf(deadline) },
          UpdateExpression: 'REMOVE #requests.#request',
          ConditionExpression: 'attribute_exists(#requests)',
          ExpressionAttributeNames: { '#requests': 'requests', '#request': requestId },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error;
      });
  }
}

/** A stored item as a record. */
function recordOf(item: Record<string, unknown>): ProvisionRequestRecord {
  const data = JSON.parse(String(item.data)) as RecordData;
  return {
    ...data,
    status: item.status as ProvisionRequestStatus,
    ...(typeof item.manifest === 'string' ? { manifest: JSON.parse(item.manifest) } : {}),
    ...(typeof item.effectiveConfig === 'string'
      ? { effectiveConfig: JSON.parse(item.effectiveConfig) }
      : {}),
    ...(typeof item.taskArn === 'string' ? { taskArn: item.taskArn } : {}),
    ...(typeof item.overlayReportedTaskArn === 'string'
      ? { overlayReportedTaskArn: item.overlayReportedTaskArn }
      : {}),
  };
}
