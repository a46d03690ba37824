import { Agent } from 'node:http';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
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

/** Reads `--endpoint URL`, `--aws` and `--region`; they are common to every command. */
export function targetFrom(values: { endpoint?: string; aws?: boolean; region?: string }): Target {
  if (values.aws && values.endpoint !== undefined) {
    throw new UsageError('--aws and --endpoint cannot be combined: --aws talks to AWS itself');
  }
  if (values.region !== undefined && !/^[a-z]{2}(-[a-z0-9]+)+-\d+$/.test(values.region)) {
    throw new UsageError(`--region must look like us-east-1; got "${values.region}"`);
  }
  if (values.aws) return { kind: 'aws', ...(values.region ? { region: values.region } : {}) };
  const endpoint = values.endpoint ?? DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`--endpoint must be a URL like ${DEFAULT_ENDPOINT}; got "${endpoint}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--endpoint must be an http:// or https:// URL; got "${endpoint}"`);
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
