import type { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The SDK clients of the Lambda entries, traced when tracing is on. Constructing a client makes no
 * network call (region and credentials resolve on the first request), so importing an entry never
 * reaches AWS. Region, endpoint and credentials come from the SDK's standard environment.
 */

/** Instruments `client` with X-Ray subsegments when tracing is on; returns it either way. */
const traced = <T>(tracer: Tracer, client: T): T => tracer.captureAWSv3Client(client) ?? client;

export const ecsClient = (tracer: Tracer): ECSClient => traced(tracer, new ECSClient({}));

export const eventBridgeClient = (tracer: Tracer): EventBridgeClient =>
  traced(tracer, new EventBridgeClient({}));

export const dynamoDbClient = (tracer: Tracer): DynamoDBClient => traced(tracer, new DynamoDBClient({}));

/** The document client over `client`, with `undefined` fields dropped on write. */
export const documentClientOf = (client: DynamoDBClient): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
