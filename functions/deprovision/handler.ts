import { documentClientOf, dynamoDbClient } from '#adapters/clients/dynamodb.ts';
import { ec2Client } from '#adapters/clients/ec2.ts';
import { ecsClient } from '#adapters/clients/ecs.ts';
import { eventBridgeClient } from '#adapters/clients/eventbridge.ts';
import { DynamoDbWorkspaceLeaseStore, dynamoDbIdempotencyStore } from '#adapters/dynamodb-stores.ts';
import { DynamoDbWorkspaceRecordStore } from '#adapters/dynamodb-workspace-records.ts';
import {
  readClusterTarget,
  readDataSettings,
  readEventSettings,
  readIdempotencyTableName,
  readInstrumentationEnvironment,
} from '#adapters/environment.ts';
import { createInstrumentation } from '#adapters/lambda-instrumentation.ts';
import { systemClock } from '#adapters/system-clock.ts';
import { createDeprovisionHandler } from './create-handler.ts';

/** Lambda entry: `Workspace Deprovision Requested`. Builds the ports from the environment once, at init. */
const instrumentation = createInstrumentation(readInstrumentationEnvironment('deprovision'));
const tableName = readIdempotencyTableName();
const dynamoDb = dynamoDbClient(instrumentation.tracer);
const table = documentClientOf(dynamoDb);

export const handler = createDeprovisionHandler(
  {
    ecs: ecsClient(instrumentation.tracer),
    ec2: ec2Client(instrumentation.tracer),
    eventBridge: eventBridgeClient(instrumentation.tracer),
    idempotencyStore: dynamoDbIdempotencyStore(dynamoDb, tableName),
    workspaceLeases: new DynamoDbWorkspaceLeaseStore(table, { tableName, clock: systemClock }),
    workspaceRecords: new DynamoDbWorkspaceRecordStore(table, { tableName, clock: systemClock }),
    settings: { ...readEventSettings(), ...readDataSettings(), launchTarget: readClusterTarget() },
    clock: systemClock,
  },
  { instrumentation },
);
