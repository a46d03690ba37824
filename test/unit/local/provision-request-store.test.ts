import { describe, expect, it } from 'vitest';
import { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import { SqliteProvisionRequestStore } from '#local/ports/provision-request-store.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';
import type { ProvisionRequestRecord, ProvisionRequestStore } from '#ports/provision-request-store.ts';
import { InMemoryProvisionRequestStore } from '../handlers/harness.ts';

/**
 * The provision-request store's behaviour, the same for the SQLite store the local stack uses and
 * the in-memory one the handler tests use (so the handler tests stand for the real store).
 */
const record = (
  requestId: string,
  overrides: Partial<ProvisionRequestRecord> = {},
): ProvisionRequestRecord => ({
  request: ProvisionRequestedDetail.parse({
    requestId,
    workspaceId: `ws-${requestId}`,
    orgId: 'o',
    runtime: 'codex',
  }),
  status: 'awaiting-assets',
  recordedAt: 1_000,
  template: 'platform-agent',
  destination: `s3://workspace-files/staged/o/ws-${requestId}/${requestId}/`,
  assetsDeadline: 2_000,
  secrets: ['org'],
  ...overrides,
});

const stores: ReadonlyArray<[string, () => ProvisionRequestStore]> = [
  ['sqlite', () => new SqliteProvisionRequestStore(openDatabase(IN_MEMORY))],
  ['in-memory', () => new InMemoryProvisionRequestStore()],
];

describe.each(stores)('provision-request store (%s)', (_name, make) => {
  it('records a request once and reads it back as recorded', async () => {
    const store = make();
    expect(await store.create(record('r1'))).toBe(true);
    expect(await store.create(record('r1', { status: 'launching' }))).toBe(false);
    expect(await store.get('r1')).toEqual(record('r1'));
    expect(await store.get('nope')).toBeUndefined();
  });

  it('moves a request only from the statuses given, with the fields given', async () => {
    const store = make();
    await store.create(record('r1'));
    expect(await store.transition('r1', ['launching'], 'launched')).toBe(false);
    expect(await store.transition('r1', ['awaiting-assets'], 'launching')).toBe(true);
    // Two steps racing for one request: only the first wins.
    expect(await store.transition('r1', ['awaiting-assets'], 'failed')).toBe(false);
    const manifest = [{ path: 'config.yaml', bytes: 3, sha256: 'a'.repeat(64) }];
    expect(
      await store.transition('r1', ['launching'], 'launched', {
        manifest,
        effectiveConfig: { a: 1 },
        taskArn: 't-1',
      }),
    ).toBe(true);
    expect(await store.get('r1')).toMatchObject({
      status: 'launched',
      manifest,
      effectiveConfig: { a: 1 },
      taskArn: 't-1',
    });
    expect(await store.transition('nope', ['awaiting-assets'], 'failed')).toBe(false);
  });

  it('finds the requests awaiting assets past their deadline, and no others', async () => {
    const store = make();
    await store.create(record('late', { assetsDeadline: 1_500 }));
    await store.create(record('due', { assetsDeadline: 2_000 }));
    await store.create(record('early', { assetsDeadline: 2_001 }));
    await store.create(record('launched', { assetsDeadline: 1_000 }));
    await store.transition('launched', ['awaiting-assets'], 'launching');
    const overdue = await store.overdueAwaitingAssets(2_000, 10);
    expect(overdue.map((found) => found.request.requestId).sort()).toEqual(['due', 'late']);
    expect(await store.overdueAwaitingAssets(2_000, 1)).toHaveLength(1);
  });

  it('finds a request by the task it recorded', async () => {
    const store = make();
    await store.create(record('r1', { status: 'launching' }));
    expect(await store.findByTask('t-1')).toBeUndefined();
    await store.transition('r1', ['launching'], 'launched', { taskArn: 't-1' });
    expect((await store.findByTask('t-1'))?.request.requestId).toBe('r1');
  });

  it('claims the overlay report of a task once, and again for the next task', async () => {
    const store = make();
    await store.create(record('r1'));
    expect(await store.claimOverlayReport('r1', 't-1')).toBe(true);
    expect(await store.claimOverlayReport('r1', 't-1')).toBe(false);
    expect(await store.claimOverlayReport('r1', 't-2')).toBe(true);
    expect(await store.claimOverlayReport('nope', 't-1')).toBe(false);
  });
});
