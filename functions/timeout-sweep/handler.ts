import { documentClientOf, dynamoDbClient } from '#adapters/clients/dynamodb.ts';
import { ec2Client } from '#adapters/clients/ec2.ts';
import { ecsClient } from '#adapters/clients/ecs.ts';
import { eventBridgeClient } from '#adapters/clients/eventbridge.ts';
import { DynamoDbProvisionRequestStore } from '#adapters/dynamodb-provision-requests.ts';
import { DynamoDbWorkspaceRecordStore } from '#adapters/dynamodb-workspace-records.ts';
import {
  readClusterTarget,
  readDataSettings,
  readEventSettings,
  readIdempotencyTableName,
  readInstrumentationEnvironment,
  readRecoverySettings,
} from '#adapters/environment.ts';
import { createInstrumentation } from '#adapters/lambda-instrumentation.ts';
import { systemClock } from '#adapters/system-clock.ts';
import { loadCatalog } from '#config/catalog.ts';
import { createTimeoutSweepHandler } from './create-handler.ts';

/** Lambda entry: the timeout sweep's schedule. Builds the ports from the environment once, at init. */
const instrumentation = createInstrumentation(readInstrumentationEnvironment('timeout-sweep'));
const table = documentClientOf(dynamoDbClient(instrumentation.tracer));
const tableName = readIdempotencyTableName();

export const handler = createTimeoutSweepHandler(
  {
    ecs: ecsClient(instrumentation.tracer),
    // v1.3: it resumes data saves whose events were lost.
    ec2: ec2Client(instrumentation.tracer),
    eventBridge: eventBridgeClient(instrumentation.tracer),
    // The families and their provision timeouts; images and sizing do not matter to the sweep.
    catalog: loadCatalog(),
    provisionRequests: new DynamoDbProvisionRequestStore(table, { tableName, clock: systemClock }),
    // v1.2: the reconciliation compares them with the running tasks, and recovers lost workspaces.
    workspaceRecords: new DynamoDbWorkspaceRecordStore(table, { tableName, clock: systemClock }),
    settings: {
      ...readEventSettings(),
      launchTarget: readClusterTarget(),
      ...readRecoverySettings(),
      ...readDataSettings(),
    },
    clock: systemClock,
  },
  { instrumentation },
);
