/**
 * The console's routes on the stack's endpoint: its files (`/console`), the read endpoints it needs
 * beside `GET /local/events` (`/local/workspaces`, `/local/workspaces/{id}`,
 * `/local/workspaces/{id}/events`, `/local/invocations`, `/local/dead-letter-queues`), and the
 * check of its forms (`POST /local/requests/check`). Everything it changes goes through the
 * public operations: PutEvents, SQS and Lambda Invoke, `/local/simulate/*`.
 */
import type { LocalDatabase } from '#local/interfaces.ts';
import type { WireAnswer, WireRequest, WireRoute } from '#local/wire/index.ts';
import { DEAD_LETTER_QUEUES, functionPhysicalName } from '#wiring/dead-letter-queues.ts';
import { readFlow } from './invocation-queries.ts';
import { badRequest, integerParameter, jsonAnswer } from './json-answer.ts';
import { checkRequest } from './request-check.ts';
import { staticAssetsRoute } from './static-assets.ts';
import { workspaceQueries } from './workspace-queries.ts';

/** What the console's routes read from. */
export interface ConsoleContext {
  readonly database: LocalDatabase;
  /** The endpoint's URL, for the queues' URLs. */
  readonly url: string;
  readonly account: string;
}

/** The most rows one read answers. */
const MAX_PAGE = 1000;
const DEFAULT_PAGE = 50;
const DEFAULT_EVENTS_PAGE = 500;

const WORKSPACE_PATH = /^\/local\/workspaces\/([^/]+)(\/events)?$/;

/** The console's files, its read endpoints and its form check, as routes of the endpoint. */
export function consoleRoutes(context: ConsoleContext): WireRoute[] {
  const workspaces = workspaceQueries(context.database);

  function readWorkspaces(url: URL): WireAnswer {
    const offset = integerParameter(url, 'offset', 0);
    const limit = integerParameter(url, 'limit', DEFAULT_PAGE);
    if (offset === undefined || limit === undefined || limit > MAX_PAGE) {
      return badRequest(`offset and limit must be non-negative integers, limit at most ${MAX_PAGE}`);
    }
    return jsonAnswer(200, workspaces.page({ filter: url.searchParams.get('q') ?? '', offset, limit }));
  }

  function readWorkspace(url: URL, workspaceId: string, eventsOnly: boolean): WireAnswer {
    if (eventsOnly) {
      const after = integerParameter(url, 'after', 0);
      const limit = integerParameter(url, 'limit', DEFAULT_EVENTS_PAGE);
      if (after === undefined || limit === undefined || limit > MAX_PAGE) {
        return badRequest(`after and limit must be non-negative integers, limit at most ${MAX_PAGE}`);
      }
      const events = workspaces.events(workspaceId, after, limit);
      return jsonAnswer(200, { events, lastSeq: events.at(-1)?.seq ?? after });
    }
    const record = workspaces.record(workspaceId);
    return record === undefined
      ? jsonAnswer(404, { message: `no workspace record for ${workspaceId}` })
      : jsonAnswer(200, { workspace: record });
  }

  function readInvocations(url: URL): WireAnswer {
    const requestId = url.searchParams.get('requestId');
    const workspaceId = url.searchParams.get('workspaceId');
    if ((requestId === null) === (workspaceId === null)) {
      return badRequest('give exactly one of requestId and workspaceId');
    }
    return jsonAnswer(
      200,
      readFlow(context.database, requestId !== null ? { requestId } : { workspaceId: workspaceId as string }),
    );
  }

  function readQueues(): WireAnswer {
    return jsonAnswer(200, {
      queues: DEAD_LETTER_QUEUES.map((spec) => ({
        ...spec,
        queueUrl: `${context.url}/${context.account}/${spec.queueName}`,
        functionName: functionPhysicalName(spec.handledBy),
      })),
    });
  }

  const reads: WireRoute = {
    matches: (request) =>
      request.method === 'GET' &&
      (request.url.pathname === '/local/workspaces' ||
        WORKSPACE_PATH.test(request.url.pathname) ||
        request.url.pathname === '/local/invocations' ||
        request.url.pathname === '/local/dead-letter-queues'),
    answer(request: WireRequest): WireAnswer {
      const { pathname } = request.url;
      if (pathname === '/local/workspaces') return readWorkspaces(request.url);
      if (pathname === '/local/invocations') return readInvocations(request.url);
      if (pathname === '/local/dead-letter-queues') return readQueues();
      const [, id, events] = WORKSPACE_PATH.exec(pathname) ?? [];
      let workspaceId: string;
      try {
        workspaceId = decodeURIComponent(id ?? '');
      } catch {
        return badRequest('the workspace id is not percent-encoded UTF-8');
      }
      return readWorkspace(request.url, workspaceId, events !== undefined);
    },
  };

  const check: WireRoute = {
    matches: (request) => request.method === 'POST' && request.url.pathname === '/local/requests/check',
    answer: (request) => checkRequest(request.body),
  };

  return [staticAssetsRoute(), reads, check];
}
