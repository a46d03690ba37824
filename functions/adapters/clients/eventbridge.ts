import type { Tracer } from '@aws-lambda-powertools/tracer';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { traced } from './traced.ts';

/** The EventBridge client of a Lambda entry, traced when tracing is on. */
export const eventBridgeClient = (tracer: Tracer): EventBridgeClient =>
  traced(tracer, new EventBridgeClient({}));
