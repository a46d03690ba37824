import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Catalog } from '#config/catalog.ts';
import type { OverlayTable } from '#config/overlays.ts';
import type { LaunchTarget } from '#core/plan-launch.ts';

/**
 * What every handler factory is built from. The Lambda entries build these from the environment
 * (AWS SDK clients, DynamoDB stores); the local stack builds the same handlers with the same SDK
 * clients pointed at its loopback endpoint and its own durable stores.
 */

/** Time, injectable so retries and timeouts are testable without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/**
 * The last ECS task version seen per task, advanced only forwards. `advance` is a conditional
 * write: true when `version` is higher than what was stored, false otherwise.
 */
export interface TaskVersionStore {
  advance(taskArn: string, version: number): Promise<boolean>;
  get(taskArn: string): Promise<number | undefined>;
}

/** The launch recorded for a workspace: lets a racing request see a task ECS does not list yet. */
export interface WorkspaceLaunchRecord {
  readonly workspaceId: string;
  readonly requestId: string;
  readonly taskArn: string;
  readonly launchedAt: number;
}

/**
 * Serializes launches per workspace across concurrent invocations (at most one live task per
 * workspace even when two different requests race), and remembers the last launch.
 */
export interface WorkspaceLeaseStore {
  /** Conditional write: true when the lease was free or expired. */
  acquire(workspaceId: string, owner: string, ttlMs: number): Promise<boolean>;
  release(workspaceId: string, owner: string): Promise<void>;
  recordLaunch(record: WorkspaceLaunchRecord): Promise<void>;
  lastLaunch(workspaceId: string): Promise<WorkspaceLaunchRecord | undefined>;
}

/** Settings every handler reads (from the environment in Lambda, from flags locally). */
export interface HandlerSettings {
  /** Bus name or ARN. */
  readonly eventBusName: string;
  /** Source of everything this project emits. */
  readonly provisionerSource: string;
  readonly launchTarget: LaunchTarget;
}

/** The ports of all handlers; each factory takes the subset it needs. */
export interface HandlerPorts {
  readonly ecs: ECSClient;
  readonly eventBridge: EventBridgeClient;
  /** Powertools idempotency persistence: DynamoDB in AWS, the durable store locally. */
  readonly idempotencyStore: BasePersistenceLayer;
  readonly taskVersions: TaskVersionStore;
  readonly workspaceLeases: WorkspaceLeaseStore;
  readonly catalog: Catalog;
  readonly overlays: OverlayTable;
  readonly settings: HandlerSettings;
  readonly clock: Clock;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
}
