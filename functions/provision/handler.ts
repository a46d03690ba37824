import { documentClientOf, dynamoDbClient } from '#adapters/clients/dynamodb.ts';
import { ec2Client } from '#adapters/clients/ec2.ts';
import { ecsClient } from '#adapters/clients/ecs.ts';
import { eventBridgeClient } from '#adapters/clients/eventbridge.ts';
import { s3Client } from '#adapters/clients/s3.ts';
import { deploymentCatalog } from '#adapters/deployment-catalog.ts';
import { DynamoDbProvisionRequestStore } from '#adapters/dynamodb-provision-requests.ts';
import { DynamoDbWorkspaceLeaseStore, dynamoDbIdempotencyStore } from '#adapters/dynamodb-stores.ts';
import { DynamoDbWorkspaceRecordStore } from '#adapters/dynamodb-workspace-records.ts';
import {
  readCatalogEnvironment,
  readDataSettings,
  readEventSettings,
  readIdempotencyTableName,
  readInstrumentationEnvironment,
  readLaunchTarget,
  readTemplateAssetsTimeoutSeconds,
  readWorkspaceFilesBucket,
} from '#adapters/environment.ts';
import { createInstrumentation } from '#adapters/lambda-instrumentation.ts';
import { S3WorkspaceFiles } from '#adapters/s3-workspace-files.ts';
import { systemClock } from '#adapters/system-clock.ts';
import { loadOverlays } from '#config/overlays.ts';
import { createProvisionHandler } from './create-handler.ts';

/** Lambda entry: `Workspace Provision Requested`. Builds the ports from the environment once, at init. */
const instrumentation = createInstrumentation(readInstrumentationEnvironment('provision'));
const tableName = readIdempotencyTableName();
const dynamoDb = dynamoDbClient(instrumentation.tracer);
const table = documentClientOf(dynamoDb);
const bucket = readWorkspaceFilesBucket();

export const handler = createProvisionHandler(
  {
    ecs: ecsClient(instrumentation.tracer),
    ec2: ec2Client(instrumentation.tracer),
    eventBridge: eventBridgeClient(instrumentation.tracer),
    idempotencyStore: dynamoDbIdempotencyStore(dynamoDb, tableName),
    workspaceLeases: new DynamoDbWorkspaceLeaseStore(table, {
      tableName,
      clock: systemClock,
    }),
    provisionRequests: new DynamoDbProvisionRequestStore(table, {
      tableName,
      clock: systemClock,
    }),
    workspaceRecords: new DynamoDbWorkspaceRecordStore(table, { tableName, clock: systemClock }),
    workspaceFiles: new S3WorkspaceFiles(s3Client(instrumentation.tracer), bucket),
    catalog: deploymentCatalog(readCatalogEnvironment()),
    overlays: loadOverlays(),
    settings: {
      ...readEventSettings(),
      ...readDataSettings(),
      launchTarget: { ...readLaunchTarget(), workspaceFilesBucket: bucket },
      templateAssetsTimeoutSeconds: readTemplateAssetsTimeoutSeconds(),
    },
    clock: systemClock,
  },
  { instrumentation },
);
