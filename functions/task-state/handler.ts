import { documentClientOf, dynamoDbClient } from '#adapters/clients/dynamodb.ts';
import { eventBridgeClient } from '#adapters/clients/eventbridge.ts';
import { DynamoDbProvisionRequestStore } from '#adapters/dynamodb-provision-requests.ts';
import { DynamoDbTaskVersionStore, DynamoDbWorkspaceLeaseStore } from '#adapters/dynamodb-stores.ts';
import { DynamoDbWorkspaceRecordStore } from '#adapters/dynamodb-workspace-records.ts';
import {
  readEventSettings,
  readIdempotencyTableName,
  readInstrumentationEnvironment,
  readRecoverySettings,
} from '#adapters/environment.ts';
import { createInstrumentation } from '#adapters/lambda-instrumentation.ts';
import { systemClock } from '#adapters/system-clock.ts';
import { loadCatalog } from '#config/catalog.ts';
import { loadOverlays } from '#config/overlays.ts';
import { createTaskStateHandler } from './create-handler.ts';

/** Lambda entry: `aws.ecs` `ECS Task State Change`. Builds the ports from the environment once, at init. */
const instrumentation = createInstrumentation(readInstrumentationEnvironment('task-state'));

const table = documentClientOf(dynamoDbClient(instrumentation.tracer));
const tableName = readIdempotencyTableName();

export const handler = createTaskStateHandler(
  {
    eventBridge: eventBridgeClient(instrumentation.tracer),
    taskVersions: new DynamoDbTaskVersionStore(table, { tableName, clock: systemClock }),
    // Per-task leases keep each task's workspace events in version order on the bus.
    workspaceLeases: new DynamoDbWorkspaceLeaseStore(table, { tableName, clock: systemClock }),
    provisionRequests: new DynamoDbProvisionRequestStore(table, { tableName, clock: systemClock }),
    // v1.2: the workspace records follow the task's events; a crash's recovery is decided here.
    workspaceRecords: new DynamoDbWorkspaceRecordStore(table, { tableName, clock: systemClock }),
    // The families keep foreign tasks out; the container ports give Running its address.
    catalog: loadCatalog(),
    overlays: loadOverlays(),
    settings: { ...readEventSettings(), ...readRecoverySettings() },
    clock: systemClock,
  },
  { instrumentation },
);
