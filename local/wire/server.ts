import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalEventBus } from '../interfaces.ts';
import { AwsApiError, isAwsApiError, LocalServerError } from './errors.ts';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.ts';

/** `X-Amz-Target` prefix of each emulated service. */
export const TARGET_PREFIXES = {
  events: 'AWSEvents',
  ecs: 'AmazonEC2ContainerServiceV20141113',
} as const;

const JSON_1_1 = 'application/x-amz-json-1.1';
const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** One AWS JSON operation: the parsed request body in, the answer (or a promise of it) out. */
/**
 * Who sent a request, as far as the local endpoint can tell. It checks no SigV4 credentials; the
 * stack's own functions identify themselves with a per-start secret in {@link PRINCIPAL_HEADER},
 * which stands in for their IAM roles where a policy names them (the bus policy that reserves the
 * provisioner's source).
 */
export interface Caller {
  /** The principal the request proved, or undefined for any other client. */
  readonly principal?: string;
}

/** The header the stack's own functions send their principal secret in. */
export const PRINCIPAL_HEADER = 'x-workspaces-local-principal';

type Operation = (input: unknown, caller?: Caller) => unknown;

/**
 * The EventBridge operations the endpoint dispatches `AWSEvents.*` to. A structural type, so this
 * lower-layer module imports no emulator.
 */
export interface EventBridgeOperations {
  putEvents: Operation;
  testEventPattern: Operation;
}

/** The ECS operations the endpoint dispatches `AmazonEC2ContainerServiceV20141113.*` to. */
export interface EcsOperations {
  runTask: Operation;
  stopTask: Operation;
  describeTasks: Operation;
  listTasks: Operation;
}

/** What a {@link WireRoute} is told about a request. */
export interface WireRequest {
  readonly method: string;
  readonly url: URL;
  /**
   * The path as sent, before any `?`, still percent-encoded and without the dot-segment
   * normalisation `url` applies (an S3 key may hold `..` or `./`).
   */
  readonly rawPath: string;
  /** `X-Amz-Target`, when sent. */
  readonly target: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** An answer a route wrote itself: status, headers and body, sent as they are. */
export interface WireAnswer {
  readonly status: number;
  /** A `content-length` given here is sent as is (a HEAD answer's, whose body is empty). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
}

/**
 * A service whose protocol is not AWS JSON 1.1 (SQS's JSON 1.0 with its query-compatible errors,
 * Lambda's REST `Invoke`): it says which requests are its own and writes its own answers. A
 * structural type, so the endpoint imports no service.
 */
export interface WireRoute {
  matches(request: Omit<WireRequest, 'body' | 'headers'>): boolean;
  answer(request: WireRequest): WireAnswer;
  /**
   * The answer to a request of this route whose body exceeds the endpoint's limit (`size` bytes
   * were sent). @default the AWS JSON `RequestEntityTooLargeException`
   */
  tooLarge?(request: Omit<WireRequest, 'body'>, size: number): WireAnswer;
}

/** Options for {@link createLocalServer}. */
export interface LocalServerOptions {
  /** Loopback address to bind; anything else is refused, as credentials are not checked. @default '127.0.0.1' */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  readonly eventBridge: EventBridgeOperations;
  readonly ecs: EcsOperations;
  /** Read by `GET /local/events`. */
  readonly bus: LocalEventBus;
  /**
   * Further services that write their own answers, tried in order before the AWS JSON 1.1 ones.
   * @default none
   */
  readonly routes?: readonly WireRoute[];
  /** `GET /local/health` answers 200 once this is true, 503 before. */
  ready(): boolean;
  /** Receives a line per unexpected failure (500 answers). @default discards */
  readonly log?: (line: string) => void;
  /** Largest accepted request body. @default 16 MiB */
  readonly maxBodyBytes?: number;
}

/** The running endpoint. */
export interface LocalServer {
  /** `http://127.0.0.1:<port>`: the endpoint to give the SDK clients. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** The service whose own failure type a 500 answer uses. */
interface Service {
  readonly operations: ReadonlyMap<string, Operation>;
  readonly internalErrorType: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);
const isLoopback = (host: string): boolean => LOOPBACK_HOSTS.has(host) || /^127(\.\d{1,3}){3}$/.test(host);

/**
 * The local stack's one endpoint on loopback:
 * - `POST /`: AWS JSON 1.1, dispatched on `X-Amz-Target` to the EventBridge operations (`AWSEvents.*`:
 *   PutEvents, TestEventPattern) and the ECS ones (`AmazonEC2ContainerServiceV20141113.*`: RunTask,
 *   StopTask, DescribeTasks, ListTasks). Errors are `{"__type", "message", ...}` with 400 for client
 *   errors and throttling, 500 for failures of the emulator itself; an unknown target is an
 *   `UnknownOperationException`, a body that is not JSON a `SerializationException`. Every answer has
 *   an `x-amzn-RequestId`. Signatures and credentials are accepted unchecked.
 * - `GET /local/events`: `{"events": [envelope, ...]}` in the order the bus accepted them; `?detail-type=`
 *   filters, `?after=<seq>` and `?limit=` page (the answer's `lastSeq` is the next `after`).
 * - `GET /local/health`: 200 `{"status":"ok"}` once `ready()`, else 503 `{"status":"starting"}`.
 * - Any request that changes state (every method but GET, HEAD and OPTIONS) carrying an `Origin`
 *   other than the endpoint's own (`http://127.0.0.1:<port>`, or `localhost` / `[::1]` on that
 *   port) is refused with 403 before anything reads it: a browser sends `Origin` on a cross-origin
 *   POST, so a web page elsewhere cannot drive the stack; the CLI and the SDKs send none.
 * - Whatever a route of `routes` claims (SQS's `AmazonSQS.*` targets, Lambda's
 *   `POST /2015-03-31/functions/{name}/invocations`, S3's `GET|PUT|HEAD|DELETE /<bucket>/<key>`
 *   without a target, EC2's Query protocol: `POST /` with a form body `Action=…` and no target): the
 *   route writes the answer; a route that throws gets a 500.
 *
 * The real SDK clients work against it with only the endpoint changed:
 * `new ECSClient({ endpoint: server.url, region: 'us-east-1', credentials })`.
 *
 * @throws LocalServerError when the host is not loopback or the port cannot be bound.
 */
export async function createLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) {
    throw new LocalServerError(
      `The local endpoint binds to loopback only (it does not check credentials); "${host}" is not a loopback address`,
    );
  }
  const log = options.log ?? (() => {});
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const { eventBridge, ecs, bus } = options;

  const services = new Map<string, Service>([
    [
      TARGET_PREFIXES.events,
      {
        internalErrorType: 'InternalException',
        operations: new Map<string, Operation>([
          ['PutEvents', (input, caller) => eventBridge.putEvents(input, caller)],
          ['TestEventPattern', (input) => eventBridge.testEventPattern(input)],
        ]),
      },
    ],
    [
      TARGET_PREFIXES.ecs,
      {
        internalErrorType: 'ServerException',
        operations: new Map<string, Operation>([
          ['RunTask', (input) => ecs.runTask(input)],
          ['StopTask', (input) => ecs.stopTask(input)],
          ['DescribeTasks', (input) => ecs.describeTasks(input)],
          ['ListTasks', (input) => ecs.listTasks(input)],
        ]),
      },
    ],
  ]);

  function send(response: ServerResponse, status: number, body: unknown, contentType = JSON_1_1): void {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(text),
      'x-amzn-RequestId': randomUUID(),
    });
    response.end(text);
  }

  function sendError(response: ServerResponse, error: AwsApiError): void {
    response.setHeader('x-amzn-ErrorType', error.code);
    send(response, error.statusCode, { ...error.fields, __type: error.code, message: error.message });
  }

  function handleAws(request: IncomingMessage, response: ServerResponse, body: Buffer): void {
    const target = request.headers['x-amz-target'];
    const [prefix, operationName] = typeof target === 'string' ? splitTarget(target) : ['', ''];
    const service = services.get(prefix);
    const operation = service?.operations.get(operationName);
    if (service === undefined || operation === undefined) {
      sendError(
        response,
        new AwsApiError(
          'UnknownOperationException',
          `Unknown operation ${typeof target === 'string' ? target : '(no X-Amz-Target)'}`,
        ),
      );
      return;
    }
    let input: unknown;
    try {
      const text = body.toString('utf8');
      // Parsing copes with any depth; what walks the parsed input (JSON.stringify, zod) does not.
      if (nestsDeeperThan(text, MAX_JSON_DEPTH)) throw new SyntaxError('nested too deeply');
      input = body.length === 0 ? {} : JSON.parse(text);
    } catch {
      sendError(response, new AwsApiError('SerializationException', 'The request body is not valid JSON.'));
      return;
    }
    try {
      const principal = request.headers[PRINCIPAL_HEADER];
      send(response, 200, operation(input, typeof principal === 'string' ? { principal } : {}));
    } catch (error) {
      if (isAwsApiError(error)) {
        sendError(response, error);
        return;
      }
      log(
        `server ${operationName} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      sendError(
        response,
        new AwsApiError(service.internalErrorType, 'The local stack failed to handle the request.', {
          statusCode: 500,
        }),
      );
    }
  }

  function answerWith(route: WireRoute, request: WireRequest, response: ServerResponse): void {
    let answer: WireAnswer;
    try {
      answer = route.answer(request);
    } catch (error) {
      log(
        `server ${request.method} ${request.url.pathname} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      send(response, 500, { message: 'The local stack failed to handle the request.' }, 'application/json');
      return;
    }
    writeAnswer(response, answer);
  }

  function writeAnswer(response: ServerResponse, answer: WireAnswer): void {
    response.writeHead(answer.status, {
      'x-amzn-RequestId': randomUUID(),
      ...answer.headers,
      'content-length': answer.headers['content-length'] ?? Buffer.byteLength(answer.body),
    });
    response.end(answer.body);
  }

  function handleEvents(url: URL, response: ServerResponse): void {
    const detailType = url.searchParams.get('detail-type') ?? undefined;
    const after = Number(url.searchParams.get('after') ?? 0);
    const limitText = url.searchParams.get('limit');
    const limit = limitText === null ? undefined : Number(limitText);
    if (
      !Number.isInteger(after) ||
      after < 0 ||
      (limit !== undefined && (!Number.isInteger(limit) || limit < 0))
    ) {
      send(
        response,
        400,
        { message: '`after` and `limit` must be non-negative integers' },
        'application/json',
      );
      return;
    }
    const accepted = bus.list({
      ...(detailType !== undefined ? { detailType } : {}),
      afterSeq: after,
      ...(limit !== undefined ? { limit } : {}),
    });
    send(
      response,
      200,
      { events: accepted.map((event) => event.envelope), lastSeq: accepted.at(-1)?.seq ?? after },
      'application/json',
    );
  }

  // Filled in once listening: the port is only known then.
  let ownOrigins: ReadonlySet<string> = new Set();

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://local');
    if (isForeignStateChange(request, ownOrigins)) {
      send(
        response,
        403,
        { message: 'State-changing requests from another origin are refused.' },
        'application/json',
      );
      request.resume();
      return;
    }
    if (request.method === 'GET' && url.pathname === '/local/health') {
      const ready = options.ready();
      send(response, ready ? 200 : 503, { status: ready ? 'ok' : 'starting' }, 'application/json');
      return;
    }
    if (request.method === 'GET' && url.pathname === '/local/events') {
      handleEvents(url, response);
      return;
    }
    const targetHeader = request.headers['x-amz-target'];
    const routeRequest = {
      method: request.method ?? 'GET',
      url,
      rawPath: (request.url ?? '/').split('?', 1)[0] as string,
      target: typeof targetHeader === 'string' ? targetHeader : undefined,
    };
    const route = (options.routes ?? []).find((candidate) => candidate.matches(routeRequest));
    if (!route && (request.method !== 'POST' || url.pathname !== '/')) {
      send(response, 404, { message: `No route for ${request.method} ${url.pathname}` }, 'application/json');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => {
      if (tooLarge && route?.tooLarge) {
        writeAnswer(response, route.tooLarge({ ...routeRequest, headers: request.headers }, size));
        return;
      }
      if (tooLarge) {
        sendError(
          response,
          new AwsApiError(
            'RequestEntityTooLargeException',
            `The request body exceeds ${maxBodyBytes} bytes.`,
            {
              statusCode: 413,
            },
          ),
        );
        return;
      }
      const body = Buffer.concat(chunks, size);
      if (route) answerWith(route, { ...routeRequest, headers: request.headers, body }, response);
      else handleAws(request, response, body);
    });
    request.on('error', () => response.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE'
          ? `port ${options.port} on ${host} is in use; choose another with --port or LOCAL_PORT`
          : error.message;
      reject(new LocalServerError(`The local endpoint cannot listen: ${reason}`, { cause: error }));
    });
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  ownOrigins = ownOriginsOf(urlHost, port);

  return {
    url: `http://${urlHost}:${port}`,
    port,
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The methods that only read: a browser may send them from anywhere, and they change nothing. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The origins a page served by the endpoint itself has: its own host, or the loopback names, on its port. */
export function ownOriginsOf(urlHost: string, port: number): ReadonlySet<string> {
  return new Set([urlHost, '127.0.0.1', 'localhost', '[::1]'].map((name) => `http://${name}:${port}`));
}

/**
 * A request that would change state and says, through `Origin`, that a page of another site sent
 * it. Requests without `Origin` (the CLI, the SDKs, curl) are not browsers' cross-origin requests.
 */
export function isForeignStateChange(
  request: Pick<IncomingMessage, 'method' | 'headers'>,
  ownOrigins: ReadonlySet<string>,
): boolean {
  if (SAFE_METHODS.has(request.method ?? 'GET')) return false;
  const origin = request.headers.origin;
  return origin !== undefined && !ownOrigins.has(origin);
}

/** `AmazonEC2ContainerServiceV20141113.RunTask` → the prefix and the operation. */
function splitTarget(target: string): [string, string] {
  const dot = target.lastIndexOf('.');
  return dot < 0 ? [target, ''] : [target.slice(0, dot), target.slice(dot + 1)];
}
