/**
 * The one place that says how to reach the local stack: its account id, its dummy credentials, its
 * default region, SDK client settings pointed at its endpoint, and the reader of its event log
 * (`GET /local/events`). The CLI, the stack's own handlers and the bench all use these, so a change
 * of endpoint shape or credentials is made once.
 */
import type { Agent } from 'node:http';
import type { EventEnvelope } from '#local/interfaces.ts';
import { PRINCIPAL_HEADER } from '#local/wire/server.ts';

/** The account id the local stack uses in every ARN and envelope. */
export const LOCAL_ACCOUNT = '000000000000';

/** The local stack's region unless told otherwise. */
export const DEFAULT_LOCAL_REGION = 'us-east-1';

/** Dummy credentials: the local endpoint never checks them, but the SDK needs some. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/**
 * Requests to the stack's own loopback endpoint, which never checks credentials or signatures (IAM
 * is not emulated), may be sent unsigned: SigV4 would only cost a few HMACs and a canonical request
 * per call.
 */
const UNSIGNED = {
  sign: async <T>(request: T): Promise<T> => request,
  presign: async <T>(request: T): Promise<T> => request,
};

/** Options for {@link localClientConfig}. */
export interface LocalClientOptions {
  /** The HTTP agent the client's connections use. @default the SDK's own agent */
  readonly httpAgent?: Agent;
  /** Skip SigV4 signing (only for the stack's own handlers). @default false */
  readonly unsigned?: boolean;
  /** SDK attempts per call, first included. @default the SDK's default */
  readonly maxAttempts?: number;
  /** Connection and request timeouts in ms. @default the SDK's defaults */
  readonly timeouts?: { readonly connectionMs: number; readonly requestMs: number };
}

/**
 * SDK client settings for the local endpoint. Everything the SDK would otherwise take from `AWS_*`
 * variables or the shared config files (endpoint, region, credentials, FIPS and dual-stack) is
 * explicit, so outside settings cannot redirect or break the clients.
 *
 * @example
 * ```ts
 * const ecs = new ECSClient(localClientConfig(stack.url, stack.region));
 * ```
 */
export function localClientConfig(url: string, region: string, options: LocalClientOptions = {}) {
  const { httpAgent, unsigned = false, maxAttempts, timeouts } = options;
  return {
    endpoint: url,
    region,
    credentials: LOCAL_CREDENTIALS,
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    ...(unsigned ? { signer: UNSIGNED } : {}),
    ...(maxAttempts === undefined ? {} : { maxAttempts, retryMode: 'standard' as const }),
    requestHandler: {
      ...(httpAgent ? { httpAgent } : {}),
      ...(timeouts ? { connectionTimeout: timeouts.connectionMs, requestTimeout: timeouts.requestMs } : {}),
    },
  };
}

/**
 * {@link localClientConfig} for `@aws-sdk/client-s3`: path-style addressing (`/<bucket>/<key>`),
 * since the local endpoint is one host and cannot answer a bucket's own host name.
 *
 * @example
 * ```ts
 * const s3 = new S3Client(localS3ClientConfig(stack.url, stack.region));
 * ```
 */
export function localS3ClientConfig(url: string, region: string, options: LocalClientOptions = {}) {
  return { ...localClientConfig(url, region, options), forcePathStyle: true };
}

/** Where {@link stackPrincipalHeader} goes in an SDK client's middleware stack. */
export const STACK_PRINCIPAL_STEP = { step: 'build', name: 'stackPrincipalHeader' } as const;

/**
 * A middleware that makes every request carry the stack's principal secret, which the endpoint takes
 * as the stack's own functions (where AWS would see their IAM roles). Only the handlers' clients get
 * it: `client.middlewareStack.add(stackPrincipalHeader(principal), STACK_PRINCIPAL_STEP)`.
 */
export function stackPrincipalHeader(principal: string) {
  return <Args extends { readonly request: unknown }, Result>(next: (args: Args) => Promise<Result>) =>
    async function withStackPrincipal(args: Args): Promise<Result> {
      const headers = (args.request as { headers?: Record<string, string> }).headers;
      if (headers) headers[PRINCIPAL_HEADER] = principal;
      return next(args);
    };
}

/** One page of the local event log. */
export interface EventPage {
  readonly events: EventEnvelope[];
  /** The `after` that reads the next page. */
  readonly lastSeq: number;
}

/** Which page of `GET /local/events` to read. */
export interface EventPageQuery {
  /** Only events of this detail-type. @default every type */
  readonly detailType?: string | undefined;
  /** The seq to read after. @default 0 (from the start) */
  readonly after?: number;
  /** Largest page. @default the endpoint's own limit */
  readonly limit?: number;
}

/** Why reading the event log failed: the endpoint could not be reached or answered an error. */
export class EventLogReadError extends Error {
  /** The URL that was read. */
  readonly url: string;
  /** The HTTP status of an error answer; undefined when the endpoint could not be reached. */
  readonly status: number | undefined;

  constructor(message: string, url: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EventLogReadError';
    this.url = url;
    this.status = status;
  }
}

/**
 * Reads one page of `GET /local/events` from the stack at `endpoint`.
 *
 * @throws EventLogReadError when the endpoint cannot be reached or answers other than 2xx.
 */
export async function readEventPage(endpoint: string, query: EventPageQuery = {}): Promise<EventPage> {
  const url = new URL('/local/events', endpoint);
  if (query.detailType) url.searchParams.set('detail-type', query.detailType);
  if (query.after) url.searchParams.set('after', String(query.after));
  if (query.limit !== undefined) url.searchParams.set('limit', String(query.limit));
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new EventLogReadError(
      `could not read ${url}: ${(error as Error).message}`,
      String(url),
      undefined,
      {
        cause: error,
      },
    );
  }
  if (!response.ok)
    throw new EventLogReadError(
      `GET /local/events answered ${response.status}`,
      String(url),
      response.status,
    );
  const body = (await response.json()) as { events?: EventEnvelope[]; lastSeq?: number };
  return { events: body.events ?? [], lastSeq: body.lastSeq ?? query.after ?? 0 };
}
