/**
 * The EC2 Query protocol in front of {@link LocalVolumeStore}: `POST /` with a form body
 * `Action=<Op>&Version=2016-11-15&…` and no `X-Amz-Target` (what the SDK's `EC2Client` sends),
 * answered in EC2's XML. Five actions are served: DescribeVolumes, DescribeSnapshots,
 * CreateSnapshot, DeleteVolume and DeleteSnapshot; any other is EC2's `InvalidAction`. Client
 * errors are HTTP 400 with EC2's error document; a failure of the store itself is a 500
 * `InternalError` and goes to `log`.
 */
import { randomUUID } from 'node:crypto';
import type { WireAnswer, WireRequest, WireRoute } from '../wire/server.ts';
import { errorDocument, itemSet, responseDocument, snapshotMembers, volumeMembers } from './ec2-xml.ts';
import { Ec2ApiError } from './errors.ts';
import { QueryInput } from './query-input.ts';
import type { LocalVolumeStore } from './volume-store.ts';

const XML = 'text/xml;charset=UTF-8';

/** What the endpoint needs. */
export interface Ec2EndpointOptions {
  readonly store: LocalVolumeStore;
  /** The region the volumes' availability zone is in. @default 'us-east-1' */
  readonly region?: string;
  /** Receives a line per 500 answer. @default discards */
  readonly log?: (line: string) => void;
}

/** One action: the request's parameters in, the members of its `<…Response>` out. */
type Action = (store: LocalVolumeStore, input: QueryInput, requestId: string, region: string) => string;

const ACTIONS: ReadonlyMap<string, Action> = new Map<string, Action>([
  [
    'DescribeVolumes',
    (store, input, _requestId, region) =>
      itemSet(
        'volumeSet',
        store
          .describeVolumes({ volumeIds: input.list('VolumeId'), filters: input.filters() })
          .map((volume) => volumeMembers(volume, region)),
      ),
  ],
  [
    'DescribeSnapshots',
    (store, input) =>
      itemSet(
        'snapshotSet',
        store
          .describeSnapshots({
            snapshotIds: input.list('SnapshotId'),
            // The SDK sends `OwnerIds` as `Owner.N` (its query name).
            ownerIds: input.list('Owner'),
            filters: input.filters(),
          })
          .map((snapshot) => snapshotMembers(snapshot, store.account)),
      ),
  ],
  [
    'CreateSnapshot',
    (store, input, requestId) =>
      snapshotMembers(
        store.createSnapshot(
          input.required('VolumeId'),
          input.tagsFor('snapshot'),
          input.optional('Description') ?? '',
          requestId,
        ),
        store.account,
      ),
  ],
  [
    'DeleteVolume',
    (store, input) => {
      store.deleteVolume(input.required('VolumeId'));
      return '<return>true</return>';
    },
  ],
  [
    'DeleteSnapshot',
    (store, input) => {
      store.deleteSnapshot(input.required('SnapshotId'));
      return '<return>true</return>';
    },
  ],
]);

/** The actions the local stack serves, for its documentation and tests. */
export const EC2_ACTIONS: readonly string[] = [...ACTIONS.keys()];

/** Answers one EC2 Query request body. */
export function answerEc2(options: Ec2EndpointOptions, body: string): WireAnswer {
  const region = options.region ?? 'us-east-1';
  const requestId = randomUUID();
  const input = new QueryInput(body);
  const actionName = input.optional('Action');
  try {
    if (actionName === undefined) {
      throw new Ec2ApiError('MissingAction', 'The request must contain the parameter Action');
    }
    const action = ACTIONS.get(actionName);
    if (action === undefined) {
      throw new Ec2ApiError('InvalidAction', `The action ${actionName} is not valid for this web service.`);
    }
    return {
      status: 200,
      headers: { 'content-type': XML },
      body: responseDocument(actionName, requestId, action(options.store, input, requestId, region)),
    };
  } catch (error) {
    if (error instanceof Ec2ApiError) {
      return {
        status: error.statusCode,
        headers: { 'content-type': XML },
        body: errorDocument(error.code, error.message, requestId),
      };
    }
    options.log?.(
      `ec2 ${actionName ?? '(no action)'} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return {
      status: 500,
      headers: { 'content-type': XML },
      body: errorDocument('InternalError', 'An internal error has occurred.', requestId),
    };
  }
}

/**
 * EC2 as a route of the local endpoint: `POST /` without `X-Amz-Target` (the JSON protocols always
 * send one).
 *
 * @example createLocalServer({ ..., routes: [ec2Route({ store, region })] })
 */
export function ec2Route(options: Ec2EndpointOptions): WireRoute {
  return {
    matches: (request) =>
      request.method === 'POST' && request.url.pathname === '/' && request.target === undefined,
    answer: (request: WireRequest): WireAnswer => answerEc2(options, request.body.toString('utf8')),
  };
}
