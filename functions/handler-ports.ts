/**
 * What every handler factory is built from. The Lambda entries build these from the environment
 * (AWS SDK clients, DynamoDB stores); the local stack builds the same handlers with the same SDK
 * clients pointed at its loopback endpoint and its own durable stores. The SDK clients are here,
 * not under `ports/`: each factory wraps them in its adapters (`EcsTaskRunner`,
 * `EventBridgePublisher`) before a flow sees them.
 */
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Catalog } from '#config/catalog.ts';
import type { OverlayTable } from '#config/overlays.ts';
import type { Clock } from '#ports/clock.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import type { ProvisionRequestStore } from '#ports/provision-request-store.ts';
import type { TaskVersionStore } from '#ports/task-version-store.ts';
import type { WorkspaceFiles } from '#ports/workspace-files.ts';
import type { WorkspaceLeaseStore } from '#ports/workspace-lease-store.ts';
import type { WorkspaceRecordStore } from '#ports/workspace-record-store.ts';

/** The ports of all handlers; each factory takes the subset it needs. */
export interface HandlerPorts {
  readonly ecs: ECSClient;
  readonly eventBridge: EventBridgeClient;
  /** v1.3: persistent data's volumes and snapshots (`Ec2WorkspaceVolumes`). */
  readonly ec2: EC2Client;
  /** Powertools idempotency persistence: DynamoDB in AWS, the durable store locally. */
  readonly idempotencyStore: BasePersistenceLayer;
  readonly taskVersions: TaskVersionStore;
  readonly workspaceLeases: WorkspaceLeaseStore;
  /** v1.1: the requests the provisioner recorded, keyed by requestId. */
  readonly provisionRequests: ProvisionRequestStore;
  /** v1.2: the workspace records (restart, recovery, status, reconciliation act on them). */
  readonly workspaceRecords: WorkspaceRecordStore;
  /** v1.1: the workspace files bucket (secrets checked by listing, staged assets, boot bundles). */
  readonly workspaceFiles: WorkspaceFiles;
  readonly catalog: Catalog;
  readonly overlays: OverlayTable;
  readonly settings: HandlerSettings;
  readonly clock: Clock;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** The settings of a function that publishes events and launches nothing. */
export type PublishingSettings = Pick<HandlerSettings, 'eventBusName' | 'provisionerSource'>;

/** The settings of a function that publishes events and calls ECS on the cluster, never RunTask. */
export type ClusterSettings = PublishingSettings & {
  readonly launchTarget: Pick<HandlerSettings['launchTarget'], 'cluster'>;
};
