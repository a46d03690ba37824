import { randomUUID } from 'node:crypto';
import type { Caller } from '#local/wire/server.ts';
import type { EventEnvelope, LocalEventBus } from '../interfaces.ts';
import { envelopeTime } from '../wire/envelope-time.ts';
import { AwsApiError } from '../wire/errors.ts';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../wire/json-depth.ts';
import {
  optionalList,
  optionalString,
  optionalStringList,
  type WireObject,
  wireObject,
} from '../wire/wire-input.ts';

/** PutEvents takes at most this many entries per call (the API model's `PutEventsRequestEntryList`). */
export const MAX_PUT_EVENTS_ENTRIES = 10;

/**
 * The documented PutEvents size limit, 256 KiB, counted over the entries of one request as
 * `eb-putevent-size` describes. (Buses now take events up to 1 MB; keep the stricter documented
 * limit locally so nothing passes here that a bus on the old limit would refuse.)
 */
export const DEFAULT_MAX_ENTRIES_BYTES = 256 * 1024;

/** What PutEvents needs from its emulator. */
export interface PutEventsSettings {
  readonly bus: LocalEventBus;
  readonly region: string;
  readonly account: string;
  /** The buses that exist. */
  readonly eventBusNames: ReadonlySet<string>;
  readonly maxEntriesBytes: number;
  /** Share of otherwise valid entries failed with `InternalFailure` (fault injection). */
  readonly failureRate: number;
  readonly roll: () => number;
  readonly clock: { now(): number };
  readonly log: (line: string) => void;
  /** Sources only some principals may put (the bus policy's deny statement). */
  readonly reservedSources: readonly ReservedSource[];
}

/**
 * A source the bus's resource policy reserves: `events:PutEvents` with this `events:source` is
 * denied to every principal but `allowedPrincipals` (infra/constructs/event-bus.ts deploys the same
 * statement for the provisioner's source, allowing only the function roles).
 */
export interface ReservedSource {
  readonly source: string;
  readonly allowedPrincipals: ReadonlySet<string>;
}

/** One entry of the PutEvents answer: an event id, or an error code and message. */
export interface PutEventsResultEntry {
  readonly EventId?: string;
  readonly ErrorCode?: string;
  readonly ErrorMessage?: string;
}

/** The PutEvents answer, in the wire shape. `Entries[i]` answers request entry `i`. */
export interface PutEventsResponse {
  readonly FailedEntryCount: number;
  readonly Entries: PutEventsResultEntry[];
}

const utf8Bytes = (text: string | undefined): number =>
  text === undefined ? 0 : Buffer.byteLength(text, 'utf8');

/** The size EventBridge charges an entry: Time 14 bytes if set, then Source, DetailType, Detail, Resources. */
export function putEventsEntrySize(entry: WireObject): number {
  let size = entry.Time === undefined || entry.Time === null ? 0 : 14;
  for (const member of ['Source', 'DetailType', 'Detail'] as const) {
    const value = entry[member];
    if (typeof value === 'string') size += utf8Bytes(value);
  }
  const resources = entry.Resources;
  if (Array.isArray(resources))
    for (const resource of resources) if (typeof resource === 'string') size += utf8Bytes(resource);
  return size;
}

const entryError = (ErrorCode: string, ErrorMessage: string): PutEventsResultEntry => ({
  ErrorCode,
  ErrorMessage,
});

const required = (member: string): PutEventsResultEntry =>
  entryError(
    'InvalidArgument',
    `Parameter ${member} is not valid. Reason: ${member} is a required argument.`,
  );

/** Epoch milliseconds of an entry's `Time`: epoch seconds from the SDKs, or an ISO string from a raw client. */
function entryTimeMs(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value * 1000;
  if (typeof value === 'string') {
    const numeric = Number(value);
    if (value.trim() !== '' && Number.isFinite(numeric)) return numeric * 1000;
    const parsed = Date.parse(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  return undefined;
}

/**
 * Resolves `EventBusName` (a name or an event-bus ARN) to a bus name, or `undefined` when no such bus
 * exists in this region and account.
 */
export function resolveEventBusName(
  settings: PutEventsSettings,
  nameOrArn: string | undefined,
): string | undefined {
  const raw = nameOrArn === undefined || nameOrArn === '' ? 'default' : nameOrArn;
  let name = raw;
  if (raw.startsWith('arn:')) {
    const match = /^arn:[^:]+:events:([^:]*):([^:]*):event-bus\/(.+)$/.exec(raw);
    if (!match || match[1] !== settings.region || match[2] !== settings.account) return undefined;
    name = match[3] as string;
  }
  return settings.eventBusNames.has(name) ? name : undefined;
}

/**
 * PutEvents as EventBridge answers it:
 * - more than 10 entries, none, or a total entry size over the limit: a `ValidationException` for the
 *   whole request;
 * - an entry without Source, DetailType or Detail: that entry fails with `InvalidArgument`;
 * - Detail that is not a JSON object, or nests deeper than 1000 levels: `MalformedDetail`;
 * - a Source beginning `aws.`: `NotAuthorizedForSourceException` (only AWS services send those);
 * - a reserved Source from a caller the policy does not allow: `AccessDeniedException`, that entry
 *   only (the deny names the entry's `events:source`);
 * - fault injection: a share of the valid entries fail with `InternalFailure` and are not stored;
 * - an entry for a bus that does not exist gets an EventId and is dropped, as EventBridge does; the
 *   local stack logs a warning line so the typo is visible.
 *
 * Accepted entries become standard envelopes and go through `bus.accept`, durably stored before this
 * returns. Entries for the same bus are accepted in one transaction.
 *
 * @throws AwsApiError (ValidationException, SerializationException) for a request-level error.
 */
export function putEvents(
  settings: PutEventsSettings,
  input: unknown,
  caller: Caller = {},
): PutEventsResponse {
  const request = wireObject(input);
  const rawEntries = optionalList(request, 'Entries');
  if (rawEntries === undefined) {
    throw new AwsApiError(
      'ValidationException',
      "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
    );
  }
  if (rawEntries.length < 1 || rawEntries.length > MAX_PUT_EVENTS_ENTRIES) {
    const bound =
      rawEntries.length < 1
        ? 'greater than or equal to 1'
        : `less than or equal to ${MAX_PUT_EVENTS_ENTRIES}`;
    throw new AwsApiError(
      'ValidationException',
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
    );
  }
  const entries = rawEntries.map((entry, index) => wireObject(entry, `Entries.${index + 1}`));
  const totalBytes = entries.reduce((total, entry) => total + putEventsEntrySize(entry), 0);
  if (totalBytes > settings.maxEntriesBytes) {
    throw new AwsApiError(
      'ValidationException',
      'Total size of the entries in the request is over the limit.',
    );
  }

  const now = settings.clock.now();
  const results: PutEventsResultEntry[] = [];
  const byBus = new Map<string, EventEnvelope[]>();
  for (const entry of entries) {
    const source = optionalString(entry, 'Source');
    const detailType = optionalString(entry, 'DetailType');
    const detailText = optionalString(entry, 'Detail');
    const resources = optionalStringList(entry, 'Resources') ?? [];
    const eventBusName = optionalString(entry, 'EventBusName');
    if (!source) {
      results.push(required('Source'));
      continue;
    }
    if (!detailType) {
      results.push(required('DetailType'));
      continue;
    }
    if (!detailText) {
      results.push(required('Detail'));
      continue;
    }
    const detail = parseDetail(detailText);
    if (detail === undefined) {
      results.push(entryError('MalformedDetail', 'Detail is malformed.'));
      continue;
    }
    if (source.startsWith('aws.')) {
      results.push(entryError('NotAuthorizedForSourceException', 'Not authorized for the source.'));
      continue;
    }
    if (deniedBy(settings.reservedSources, source, caller)) {
      results.push(entryError('AccessDeniedException', accessDenied(settings, eventBusName, source)));
      continue;
    }
    const timeMs = entry.Time === undefined || entry.Time === null ? now : entryTimeMs(entry.Time);
    if (timeMs === undefined) {
      results.push(
        entryError('InvalidArgument', 'Parameter Time is not valid. Reason: Time is not a timestamp.'),
      );
      continue;
    }
    if (settings.failureRate > 0 && settings.roll() < settings.failureRate) {
      results.push(entryError('InternalFailure', 'Internal service failure (injected by the local stack).'));
      continue;
    }
    const envelope: EventEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source,
      account: settings.account,
      time: envelopeTime(timeMs),
      region: settings.region,
      resources: [...resources],
      detail,
    };
    results.push({ EventId: envelope.id });
    const bus = resolveEventBusName(settings, eventBusName);
    if (bus === undefined) {
      settings.log(
        `events PutEvents: event bus "${eventBusName}" does not exist here; ` +
          `EventBridge accepts and drops such entries, and so does the local stack (${detailType})`,
      );
      continue;
    }
    let group = byBus.get(bus);
    if (group === undefined) {
      group = [];
      byBus.set(bus, group);
    }
    group.push(envelope);
  }
  for (const [bus, envelopes] of byBus) settings.bus.accept(bus, envelopes);
  return {
    FailedEntryCount: results.filter((result) => result.ErrorCode !== undefined).length,
    Entries: results,
  };
}

/** The parsed Detail when it is a JSON object no deeper than EventBridge's limit, otherwise `undefined`. */
function parseDetail(text: string): Record<string, unknown> | undefined {
  // Deeper than EventBridge processes: refused here, per entry, before anything walks it.
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : undefined;
}

const deniedBy = (reserved: readonly ReservedSource[], source: string, caller: Caller): boolean =>
  reserved.some(
    (statement) =>
      statement.source === source &&
      !(caller.principal !== undefined && statement.allowedPrincipals.has(caller.principal)),
  );

/** IAM's wording for an explicit deny in a resource-based policy. */
const accessDenied = (
  settings: PutEventsSettings,
  eventBusName: string | undefined,
  source: string,
): string =>
  `User is not authorized to perform: events:PutEvents on resource: arn:aws:events:${settings.region}:` +
  `${settings.account}:event-bus/${resolveEventBusName(settings, eventBusName) ?? eventBusName ?? 'default'} ` +
  `with an explicit deny in a resource-based policy (the source ${JSON.stringify(source)} is reserved)`;
