import type { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * Instruments `client` with X-Ray subsegments when tracing is on; returns it either way.
 *
 * The SDK clients live one per module (`ecs.ts`, `eventbridge.ts`, `dynamodb.ts`) so that an entry
 * bundles only the clients it calls: each client package costs a Lambda cold start its parse and
 * construction time. Constructing a client makes no network call (region and credentials resolve on
 * the first request), so importing an entry never reaches AWS. Region, endpoint and credentials come
 * from the SDK's standard environment.
 */
export const traced = <T>(tracer: Tracer, client: T): T => tracer.captureAWSv3Client(client) ?? client;
