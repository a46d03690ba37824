/**
 * Lambda's `Invoke` (REST JSON: `POST /2015-03-31/functions/{FunctionName}/invocations`) in front
 * of the local stack's asynchronous invoker. `X-Amz-Invocation-Type: Event` queues the payload like
 * any other asynchronous invocation (same retries, same DLQ) and answers 202 with no body;
 * `DryRun` checks the function and answers 204; `RequestResponse` is refused, since the local
 * stack runs its handlers asynchronously only
 * (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
 */
import { randomUUID } from 'node:crypto';
import { functionPhysicalName } from '#wiring/dead-letter-queues.ts';
import type { FunctionName } from '#wiring/functions.ts';
import {
  FunctionNotFoundError,
  InvalidParameterValueError,
  InvalidRequestContentError,
  LambdaApiError,
} from './errors.ts';

/** The invoker as the endpoint uses it: queue an event for a function, in its own transaction. */
export interface AsyncInvocationQueue {
  invokeAsync(functionName: FunctionName, event: unknown, origin: string): { readonly requestId: string };
}

export interface InvokeEndpointOptions {
  readonly invoker: AsyncInvocationQueue;
  /** The functions the stack runs; each answers to its deployed name (`WorkspaceProvisioner-<function>`). */
  readonly functions: readonly FunctionName[];
  readonly region: string;
  readonly account: string;
}

/** An answer for the server to write as it is. */
export interface InvokeAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** The raw (still percent-encoded) FunctionName of an Invoke path, or undefined for any other path. */
export function invokePathFunction(method: string | undefined, pathname: string): string | undefined {
  if (method !== 'POST') return undefined;
  return INVOKE_PATH.exec(pathname)?.[1];
}

/**
 * Answers one Invoke. `rawName` is the path segment (the SDK percent-encodes an ARN's colons);
 * `qualifier` is the `?Qualifier=` query value.
 */
export function answerInvoke(
  options: InvokeEndpointOptions,
  request: {
    readonly rawName: string;
    readonly qualifier?: string | null;
    readonly invocationType?: string | undefined;
    readonly body: Buffer;
  },
): InvokeAnswer {
  const requestId = randomUUID();
  try {
    const functionName = resolveFunction(options, request.rawName, request.qualifier ?? undefined);
    const invocationType = request.invocationType ?? 'RequestResponse';
    if (invocationType === 'DryRun')
      return { status: 204, headers: { 'x-amzn-RequestId': requestId }, body: '' };
    if (invocationType !== 'Event') {
      throw new InvalidParameterValueError(
        `The local stack runs its functions asynchronously only: invoke with InvocationType Event (got ${invocationType}).`,
      );
    }
    const event = parsePayload(request.body);
    const invocation = options.invoker.invokeAsync(functionName, event, `invoke:${requestId}`);
    return { status: 202, headers: { 'x-amzn-RequestId': invocation.requestId }, body: '' };
  } catch (error) {
    if (!(error instanceof LambdaApiError)) throw error;
    const body = JSON.stringify({ Type: error.type, Message: error.message });
    return {
      status: error.statusCode,
      headers: {
        'content-type': 'application/json',
        'x-amzn-errortype': error.errorType,
        'x-amzn-RequestId': requestId,
      },
      body,
    };
  }
}

/**
 * The function a FunctionName means: the deployed name, its full ARN or its partial ARN
 * (`<account>:function:<name>`), optionally with `:$LATEST` (the only version the local stack has).
 */
function resolveFunction(
  options: InvokeEndpointOptions,
  rawName: string,
  qualifier: string | undefined,
): FunctionName {
  let name: string;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    name = rawName;
  }
  const { region, account } = options;
  const arnOf = (functionName: string) => `arn:aws:lambda:${region}:${account}:function:${functionName}`;
  const parts = name.split(':');
  let bare: string | undefined;
  let suffix: string | undefined;
  if (parts.length <= 2) [bare, suffix] = parts;
  else if (parts[0] === 'arn' && parts[1] === 'aws' && parts[2] === 'lambda' && parts[5] === 'function') {
    if (parts[3] === region && parts[4] === account && parts.length <= 8) [bare, suffix] = parts.slice(6);
  } else if (parts[0] === account && parts[1] === 'function' && parts.length <= 4)
    [bare, suffix] = parts.slice(2);
  const version = suffix ?? qualifier;
  const match = options.functions.find((candidate) => functionPhysicalName(candidate) === bare);
  if (!match || (version !== undefined && version !== '$LATEST')) {
    throw new FunctionNotFoundError(
      bare === undefined ? name : `${arnOf(bare)}${version ? `:${version}` : ''}`,
    );
  }
  return match;
}

function parsePayload(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new InvalidRequestContentError(
      `Could not parse request body into json: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/**
 * Invoke as a route of the local endpoint: `POST /2015-03-31/functions/{FunctionName}/invocations`.
 *
 * @example createLocalServer({ ..., routes: [invokeRoute({ invoker, functions, region, account })] })
 */
export function invokeRoute(options: InvokeEndpointOptions) {
  return {
    matches: (request: { readonly method: string; readonly url: URL }): boolean =>
      invokePathFunction(request.method, request.url.pathname) !== undefined,
    answer(request: {
      readonly method: string;
      readonly url: URL;
      readonly headers: Readonly<Record<string, string | string[] | undefined>>;
      readonly body: Buffer;
    }): InvokeAnswer {
      const header = request.headers['x-amz-invocation-type'];
      return answerInvoke(options, {
        rawName: invokePathFunction(request.method, request.url.pathname) ?? '',
        qualifier: request.url.searchParams.get('Qualifier'),
        invocationType: Array.isArray(header) ? header[0] : header,
        body: request.body,
      });
    },
  };
}
