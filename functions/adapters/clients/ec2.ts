import type { Tracer } from '@aws-lambda-powertools/tracer';
import { EC2Client } from '@aws-sdk/client-ec2';
import { traced } from './traced.ts';

/** v1.3: the EC2 client of a Lambda entry (data volumes and snapshots), traced when tracing is on. */
export const ec2Client = (tracer: Tracer): EC2Client => traced(tracer, new EC2Client({}));
