/**
 * The ports of a Lambda entry that launches recorded requests (assets-staged, lifecycle), built
 * from the environment once, at init: the SDK clients traced by the function's own tracer, the
 * DynamoDB stores on the shared table, the workspace files bucket, the deployment's catalog and the
 * launch target. Provision builds the same and adds its template assets timeout.
 */
import type { Tracer } from '@aws-lambda-powertools/tracer';
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
  readLaunchTarget,
  readWorkspaceFilesBucket,
} from '#adapters/environment.ts';
import { S3WorkspaceFiles } from '#adapters/s3-workspace-files.ts';
import { systemClock } from '#adapters/system-clock.ts';
import { loadOverlays } from '#config/overlays.ts';
import type { LaunchingHandlerPorts } from './recorded-launch-ports.ts';

/** The launching ports from the environment; throws EnvironmentError naming a missing variable. */
export function launchingEntryPorts(instrumentation: { readonly tracer: Tracer }): LaunchingHandlerPorts {
  const tableName = readIdempotencyTableName();
  const bucket = readWorkspaceFilesBucket();
  const dynamoDb = dynamoDbClient(instrumentation.tracer);
  const table = documentClientOf(dynamoDb);
  return {
    ecs: ecsClient(instrumentation.tracer),
    ec2: ec2Client(instrumentation.tracer),
    eventBridge: eventBridgeClient(instrumentation.tracer),
    idempotencyStore: dynamoDbIdempotencyStore(dynamoDb, tableName),
    workspaceLeases: new DynamoDbWorkspaceLeaseStore(table, { tableName, clock: systemClock }),
    provisionRequests: new DynamoDbProvisionRequestStore(table, { tableName, clock: systemClock }),
    workspaceRecords: new DynamoDbWorkspaceRecordStore(table, { tableName, clock: systemClock }),
    workspaceFiles: new S3WorkspaceFiles(s3Client(instrumentation.tracer), bucket),
    catalog: deploymentCatalog(readCatalogEnvironment()),
    overlays: loadOverlays(),
    settings: {
      ...readEventSettings(),
      ...readDataSettings(),
      launchTarget: { ...readLaunchTarget(), workspaceFilesBucket: bucket },
    },
    clock: systemClock,
  };
}
