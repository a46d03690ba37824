import { describe, expect, it } from 'vitest';
import { recordDeprovisioned, recordProvisioning } from '#functions/launch/workspace-record-writes.ts';
import { workspaceRecord } from '../../fixtures/workspace-records.ts';
import { FakeClock, InMemoryWorkspaceRecordStore } from './harness.ts';

/** v1.3: the workspace record's `dataErase`, written by an erasing deprovision and dropped by a provision. */
function setup() {
  const clock = new FakeClock();
  const workspaceRecords = new InMemoryWorkspaceRecordStore();
  return { clock, workspaceRecords, ports: { clock, workspaceRecords } };
}

describe('the workspace record of an erase', () => {
  it('a deprovision with erase records the erase with the deprovisioned state', async () => {
    const { ports, workspaceRecords, clock } = setup();
    await workspaceRecords.put(workspaceRecord('ws-1'));
    const erase = { requestId: 'dep-1', requestedAt: clock.now() };

    await recordDeprovisioned('ws-1', ports, erase);

    const record = await workspaceRecords.get('ws-1');
    expect(record).toMatchObject({ state: 'deprovisioned', dataErase: erase, generation: 2 });
    expect(record?.taskArn).toBeUndefined();
  });

  it('a deprovision without erase records none', async () => {
    const { ports, workspaceRecords } = setup();
    await workspaceRecords.put(workspaceRecord('ws-1'));
    await recordDeprovisioned('ws-1', ports);
    const record = await workspaceRecords.get('ws-1');
    expect(record?.state).toBe('deprovisioned');
    expect(record?.dataErase).toBeUndefined();
    // The stopped task is kept apart, for a data save the sweep may have to resume.
    expect(record).toMatchObject({ lastTaskArn: workspaceRecord('ws-1').taskArn });
    expect(record?.taskArn).toBeUndefined();
  });

  it('an erase of a workspace already deprovisioned is still recorded, once, keeping the first', async () => {
    const { ports, workspaceRecords, clock } = setup();
    await workspaceRecords.put(workspaceRecord('ws-1', { state: 'deprovisioned', since: 5 }));
    const first = { requestId: 'dep-2', requestedAt: clock.now() };

    await recordDeprovisioned('ws-1', ports, first);
    await recordDeprovisioned('ws-1', ports, { requestId: 'dep-3', requestedAt: clock.now() + 1 });

    expect(await workspaceRecords.get('ws-1')).toMatchObject({
      state: 'deprovisioned',
      since: 5,
      dataErase: first,
      generation: 2,
    });
  });

  it('a later provision writes a fresh record, without the erase', async () => {
    const { ports, workspaceRecords, clock } = setup();
    const erased = workspaceRecord('ws-1', {
      state: 'deprovisioned',
      dataErase: { requestId: 'dep-1', requestedAt: clock.now() },
      generation: 4,
    });
    await workspaceRecords.put(erased);

    const written = await recordProvisioning({ ...erased.request, requestId: 'req-2' }, ports);

    expect(written).toMatchObject({ state: 'provisioning', generation: 5 });
    expect(written?.dataErase).toBeUndefined();
    expect((await workspaceRecords.get('ws-1'))?.dataErase).toBeUndefined();
  });
});
