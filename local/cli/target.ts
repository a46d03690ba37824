import { Agent } from 'node:http';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULT_LOCAL_REGION, localClientConfig } from '#local/clients.ts';
import { UsageError } from './errors.ts';

/** The default local endpoint: `npm start`'s listen address. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4010';
export { DEFAULT_LOCAL_REGION } from '#local/clients.ts';

/**
 * Where a command talks to: the local stack (an explicit endpoint, region and dummy credentials, so
 * no `AWS_*` variable can redirect it) or AWS itself (the normal credential and region chain).
 */
export type Target =
  | { readonly kind: 'local'; readonly endpoint: string; readonly region: string }
  | { readonly kind: 'aws'; readonly region?: string };

/** The environment variables the CLI reads; `process.env` when run, a plain object in tests. */
export type CliEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * Where the local endpoint comes from, first match wins: `--endpoint`, then `WORKSPACES_ENDPOINT`,
 * then the SDK's standard `AWS_ENDPOINT_URL`, then {@link DEFAULT_ENDPOINT}. An empty variable counts
 * as unset.
 */
export const ENDPOINT_VARIABLES = ['WORKSPACES_ENDPOINT', 'AWS_ENDPOINT_URL'] as const;

function endpointSource(
  flag: string | undefined,
  env: CliEnvironment,
): { readonly value: string; readonly from: string } {
  if (flag !== undefined) return { value: flag, from: '--endpoint' };
  for (const name of ENDPOINT_VARIABLES) {
    const value = env[name]?.trim();
    if (value) return { value, from: name };
  }
  return { value: DEFAULT_ENDPOINT, from: 'the default' };
}

/**
 * Reads `--endpoint URL`, `--aws` and `--region` (common to every command), and the endpoint
 * variables of `env` (see {@link ENDPOINT_VARIABLES}). With `--aws` the variables are not read: the
 * SDK's own chain applies.
 */
export function targetFrom(
  values: { endpoint?: string; aws?: boolean; region?: string },
  env: CliEnvironment = {},
): Target {
  if (values.aws && values.endpoint !== undefined) {
    throw new UsageError('--aws and --endpoint cannot be combined: --aws talks to AWS itself');
  }
  if (values.region !== undefined && !/^[a-z]{2}(-[a-z0-9]+)+-\d+$/.test(values.region)) {
    throw new UsageError(`--region must look like us-east-1; got "${values.region}"`);
  }
  if (values.aws) return { kind: 'aws', ...(values.region ? { region: values.region } : {}) };
  const { value: endpoint, from } = endpointSource(values.endpoint, env);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`${from} must be a URL like ${DEFAULT_ENDPOINT}; got "${endpoint}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${from} must be an http:// or https:// URL; got "${endpoint}"`);
  }
  return { kind: 'local', endpoint: url.origin, region: values.region ?? DEFAULT_LOCAL_REGION };
}

function clientConfig(target: Target) {
  if (target.kind === 'aws') return target.region ? { region: target.region } : {};
  return localClientConfig(target.endpoint, target.region, { httpAgent: new Agent({ keepAlive: false }) });
}

/** An EventBridge client for the target. */
export const eventBridgeClientFor = (target: Target): EventBridgeClient =>
  new EventBridgeClient(clientConfig(target));

/** An ECS client for the target. */
export const ecsClientFor = (target: Target): ECSClient => new ECSClient(clientConfig(target));

/** An SQS client for the target. */
export const sqsClientFor = (target: Target): SQSClient => new SQSClient(clientConfig(target));

/** A Lambda client for the target. */
export const lambdaClientFor = (target: Target): LambdaClient => new LambdaClient(clientConfig(target));

/** An S3 client for the target: path-style on the local endpoint, as its S3 emulation serves. */
export const s3ClientFor = (target: Target): S3Client =>
  new S3Client({ ...clientConfig(target), ...(target.kind === 'local' ? { forcePathStyle: true } : {}) });
