import { documentClientOf, dynamoDbClient } from '#adapters/clients/dynamodb.ts';
import { ecsClient } from '#adapters/clients/ecs.ts';
import { eventBridgeClient } from '#adapters/clients/eventbridge.ts';
import { deploymentCatalog } from '#adapters/deployment-catalog.ts';
import { DynamoDbWorkspaceLeaseStore, dynamoDbIdempotencyStore } from '#adapters/dynamodb-stores.ts';
import {
  readCatalogEnvironment,
  readEventSettings,
  readIdempotencyTableName,
  readInstrumentationEnvironment,
  readLaunchTarget,
} from '#adapters/environment.ts';
import { createInstrumentation } from '#adapters/lambda-instrumentation.ts';
import { systemClock } from '#adapters/system-clock.ts';
import { createProvisionHandler } from './create-handler.ts';

/** Lambda entry: `Workspace Provision Requested`. Builds the ports from the environment once, at init. */
const instrumentation = createInstrumentation(readInstrumentationEnvironment('provision'));
const tableName = readIdempotencyTableName();
const dynamoDb = dynamoDbClient(instrumentation.tracer);

export const handler = createProvisionHandler(
  {
    ecs: ecsClient(instrumentation.tracer),
    eventBridge: eventBridgeClient(instrumentation.tracer),
    idempotencyStore: dynamoDbIdempotencyStore(dynamoDb, tableName),
    workspaceLeases: new DynamoDbWorkspaceLeaseStore(documentClientOf(dynamoDb), {
      tableName,
      clock: systemClock,
    }),
    catalog: deploymentCatalog(readCatalogEnvironment()),
    settings: { ...readEventSettings(), launchTarget: readLaunchTarget() },
    clock: systemClock,
  },
  { instrumentation },
);
