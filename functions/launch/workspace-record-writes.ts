/**
 * v1.2: the workspace record's writes by provision and deprovision (decision 019). A launch records
 * the workspace `provisioning` with its request before RunTask (so task-state can take the new
 * task's Running for it even before the task is named), then names the task; a launch that fails
 * for good leaves it `failed`; a deprovision leaves it `deprovisioned`, which ends any recovery
 * waiting out its backoff and makes the reconciliation stop any task still running for it. Each
 * runs under the workspace's lease; task-state's writes are conditional on the generation.
 */
import type { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import { WorkspaceBusyError } from '#policies/errors.ts';
import type { Clock } from '#ports/clock.ts';
import type { DataErase, WorkspaceRecord, WorkspaceRecordStore } from '#ports/workspace-record-store.ts';

/** What the writes run on. */
export interface WorkspaceRecordWritePorts {
  readonly workspaceRecords: WorkspaceRecordStore;
  readonly clock: Clock;
}

/** A conditional write lost to task-state's: re-read and try again, a few times. */
const WRITE_ATTEMPTS = 3;

/**
 * Re-reads the record and writes what `change` makes of it, conditional on the generation read, a
 * few times if another step wins in between. `change` answers undefined (or the record itself)
 * when nothing is to be written. False when every attempt lost.
 */
export async function updateWorkspaceRecord(
  workspaceId: string,
  ports: Pick<WorkspaceRecordWritePorts, 'workspaceRecords'>,
  change: (record: WorkspaceRecord) => WorkspaceRecord | undefined,
): Promise<boolean> {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const record = await ports.workspaceRecords.get(workspaceId);
    if (!record) return true;
    const next = change(record);
    if (!next || next === record || (await ports.workspaceRecords.put(next, record.generation))) return true;
  }
  return false;
}

/**
 * Before RunTask: the workspace is `provisioning` this request, with no task yet. `read` is the
 * record as read earlier (the launch reads it alongside its other checks, off the path to RunTask);
 * should it have changed since, the write reads it again.
 */
export async function recordProvisioning(
  request: ProvisionRequestedDetail,
  ports: WorkspaceRecordWritePorts,
  read?: Promise<WorkspaceRecord | undefined>,
): Promise<WorkspaceRecord | undefined> {
  let existing = await (read ?? ports.workspaceRecords.get(request.workspaceId));
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const record: WorkspaceRecord = {
      workspaceId: request.workspaceId,
      orgId: request.orgId,
      kind: request.kind,
      runtime: request.runtime,
      request,
      state: 'provisioning',
      since: ports.clock.now(),
      // A crash loop is the same workspace's, whichever request launched it.
      recoveries: existing?.recoveries ?? [],
      generation: (existing?.generation ?? 0) + 1,
    };
    // 0: only while there is still no record (two first launches racing cannot both write it).
    if (await ports.workspaceRecords.put(record, existing?.generation ?? 0)) return record;
    existing = await ports.workspaceRecords.get(request.workspaceId);
  }
  return undefined;
}

/**
 * After RunTask: the record names the task, unless task-state got there first. `written` is the
 * record {@link recordProvisioning} wrote: while it is still the stored one, one conditional write
 * does, without reading it back.
 */
export async function recordTask(
  workspaceId: string,
  requestId: string,
  taskArn: string,
  ports: WorkspaceRecordWritePorts,
  written?: WorkspaceRecord,
): Promise<void> {
  // The new task is recorded: what it replaced and the recovery it carried out are done with.
  const named = (record: WorkspaceRecord): WorkspaceRecord => {
    const { replacedTaskArns: _replaced, pendingRecovery: _done, ...rest } = record;
    return { ...rest, taskArn, generation: record.generation + 1 };
  };
  if (written && (await ports.workspaceRecords.put(named(written), written.generation))) return;
  await updateWorkspaceRecord(workspaceId, ports, (record) =>
    record.request.requestId === requestId && record.taskArn === undefined ? named(record) : undefined,
  );
}

/** A launch that failed for good. */
export async function recordFailed(
  workspaceId: string,
  requestId: string,
  ports: WorkspaceRecordWritePorts,
): Promise<void> {
  await updateWorkspaceRecord(workspaceId, ports, (record) =>
    record.request.requestId === requestId && record.state === 'provisioning'
      ? { ...record, state: 'failed', since: ports.clock.now(), generation: record.generation + 1 }
      : undefined,
  );
}

/**
 * A deprovision: whatever the workspace was doing, it is over. v1.3: with `erase` (a deprovision
 * with `erase: true`), the record also says the workspace's data is being erased; a deprovision of
 * a workspace already deprovisioned still records its erase.
 *
 * @throws WorkspaceBusyError (retryable) when the record kept changing under it: a deprovision that
 *   is not recorded would let a pending recovery bring the workspace back.
 */
export async function recordDeprovisioned(
  workspaceId: string,
  ports: WorkspaceRecordWritePorts,
  erase?: DataErase,
): Promise<void> {
  const written = await updateWorkspaceRecord(workspaceId, ports, (record) => {
    const eraseRecorded = !erase || record.dataErase !== undefined;
    if (record.state === 'deprovisioned' && eraseRecorded) return undefined;
    const {
      pendingRecovery: _cancelled,
      taskArn: _stopped,
      url: _gone,
      replacedTaskArns: _replaced,
      ...rest
    } = record;
    return {
      ...rest,
      ...(record.taskArn ? { lastTaskArn: record.taskArn } : {}),
      state: 'deprovisioned',
      since: record.state === 'deprovisioned' ? record.since : ports.clock.now(),
      ...(erase && !record.dataErase ? { dataErase: erase } : {}),
      generation: record.generation + 1,
    };
  });
  if (!written) {
    throw new WorkspaceBusyError(
      `the record of workspace ${workspaceId} kept changing under its deprovision; the platform will retry`,
    );
  }
}
