import type { Tracer } from '@aws-lambda-powertools/tracer';
import { S3Client } from '@aws-sdk/client-s3';
import { traced } from './traced.ts';

/** The S3 client of a Lambda entry (the workspace files bucket), traced when tracing is on. */
export const s3Client = (tracer: Tracer): S3Client => traced(tracer, new S3Client({}));
