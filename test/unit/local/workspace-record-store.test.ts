import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteWorkspaceRecordStore } from '#local/ports/workspace-record-store.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';
import type { WorkspaceRecordStore } from '#ports/workspace-record-store.ts';
import { workspaceRecord } from '../../fixtures/workspace-records.ts';
import { InMemoryWorkspaceRecordStore } from '../handlers/harness.ts';

/**
 * The workspace-record store's behaviour (v1.2), the same for the SQLite store the local stack uses
 * and the in-memory one the handler tests use (so the handler tests stand for the real store).
 */
const stores: ReadonlyArray<[string, () => WorkspaceRecordStore]> = [
  ['sqlite', () => new SqliteWorkspaceRecordStore(openDatabase(IN_MEMORY))],
  ['in-memory', () => new InMemoryWorkspaceRecordStore()],
];

describe.each(stores)('workspace-record store (%s)', (_name, make) => {
  it('writes a record without an expected generation, and reads it back as written', async () => {
    const store = make();
    const record = workspaceRecord('ws-1', { pendingRecovery: { attempt: 1, cause: 'crashed', dueAt: 5 } });
    expect(await store.get('ws-1')).toBeUndefined();
    expect(await store.put(record)).toBe(true);
    expect(await store.get('ws-1')).toEqual(record);
  });

  it('keeps a data erase (v1.3) as written', async () => {
    const store = make();
    const record = workspaceRecord('ws-1', {
      state: 'deprovisioned',
      dataErase: { requestId: 'dep-1', requestedAt: 42 },
    });
    expect(await store.put(record)).toBe(true);
    expect((await store.get('ws-1'))?.dataErase).toEqual({ requestId: 'dep-1', requestedAt: 42 });
  });

  it('writes with an expected generation only while the stored one is that', async () => {
    const store = make();
    await store.put(workspaceRecord('ws-1', { generation: 4 }));
    expect(await store.put(workspaceRecord('ws-1', { generation: 5, state: 'stopped' }), 3)).toBe(false);
    expect(await store.get('ws-1')).toMatchObject({ generation: 4, state: 'running' });
    expect(await store.put(workspaceRecord('ws-1', { generation: 5, state: 'stopped' }), 4)).toBe(true);
    expect(await store.get('ws-1')).toMatchObject({ generation: 5, state: 'stopped' });
    // No record to match: a conditional write of one that does not exist writes nothing.
    expect(await store.put(workspaceRecord('ws-2', { generation: 2 }), 1)).toBe(false);
    expect(await store.get('ws-2')).toBeUndefined();
  });

  it('writes with expected generation 0 only while there is no record: one of two first writes wins', async () => {
    const store = make();
    expect(await store.put(workspaceRecord('ws-1', { generation: 1, state: 'provisioning' }), 0)).toBe(true);
    expect(await store.put(workspaceRecord('ws-1', { generation: 1, state: 'running' }), 0)).toBe(false);
    expect(await store.get('ws-1')).toMatchObject({ generation: 1, state: 'provisioning' });
  });

  it('lists the live records only (provisioning, running, recovering), at most the limit', async () => {
    const store = make();
    const states = ['provisioning', 'running', 'recovering', 'stopped', 'deprovisioned', 'failed'] as const;
    for (const [index, state] of states.entries()) await store.put(workspaceRecord(`ws-${index}`, { state }));
    const live = await store.live(10);
    expect(live.map((record) => record.state).sort()).toEqual(['provisioning', 'recovering', 'running']);
    expect(await store.live(2)).toHaveLength(2);
  });
});

describe('the SQLite workspace-record store', () => {
  it('keeps its records across a restart of the stack on the same state directory', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'workspace-records-'));
    try {
      const first = openDatabase(stateDir);
      await new SqliteWorkspaceRecordStore(first).put(workspaceRecord('ws-1', { state: 'recovering' }));
      first.close();
      const again = openDatabase(stateDir);
      expect(await new SqliteWorkspaceRecordStore(again).get('ws-1')).toMatchObject({ state: 'recovering' });
      again.close();
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
