/**
 * `WorkspaceRecordStore` on the shared state table (partition key `id`, TTL `expiration`). One item
 * per workspace, `workspace#<workspaceId>`: the record as JSON `data`, with `generation` and `state`
 * as their own attributes so a write can be conditional on the generation it read.
 *
 * The live records (`provisioning`, `running`, `recovering`) also carry `liveShard`
 * (`live#<0..15>`, from a stable hash of the workspaceId) and nothing else does, so the sparse GSI
 * {@link LIVE_WORKSPACES_INDEX} (partition `liveShard`, sort `id`) holds exactly the live records
 * and the reconciliation sweep reads them with a Query per shard, never a Scan of the table. The
 * shards spread one busy index partition over sixteen. Every write is a whole-item PutItem, so a
 * record that stops being live loses its `liveShard` (and leaves the index) in the same write. A
 * live record never expires; a deprovisioned one expires {@link DEPROVISIONED_RECORD_TTL_SECONDS}
 * after it was written, long enough for a late Status Requested to be answered from it.
 *
 * AWS behaviour relied on: a GSI holds only the items that have its key attributes ("sparse
 * index", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-indexes-general-sparse-indexes.html),
 * and all reads from a GSI are eventually consistent
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html).
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '#ports/clock.ts';
import { isLiveWorkspaceState } from '#ports/live-workspace-states.ts';
import type { WorkspaceRecord, WorkspaceRecordStore, WorkspaceState } from '#ports/workspace-record-store.ts';
import { isConditionFailure, TABLE_KEY, TABLE_TTL } from './dynamodb-stores.ts';

export const WORKSPACE_RECORD_PREFIX = 'workspace#';
/** The sparse GSI of the live workspace records (the CDK table declares it with these names). */
export const LIVE_WORKSPACES_INDEX = 'live-workspaces';
/** The GSI's partition key: `live#<shard>` on live records only. */
export const LIVE_SHARD_ATTRIBUTE = 'liveShard';
/** The GSI's sort key: the table's own partition key. */
export const LIVE_SORT_ATTRIBUTE = TABLE_KEY;
/** How many `liveShard` values there are. */
export const LIVE_SHARDS = 16;
const LIVE_SHARD_PREFIX = 'live#';
/** A deprovisioned record answers Status Requested for a month, then DynamoDB deletes it. */
export const DEPROVISIONED_RECORD_TTL_SECONDS = 30 * 24 * 3600;

const epochSeconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * The shard of a workspace's live record: FNV-1a (32-bit) of the workspaceId's UTF-8 bytes, modulo
 * {@link LIVE_SHARDS}. Stable across processes and releases, so a record keeps its shard.
 */
export function liveShardOf(workspaceId: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(workspaceId)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return LIVE_SHARD_PREFIX + (hash % LIVE_SHARDS);
}

export interface DynamoDbWorkspaceRecordStoreOptions {
  readonly tableName: string;
  /** The clock a deprovisioned record's expiry is computed from. */
  readonly clock: Clock;
  /**
   * Picks the shard {@link DynamoDbWorkspaceRecordStore.live} starts from, so a `limit` smaller
   * than the live records does not leave the last shards unread sweep after sweep.
   * @default Math.random
   */
  readonly random?: () => number;
}

/** The workspace records on the shared table. */
export class DynamoDbWorkspaceRecordStore implements WorkspaceRecordStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #clock: Clock;
  readonly #random: () => number;

  constructor(client: DynamoDBDocumentClient, options: DynamoDbWorkspaceRecordStoreOptions) {
    this.#client = client;
    this.#table = options.tableName;
    this.#clock = options.clock;
    this.#random = options.random ?? Math.random;
  }

  async get(workspaceId: string): Promise<WorkspaceRecord | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { [TABLE_KEY]: WORKSPACE_RECORD_PREFIX + workspaceId },
        ConsistentRead: true,
      }),
    );
    return Item ? recordOf(Item) : undefined;
  }

  async put(record: WorkspaceRecord, expectedGeneration?: number): Promise<boolean> {
    const live = isLiveWorkspaceState(record.state);
    const item = {
      [TABLE_KEY]: WORKSPACE_RECORD_PREFIX + record.workspaceId,
      data: JSON.stringify(record),
      generation: record.generation,
      state: record.state,
      ...(live ? { [LIVE_SHARD_ATTRIBUTE]: liveShardOf(record.workspaceId) } : {}),
      ...(record.state === 'deprovisioned'
        ? { [TABLE_TTL]: epochSeconds(this.#clock.now()) + DEPROVISIONED_RECORD_TTL_SECONDS }
        : {}),
    };
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: item,
          ...(expectedGeneration === undefined
            ? {}
            : expectedGeneration === 0
              ? // No record yet: the first write of a workspace, and only one of two racing ones.
                {
                  ConditionExpression: 'attribute_not_exists(#key)',
                  ExpressionAttributeNames: { '#key': TABLE_KEY },
                }
              : {
                  ConditionExpression: '#generation = :expected',
                  ExpressionAttributeNames: { '#generation': 'generation' },
                  ExpressionAttributeValues: { ':expected': expectedGeneration },
                }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Queries the live index shard by shard, from a random shard on, page by page, until `limit`.
   * A GSI is eventually consistent (no strongly consistent reads): a record that just changed can
   * be answered as it was, so a caller re-reads it with {@link get} before acting on it.
   */
  async live(limit: number): Promise<WorkspaceRecord[]> {
    const records: WorkspaceRecord[] = [];
    const first = Math.floor(this.#random() * LIVE_SHARDS) % LIVE_SHARDS;
    for (let offset = 0; offset < LIVE_SHARDS && records.length < limit; offset += 1) {
      const shard = LIVE_SHARD_PREFIX + ((first + offset) % LIVE_SHARDS);
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            IndexName: LIVE_WORKSPACES_INDEX,
            KeyConditionExpression: '#shard = :shard',
            ExpressionAttributeNames: { '#shard': LIVE_SHARD_ATTRIBUTE },
            ExpressionAttributeValues: { ':shard': shard },
            Limit: limit - records.length,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        for (const item of page.Items ?? []) if (records.length < limit) records.push(recordOf(item));
        startKey = page.LastEvaluatedKey;
      } while (startKey && records.length < limit);
    }
    return records;
  }
}

/** A stored item as a record; the attributes a condition reads are the record's own. */
function recordOf(item: Record<string, unknown>): WorkspaceRecord {
  const data = JSON.parse(String(item.data)) as WorkspaceRecord;
  return {
    ...data,
    state: item.state as WorkspaceState,
    generation: Number(item.generation),
  };
}
