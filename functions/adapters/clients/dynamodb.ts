import type { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { traced } from './traced.ts';

/** The DynamoDB client of a Lambda entry, traced when tracing is on. */
export const dynamoDbClient = (tracer: Tracer): DynamoDBClient => traced(tracer, new DynamoDBClient({}));

/** The document client over `client`, with `undefined` fields dropped on write. */
export const documentClientOf = (client: DynamoDBClient): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
