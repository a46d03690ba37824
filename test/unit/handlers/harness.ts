import {
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
  IdempotencyRecordStatus,
} from '@aws-lambda-powertools/idempotency';
import { BasePersistenceLayer, type IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import type { Instrumentation } from '#adapters/instrumentation.ts';
import { type Catalog, loadCatalog } from '#config/catalog.ts';
import { loadOverlays, type OverlayTable } from '#config/overlays.ts';
import { EBS_SNAPSHOT_NOTIFICATION, EC2_SOURCE } from '#contracts/names.ts';
import { DETAIL_SCHEMAS } from '#contracts/registry.ts';
import type { Clock } from '#ports/clock.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import { isLiveWorkspaceState } from '#ports/live-workspace-states.ts';
import type {
  ProvisionRequestRecord,
  ProvisionRequestStatus,
  ProvisionRequestStore,
  ProvisionRequestUpdate,
} from '#ports/provision-request-store.ts';
import type { TaskVersionStore } from '#ports/task-version-store.ts';
import type { WorkspaceFiles } from '#ports/workspace-files.ts';
import type { WorkspaceLaunchRecord, WorkspaceLeaseStore } from '#ports/workspace-lease-store.ts';
import type { WorkspaceRecord, WorkspaceRecordStore } from '#ports/workspace-record-store.ts';
import 'aws-sdk-client-mock-vitest/extend';

/**
 * Shared test doubles for the handler and adapter tests: a fake clock (nothing really sleeps),
 * a Lambda context whose remaining time follows that clock, in-memory stores behind the ports,
 * quiet Powertools instances whose EMF output is captured, and SDK client mocks.
 */

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/workspaces`;
export const taskArnOf = (id: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task/workspaces/${id}`;
export const taskDefinitionArnOf = (runtime: string, revision = 1) =>
  `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/workspace-${runtime}:${revision}`;

export const SETTINGS: HandlerSettings = {
  eventBusName: 'workspaces',
  provisionerSource: 'platform.provisioner',
  launchTarget: { cluster: CLUSTER_ARN, subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-1'] },
};

export const testCatalog = (): Catalog =>
  loadCatalog({ registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com', tag: 'v42' });

/** Time that only moves when someone sleeps or the test advances it. */
export class FakeClock implements Clock {
  #now: number;
  readonly sleeps: number[] = [];
  constructor(start = Date.parse('2026-03-01T12:00:00Z')) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.#now += ms;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

/** A Lambda context whose remaining time runs down with the fake clock. */
export function lambdaContext(clock: Clock, timeoutMs = 60_000, functionName = 'test-function'): Context {
  const deadline = clock.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: `aws-request-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => Math.max(0, deadline - clock.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A Powertools persistence layer in memory, with DynamoDB's conditional-put semantics. */
export class InMemoryPersistenceLayer extends BasePersistenceLayer {
  readonly records = new Map<string, IdempotencyRecord>();

  protected override async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    const record = this.records.get(idempotencyKey);
    if (!record) throw new IdempotencyItemNotFoundError();
    return record;
  }

  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    const existing = this.records.get(record.idempotencyKey);
    const inProgressExpired =
      existing?.getStatus() === IdempotencyRecordStatus.INPROGRESS &&
      existing.inProgressExpiryTimestamp !== undefined &&
      existing.inProgressExpiryTimestamp < Date.now();
    if (existing && !existing.isExpired() && !inProgressExpired) {
      throw new IdempotencyItemAlreadyExistsError(`record exists: ${record.idempotencyKey}`, existing);
    }
    this.records.set(record.idempotencyKey, record);
  }

  protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
    this.records.set(record.idempotencyKey, record);
  }

  protected override async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.records.delete(record.idempotencyKey);
  }
}

export class InMemoryTaskVersionStore implements TaskVersionStore {
  readonly versions = new Map<string, number>();
  async get(taskArn: string) {
    return this.versions.get(taskArn);
  }
  async advance(taskArn: string, version: number) {
    const current = this.versions.get(taskArn);
    if (current !== undefined && current >= version) return false;
    this.versions.set(taskArn, version);
    return true;
  }
}

export class InMemoryWorkspaceLeaseStore implements WorkspaceLeaseStore {
  readonly leases = new Map<string, { owner: string; expiresAt: number }>();
  readonly launches = new Map<string, WorkspaceLaunchRecord>();
  constructor(private readonly clock: Clock) {}
  async acquire(workspaceId: string, owner: string, ttlMs: number) {
    const held = this.leases.get(workspaceId);
    if (held && held.owner !== owner && held.expiresAt >= this.clock.now()) return false;
    this.leases.set(workspaceId, { owner, expiresAt: this.clock.now() + ttlMs });
    return true;
  }
  async release(workspaceId: string, owner: string) {
    if (this.leases.get(workspaceId)?.owner === owner) this.leases.delete(workspaceId);
  }
  async recordLaunch(record: WorkspaceLaunchRecord) {
    this.launches.set(record.workspaceId, record);
  }
  async lastLaunch(workspaceId: string) {
    return this.launches.get(workspaceId);
  }
}

/** One metric as it reached CloudWatch EMF: name, value and the dimensions of its blob. */
export interface EmittedMetric {
  readonly name: string;
  readonly value: number;
  readonly dimensions: Readonly<Record<string, string>>;
}

/**
 * Quiet Powertools: a silent logger, tracing off, and metrics printed through a spied
 * `console.log` (POWERTOOLS_DEV) so the EMF blobs can be read back with `emittedMetrics()`.
 * Call in `beforeEach`; `vi.unstubAllEnvs()` and `vi.restoreAllMocks()` undo it.
 */
export function quietInstrumentation(): Instrumentation & { emittedMetrics(): EmittedMetric[] } {
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  const blobs: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
    if (typeof line === 'string' && line.includes('"_aws"')) blobs.push(line);
  });
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const metrics = new Metrics({ serviceName: 'test', namespace: 'Test', logger });
  const tracer = new Tracer({ serviceName: 'test', enabled: false });
  return {
    logger,
    metrics,
    tracer,
    emittedMetrics: () =>
      blobs.flatMap((line) => {
        const blob = JSON.parse(line) as Record<string, unknown> & {
          _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> };
        };
        const directive = blob._aws.CloudWatchMetrics[0];
        const dimensions = Object.fromEntries(
          (directive?.Dimensions[0] ?? []).map((name) => [name, String(blob[name])]),
        );
        return (directive?.Metrics ?? []).map((metric) => {
          const raw = blob[metric.Name];
          const value = Array.isArray(raw)
            ? raw.reduce((sum: number, item: number) => sum + item, 0)
            : Number(raw);
          return { name: metric.Name, value, dimensions };
        });
      }),
  };
}

/** Sum of a metric's values, optionally only where a dimension has a value. */
export function metricTotal(
  metrics: readonly EmittedMetric[],
  name: string,
  dimensions: Record<string, string> = {},
): number {
  return metrics
    .filter((metric) => metric.name === name)
    .filter((metric) => Object.entries(dimensions).every(([key, value]) => metric.dimensions[key] === value))
    .reduce((sum, metric) => sum + metric.value, 0);
}

/** An ECS client and its mock. */
export function ecsWithMock() {
  const ecs = new ECSClient({
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return { ecs, ecsMock: mockClient(ecs) };
}

/** v1.3: an EC2 client (data volumes and snapshots) and its mock. */
export function ec2WithMock() {
  const ec2 = new EC2Client({
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return { ec2, ec2Mock: mockClient(ec2) };
}

/** An EventBridge client and its mock, accepting every entry unless the test says otherwise. */
export function eventBridgeWithMock() {
  const eventBridge = new EventBridgeClient({
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const eventBridgeMock = mockClient(eventBridge);
  eventBridgeMock.on(PutEventsCommand).callsFake(acceptAll);
  return { eventBridge, eventBridgeMock };
}

/** A PutEvents answer that accepts every entry. */
export const acceptAll = (input: { Entries?: PutEventsRequestEntry[] }) => ({
  FailedEntryCount: 0,
  Entries: (input.Entries ?? []).map((_, index) => ({ EventId: `event-${index}` })),
});

export interface PublishedEvent {
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  readonly source?: string;
  readonly eventBusName?: string;
  readonly resources?: string[];
}

/**
 * Every entry sent with PutEvents, in order (an entry sent again after a failure appears again).
 * Each detail is also checked against its public contract, so a test also proves the event is
 * well-formed.
 */
export function sentEvents(
  eventBridgeMock: ReturnType<typeof eventBridgeWithMock>['eventBridgeMock'],
): PublishedEvent[] {
  const sent: PublishedEvent[] = [];
  for (const call of eventBridgeMock.commandCalls(PutEventsCommand)) {
    for (const entry of call.args[0].input.Entries ?? []) {
      const detail = JSON.parse(entry.Detail ?? '{}') as Record<string, unknown>;
      const detailType = entry.DetailType ?? '';
      const schema = DETAIL_SCHEMAS[detailType as keyof typeof DETAIL_SCHEMAS];
      if (schema) schema.parse(detail);
      sent.push({
        detailType,
        detail,
        ...(entry.Source ? { source: entry.Source } : {}),
        ...(entry.EventBusName ? { eventBusName: entry.EventBusName } : {}),
        ...(entry.Resources ? { resources: entry.Resources } : {}),
      });
    }
  }
  return sent;
}

/**
 * An AWS service error as the SDK throws it, for errors the SDK has no class for (ECS's
 * ThrottlingException is not modeled).
 */
export function serviceError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode } });
}

/** The `errors[].path` of a sent `Workspace Provision Rejected`, sorted. */
export function rejectedPaths(event: PublishedEvent | undefined): string[] {
  const errors = (event?.detail.errors ?? []) as Array<{ path: string }>;
  return errors.map((error) => error.path).sort();
}

let eventCounter = 0;

/** A standard EventBridge envelope around `detail`. */
export function envelope(detailType: string, detail: unknown, overrides: Record<string, unknown> = {}) {
  eventCounter += 1;
  return {
    version: '0',
    id: `00000000-0000-4000-8000-${String(eventCounter).padStart(12, '0')}`,
    'detail-type': detailType,
    source: 'platform.workspace-server',
    account: ACCOUNT,
    time: '2026-03-01T12:00:00Z',
    region: REGION,
    resources: [],
    detail,
    ...overrides,
  };
}

/** The workspace files bucket in memory; `reads` records every key read (never a secrets key). */
export class InMemoryWorkspaceFiles implements WorkspaceFiles {
  readonly objects = new Map<string, Buffer>();
  readonly reads: string[] = [];
  async exists(key: string): Promise<boolean> {
    return this.objects.has(key);
  }
  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }
  async get(key: string): Promise<Buffer> {
    this.reads.push(key);
    const body = this.objects.get(key);
    if (!body) throw new Error(`NoSuchKey: ${key}`);
    return body;
  }
  async put(key: string, body: Buffer | string): Promise<void> {
    this.objects.set(key, Buffer.isBuffer(body) ? body : Buffer.from(body));
  }
}

/** The provision-request store in memory, with the same conditional transitions. */
export class InMemoryProvisionRequestStore implements ProvisionRequestStore {
  readonly records = new Map<string, ProvisionRequestRecord>();
  async create(record: ProvisionRequestRecord): Promise<boolean> {
    if (this.records.has(record.request.requestId)) return false;
    this.records.set(record.request.requestId, structuredClone(record));
    return true;
  }
  async get(requestId: string): Promise<ProvisionRequestRecord | undefined> {
    const record = this.records.get(requestId);
    return record ? structuredClone(record) : undefined;
  }
  async transition(
    requestId: string,
    from: readonly ProvisionRequestStatus[],
    to: ProvisionRequestStatus,
    update: ProvisionRequestUpdate = {},
  ): Promise<boolean> {
    const record = this.records.get(requestId);
    if (!record || !from.includes(record.status)) return false;
    this.records.set(requestId, { ...record, ...structuredClone(update), status: to });
    return true;
  }
  async overdueAwaitingAssets(now: number, limit: number): Promise<ProvisionRequestRecord[]> {
    return [...this.records.values()]
      .filter((record) => record.status === 'awaiting-assets' && (record.assetsDeadline ?? Infinity) <= now)
      .slice(0, limit)
      .map((record) => structuredClone(record));
  }
  async findByTask(taskArn: string): Promise<ProvisionRequestRecord | undefined> {
    const record = [...this.records.values()].find((candidate) => candidate.taskArn === taskArn);
    return record ? structuredClone(record) : undefined;
  }
  async claimOverlayReport(requestId: string, taskArn: string): Promise<boolean> {
    const record = this.records.get(requestId);
    if (!record || record.overlayReportedTaskArn === taskArn) return false;
    this.records.set(requestId, { ...record, overlayReportedTaskArn: taskArn });
    return true;
  }
}

/** The workspace-record store in memory, with the same generation-conditional writes. */
export class InMemoryWorkspaceRecordStore implements WorkspaceRecordStore {
  readonly records = new Map<string, WorkspaceRecord>();
  async get(workspaceId: string): Promise<WorkspaceRecord | undefined> {
    const record = this.records.get(workspaceId);
    return record ? structuredClone(record) : undefined;
  }
  async put(record: WorkspaceRecord, expectedGeneration?: number): Promise<boolean> {
    const stored = this.records.get(record.workspaceId)?.generation ?? 0;
    if (expectedGeneration !== undefined && stored !== expectedGeneration) return false;
    this.records.set(record.workspaceId, structuredClone(record));
    return true;
  }
  async live(limit: number): Promise<WorkspaceRecord[]> {
    return [...this.records.values()]
      .filter((record) => isLiveWorkspaceState(record.state))
      .slice(0, limit)
      .map((record) => structuredClone(record));
  }
}

/**
 * The kind overlays with no template for any kind, so a `platform` request launches at once: for
 * the tests of the launch itself, apart from the template assets round trip (v1.1), which the
 * assets-staged tests cover.
 */
export function untemplatedOverlays(): OverlayTable {
  const overlays = loadOverlays();
  const { template: _template, identity: _identity, ...platform } = overlays.platform;
  return { ...overlays, platform };
}

/** EBS's notification of `snapshotId` (taken from `volumeId`), as the EBS User Guide's sample shapes it. */
export function snapshotNotification(snapshotId: string, volumeId: string, result: 'succeeded' | 'failed') {
  return envelope(
    EBS_SNAPSHOT_NOTIFICATION,
    {
      event: 'createSnapshot',
      result,
      cause: result === 'failed' ? 'Internal error' : '',
      'request-id': '',
      snapshot_id: `arn:aws:ec2::us-east-1:snapshot/${snapshotId}`,
      source: `arn:aws:ec2::us-east-1:volume/${volumeId}`,
      startTime: '2026-03-01T12:00:00Z',
      endTime: '2026-03-01T12:01:00Z',
    },
    { source: EC2_SOURCE, resources: [`arn:aws:ec2::us-east-1:snapshot/${snapshotId}`] },
  );
}
