import type { Tracer } from '@aws-lambda-powertools/tracer';
import { ECSClient } from '@aws-sdk/client-ecs';
import { traced } from './traced.ts';

/** The ECS client of a Lambda entry, traced when tracing is on. */
export const ecsClient = (tracer: Tracer): ECSClient => traced(tracer, new ECSClient({}));
