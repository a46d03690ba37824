import { BasePersistenceLayer, type IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import type { LocalDatabase } from '#local/interfaces.ts';
import type {
  ProvisionRequestRecord,
  ProvisionRequestStatus,
  ProvisionRequestStore,
  ProvisionRequestUpdate,
} from '#ports/provision-request-store.ts';
import type { TaskVersionStore } from '#ports/task-version-store.ts';
import type { WorkspaceLaunchRecord, WorkspaceLeaseStore } from '#ports/workspace-lease-store.ts';
import type { WorkspaceRecord, WorkspaceRecordStore } from '#ports/workspace-record-store.ts';
import {
  IdempotencyTable,
  type IdempotencyWrite,
  recordOrNotFound,
  SqliteIdempotencyStore,
  throwIfExisting,
  toWrite,
} from './idempotency-store.ts';
import { SqliteProvisionRequestStore } from './provision-request-store.ts';
import { SqliteTaskVersionStore } from './task-version-store.ts';
import { SqliteWorkspaceLeaseStore } from './workspace-lease-store.ts';
import { SqliteWorkspaceRecordStore } from './workspace-record-store.ts';

/** The durable ports a handler is built with. */
export interface HandlerPorts {
  /** A fresh idempotency layer (one per handler: Powertools configures it per function). */
  idempotencyStore(): BasePersistenceLayer;
  readonly workspaceLeases: WorkspaceLeaseStore;
  readonly taskVersions: TaskVersionStore;
  /** v1.1: the provision requests the provisioner recorded. */
  readonly provisionRequests: ProvisionRequestStore;
  /** v1.2: the workspace records. */
  readonly workspaceRecords: WorkspaceRecordStore;
}

/** The ports on `database` itself, for handlers on the stack's own thread. */
export function localPorts(database: LocalDatabase): HandlerPorts {
  return {
    idempotencyStore: () => new SqliteIdempotencyStore(database),
    workspaceLeases: new SqliteWorkspaceLeaseStore(database),
    taskVersions: new SqliteTaskVersionStore(database),
    provisionRequests: new SqliteProvisionRequestStore(database),
    workspaceRecords: new SqliteWorkspaceRecordStore(database),
  };
}

/**
 * The port operations a handler thread asks the stack's thread to run. Every sqlite write stays on
 * the stack's one connection: a second connection would contend for the write lock and re-read its
 * page cache after each of the other's commits, which costs more than the message round trip.
 */
export interface PortOperations {
  'lease.acquire'(workspaceId: string, owner: string, ttlMs: number): boolean;
  'lease.release'(workspaceId: string, owner: string): void;
  'lease.recordLaunch'(record: WorkspaceLaunchRecord): void;
  'lease.lastLaunch'(workspaceId: string): WorkspaceLaunchRecord | undefined;
  'version.advance'(taskArn: string, version: number): boolean;
  'version.get'(taskArn: string): number | undefined;
  'idempotency.get'(id: string): ReturnType<IdempotencyTable['get']>;
  'idempotency.put'(write: IdempotencyWrite): ReturnType<IdempotencyTable['put']>;
  'idempotency.update'(write: IdempotencyWrite): void;
  'idempotency.delete'(id: string): void;
  'request.create'(record: ProvisionRequestRecord): boolean;
  'request.get'(requestId: string): ProvisionRequestRecord | undefined;
  'request.transition'(
    requestId: string,
    from: readonly ProvisionRequestStatus[],
    to: ProvisionRequestStatus,
    update?: ProvisionRequestUpdate,
  ): boolean;
  'request.overdue'(now: number, limit: number): ProvisionRequestRecord[];
  'request.byTask'(taskArn: string): ProvisionRequestRecord | undefined;
  'request.claimOverlay'(requestId: string, taskArn: string): boolean;
  'workspace.get'(workspaceId: string): WorkspaceRecord | undefined;
  'workspace.put'(record: WorkspaceRecord, expectedGeneration?: number): boolean;
  'workspace.live'(limit: number): WorkspaceRecord[];
}

export type PortOperation = keyof PortOperations;

/** Sends one port operation to the stack's thread and resolves with its result. */
export type PortCall = <K extends PortOperation>(
  operation: K,
  args: Parameters<PortOperations[K]>,
) => Promise<ReturnType<PortOperations[K]>>;

/** The stack's side: runs the operations on `database`, synchronously. */
export function portOperations(database: LocalDatabase): PortOperations {
  const leases = new SqliteWorkspaceLeaseStore(database);
  const versions = new SqliteTaskVersionStore(database);
  const idempotency = new IdempotencyTable(database);
  const requests = new SqliteProvisionRequestStore(database);
  const workspaces = new SqliteWorkspaceRecordStore(database);
  return {
    'workspace.get': (workspaceId) => workspaces.getNow(workspaceId),
    'workspace.put': (record, expectedGeneration) => workspaces.putNow(record, expectedGeneration),
    'workspace.live': (limit) => workspaces.liveNow(limit),
    'request.create': (record) => requests.createNow(record),
    'request.get': (requestId) => requests.getNow(requestId),
    'request.transition': (requestId, from, to, update) =>
      requests.transitionNow(requestId, from, to, update),
    'request.overdue': (now, limit) => requests.overdueNow(now, limit),
    'request.byTask': (taskArn) => requests.findByTaskNow(taskArn),
    'request.claimOverlay': (requestId, taskArn) => requests.claimNow(requestId, taskArn),
    'lease.acquire': (workspaceId, owner, ttlMs) => leases.acquireNow(workspaceId, owner, ttlMs),
    'lease.release': (workspaceId, owner) => leases.releaseNow(workspaceId, owner),
    'lease.recordLaunch': (record) => leases.recordLaunchNow(record),
    'lease.lastLaunch': (workspaceId) => leases.lastLaunchNow(workspaceId),
    'version.advance': (taskArn, version) => versions.advanceNow(taskArn, version),
    'version.get': (taskArn) => versions.getNow(taskArn),
    'idempotency.get': (id) => idempotency.get(id),
    'idempotency.put': (write) => idempotency.put(write),
    'idempotency.update': (write) => idempotency.update(write),
    'idempotency.delete': (id) => idempotency.delete(id),
  };
}

/** Powertools idempotency persistence whose records live on the stack's thread. */
class RemoteIdempotencyStore extends BasePersistenceLayer {
  readonly #call: PortCall;

  constructor(call: PortCall) {
    super();
    this.#call = call;
  }

  protected override async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    return recordOrNotFound(await this.#call('idempotency.get', [idempotencyKey]));
  }

  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    const existing = await this.#call('idempotency.put', [
      toWrite(record, this.isPayloadValidationEnabled()),
    ]);
    throwIfExisting(record, existing);
  }

  protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
    await this.#call('idempotency.update', [toWrite(record, this.isPayloadValidationEnabled())]);
  }

  protected override async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    await this.#call('idempotency.delete', [record.idempotencyKey]);
  }
}

/** The ports of a handler thread: each operation is a message to the stack's thread. */
export function remotePorts(call: PortCall): HandlerPorts {
  return {
    idempotencyStore: () => new RemoteIdempotencyStore(call),
    workspaceLeases: {
      acquire: (workspaceId, owner, ttlMs) => call('lease.acquire', [workspaceId, owner, ttlMs]),
      release: (workspaceId, owner) => call('lease.release', [workspaceId, owner]),
      recordLaunch: (record) => call('lease.recordLaunch', [record]),
      lastLaunch: (workspaceId) => call('lease.lastLaunch', [workspaceId]),
    },
    taskVersions: {
      advance: (taskArn, version) => call('version.advance', [taskArn, version]),
      get: (taskArn) => call('version.get', [taskArn]),
    },
    provisionRequests: {
      create: (record) => call('request.create', [record]),
      get: (requestId) => call('request.get', [requestId]),
      transition: (requestId, from, to, update) => call('request.transition', [requestId, from, to, update]),
      overdueAwaitingAssets: (now, limit) => call('request.overdue', [now, limit]),
      findByTask: (taskArn) => call('request.byTask', [taskArn]),
      claimOverlayReport: (requestId, taskArn) => call('request.claimOverlay', [requestId, taskArn]),
    },
    workspaceRecords: {
      get: (workspaceId) => call('workspace.get', [workspaceId]),
      put: (record, expectedGeneration) => call('workspace.put', [record, expectedGeneration]),
      live: (limit) => call('workspace.live', [limit]),
    },
  };
}
