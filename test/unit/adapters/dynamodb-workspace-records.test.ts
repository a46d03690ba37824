import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  DynamoDbWorkspaceRecordStore,
  LIVE_SHARDS,
  LIVE_WORKSPACES_INDEX,
  liveShardOf,
} from '#adapters/dynamodb-workspace-records.ts';
import type { WorkspaceRecord, WorkspaceState } from '#ports/workspace-record-store.ts';
import { workspaceRecord } from '../../fixtures/workspace-records.ts';
import { FakeClock, REGION } from '../handlers/harness.ts';

const TABLE = 'provisioner-state';
const NOW = Date.parse('2026-03-01T12:00:00Z');
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

function setup(random: () => number = () => 0) {
  const clock = new FakeClock(NOW);
  const client = new DynamoDBClient({
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const documents = DynamoDBDocumentClient.from(client);
  const documentsMock = mockClient(documents);
  return {
    documentsMock,
    store: new DynamoDbWorkspaceRecordStore(documents, { tableName: TABLE, clock, random }),
  };
}

/** The item `put` writes for `record`, as the table would hold it. */
const itemOf = (record: WorkspaceRecord) => ({
  id: `workspace#${record.workspaceId}`,
  data: JSON.stringify(record),
  generation: record.generation,
  state: record.state,
  ...(['provisioning', 'running', 'recovering'].includes(record.state)
    ? { liveShard: liveShardOf(record.workspaceId) }
    : {}),
});

describe('DynamoDbWorkspaceRecordStore: one item per workspace on the shared table', () => {
  it('creates or overwrites a record unconditionally when no generation is expected', async () => {
    const { documentsMock, store } = setup();
    documentsMock.on(PutCommand).resolves({});
    const record = workspaceRecord('ws-1');
    expect(await store.put(record)).toBe(true);
    const [call] = documentsMock.commandCalls(PutCommand);
    expect(call?.args[0].input).toEqual({
      TableName: TABLE,
      Item: {
        id: 'workspace#ws-1',
        data: JSON.stringify(record),
        generation: record.generation,
        state: 'running',
        liveShard: liveShardOf('ws-1'),
      },
    });
  });

  it('writes on the generation it read only, and answers false when another writer moved it on', async () => {
    const { documentsMock, store } = setup();
    documentsMock.on(PutCommand).resolves({});
    const record = workspaceRecord('ws-1', { state: 'recovering', generation: 4 });
    expect(await store.put(record, 3)).toBe(true);
    expect(documentsMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ id: 'workspace#ws-1', generation: 4 }),
      ConditionExpression: '#generation = :expected',
      ExpressionAttributeNames: { '#generation': 'generation' },
      ExpressionAttributeValues: { ':expected': 3 },
    });
    documentsMock.on(PutCommand).rejects(conditionFailed());
    expect(await store.put(record, 3)).toBe(false);
  });

  it('writes with expected generation 0 only while the item does not exist (a workspace’s first write)', async () => {
    const { documentsMock, store } = setup();
    documentsMock.on(PutCommand).resolves({});
    expect(await store.put(workspaceRecord('ws-1', { state: 'provisioning', generation: 1 }), 0)).toBe(true);
    expect(documentsMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ id: 'workspace#ws-1', generation: 1 }),
      ConditionExpression: 'attribute_not_exists(#key)',
      ExpressionAttributeNames: { '#key': 'id' },
    });
    documentsMock.on(PutCommand).rejects(conditionFailed());
    expect(await store.put(workspaceRecord('ws-1', { generation: 1 }), 0)).toBe(false);
  });

  it('passes any other failure of a write on', async () => {
    const { documentsMock, store } = setup();
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ProvisionedThroughputExceededException',
    });
    documentsMock.on(PutCommand).rejects(throttled);
    await expect(store.put(workspaceRecord('ws-1'), 1)).rejects.toThrow('Rate exceeded');
  });

  // Which states are indexed as live and which expire: the live ones are what reconciliation reads
  // (never expiring under it); a deprovisioned record is kept a month to answer Status Requested.
  const states: ReadonlyArray<[WorkspaceState, { live: boolean; expires: boolean }]> = [
    ['provisioning', { live: true, expires: false }],
    ['running', { live: true, expires: false }],
    ['recovering', { live: true, expires: false }],
    ['stopped', { live: false, expires: false }],
    ['failed', { live: false, expires: false }],
    ['deprovisioned', { live: false, expires: true }],
  ];

  it.each(states)('writes a %s record with liveShard %o', async (state, { live, expires }) => {
    const { documentsMock, store } = setup();
    documentsMock.on(PutCommand).resolves({});
    await store.put(workspaceRecord('ws-1', { state }), 1);
    const item = documentsMock.commandCalls(PutCommand)[0]?.args[0].input.Item ?? {};
    expect(item.state).toBe(state);
    // A whole-item put: a record that leaves the live states loses its liveShard in the same write.
    expect(item.liveShard).toEqual(live ? liveShardOf('ws-1') : undefined);
    // Thirty days, in epoch seconds (the TTL attribute's unit).
    expect(item.expiration).toEqual(expires ? Math.floor(NOW / 1000) + 30 * 24 * 3600 : undefined);
  });

  it('reads a record back consistently, and nothing for an unknown workspace', async () => {
    const { documentsMock, store } = setup();
    const record = workspaceRecord('ws-1', {
      state: 'recovering',
      pendingRecovery: { attempt: 2, cause: 'crashed', previousTaskArn: 't-1', dueAt: NOW + 4_000 },
      recoveries: [NOW - 60_000, NOW],
      generation: 7,
    });
    documentsMock.on(GetCommand, { Key: { id: 'workspace#ws-1' } }).resolves({ Item: itemOf(record) });
    documentsMock.on(GetCommand, { Key: { id: 'workspace#nope' } }).resolves({});
    expect(await store.get('ws-1')).toEqual(record);
    expect(await store.get('nope')).toBeUndefined();
    expect(documentsMock).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, ConsistentRead: true });
  });
});

describe('DynamoDbWorkspaceRecordStore: v1.3 data erase', () => {
  it('writes and reads back a record whose data is being erased', async () => {
    const { documentsMock, store } = setup();
    documentsMock.on(PutCommand).resolves({});
    const record = workspaceRecord('ws-1', {
      state: 'deprovisioned',
      dataErase: { requestId: 'dep-1', requestedAt: NOW },
      generation: 3,
    });
    expect(await store.put(record, 2)).toBe(true);
    const [call] = documentsMock.commandCalls(PutCommand);
    const item = call?.args[0].input.Item as Record<string, unknown>;
    documentsMock.on(GetCommand).resolves({ Item: item });
    expect(await store.get('ws-1')).toEqual(record);
    expect((await store.get('ws-1'))?.dataErase).toEqual({ requestId: 'dep-1', requestedAt: NOW });
  });
});

describe('DynamoDbWorkspaceRecordStore.live: the sparse index, shard by shard', () => {
  /** Pages of the live index per shard: each shard's items in pages of `pageSize`. */
  function answerQueries(
    documentsMock: ReturnType<typeof setup>['documentsMock'],
    byShard: Record<string, WorkspaceRecord[]>,
    pageSize: number,
  ) {
    documentsMock.on(QueryCommand).callsFake((input: Record<string, unknown>) => {
      const shard = (input.ExpressionAttributeValues as Record<string, string>)[':shard'] ?? '';
      const items = (byShard[shard] ?? []).map(itemOf);
      const start = input.ExclusiveStartKey
        ? items.findIndex((item) => item.id === (input.ExclusiveStartKey as { id: string }).id) + 1
        : 0;
      const size = Math.min(pageSize, Number(input.Limit));
      const page = items.slice(start, start + size);
      const last = page.at(-1);
      return {
        Items: page,
        ...(last && start + size < items.length
          ? { LastEvaluatedKey: { id: last.id, liveShard: shard } }
          : {}),
      };
    });
  }

  /** Workspace ids that hash to each shard, `perShard` of each. */
  function idsByShard(perShard: number): Record<string, string[]> {
    const found: Record<string, string[]> = {};
    for (
      let n = 0;
      Object.values(found).filter((ids) => ids.length >= perShard).length < LIVE_SHARDS;
      n += 1
    ) {
      const id = `ws-${n}`;
      const ids = found[liveShardOf(id)] ?? [];
      if (ids.length < perShard) found[liveShardOf(id)] = [...ids, id];
    }
    return found;
  }

  it('queries the index of every shard, following each page, when fewer records are live than the limit', async () => {
    const { documentsMock, store } = setup();
    const shards = idsByShard(3);
    const byShard = Object.fromEntries(
      Object.entries(shards).map(([shard, ids]) => [shard, ids.map((id) => workspaceRecord(id))]),
    );
    answerQueries(documentsMock, byShard, 2);
    const live = await store.live(1_000);
    expect(live.map((record) => record.workspaceId).sort()).toEqual(Object.values(shards).flat().sort());
    const calls = documentsMock.commandCalls(QueryCommand).map((call) => call.args[0].input);
    // Two pages per shard (3 items, pages of 2).
    expect(calls).toHaveLength(2 * LIVE_SHARDS);
    for (const input of calls) {
      expect(input).toMatchObject({
        TableName: TABLE,
        IndexName: LIVE_WORKSPACES_INDEX,
        KeyConditionExpression: '#shard = :shard',
        ExpressionAttributeNames: { '#shard': 'liveShard' },
      });
    }
  });

  it('stops at the limit, asking each page for no more than it still needs', async () => {
    const { documentsMock, store } = setup(() => 0);
    const shards = idsByShard(3);
    const byShard = Object.fromEntries(
      Object.entries(shards).map(([shard, ids]) => [shard, ids.map((id) => workspaceRecord(id))]),
    );
    answerQueries(documentsMock, byShard, 2);
    const live = await store.live(4);
    expect(live.map((record) => record.workspaceId)).toEqual([
      ...(shards['live#0'] ?? []),
      ...(shards['live#1'] ?? []).slice(0, 1),
    ]);
    const calls = documentsMock.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => [input.ExpressionAttributeValues?.[':shard'], input.Limit])).toEqual([
      ['live#0', 4],
      ['live#0', 2],
      ['live#1', 1],
    ]);
  });

  it('starts from a random shard and wraps around, so a small limit does not starve the last shards', async () => {
    const { documentsMock, store } = setup(() => 0.99);
    answerQueries(documentsMock, {}, 10);
    expect(await store.live(10)).toEqual([]);
    const shards = documentsMock
      .commandCalls(QueryCommand)
      .map((call) => call.args[0].input.ExpressionAttributeValues?.[':shard']);
    expect(shards).toEqual(
      Array.from({ length: LIVE_SHARDS }, (_, n) => `live#${(n + LIVE_SHARDS - 1) % LIVE_SHARDS}`),
    );
  });
});

describe('liveShardOf', () => {
  it('is FNV-1a (32-bit) of the workspaceId modulo the shard count', () => {
    // FNV-1a 32-bit test vectors: "a" → 0xe40c292c, "foobar" → 0xbf9cf968
    // (http://www.isthe.com/chongo/tech/comp/fnv/index.html, test vectors of the FNV reference code).
    expect(liveShardOf('a')).toBe(`live#${0xe40c292c % LIVE_SHARDS}`);
    expect(liveShardOf('foobar')).toBe(`live#${0xbf9cf968 % LIVE_SHARDS}`);
  });

  it('spreads workspaces over all the shards', () => {
    const used = new Set(Array.from({ length: 1_000 }, (_, n) => liveShardOf(`ws-${n}`)));
    expect([...used].sort()).toEqual(Array.from({ length: LIVE_SHARDS }, (_, n) => `live#${n}`).sort());
  });
});
