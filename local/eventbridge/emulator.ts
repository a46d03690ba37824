import { createFaultDice, FAULT_STREAMS } from '#local/faults/fault-dice.ts';
import type { Caller } from '#local/wire/server.ts';
import type { FaultOptions, LocalEventBus } from '../interfaces.ts';
import {
  DEFAULT_MAX_ENTRIES_BYTES,
  type PutEventsResponse,
  putEvents,
  type ReservedSource,
} from './put-events.ts';
import { type TestEventPatternResponse, testEventPattern } from './test-event-pattern.ts';

/** Options for {@link createEventBridgeEmulator}. */
export interface EventBridgeEmulatorOptions {
  /** Where accepted events go. */
  readonly bus: LocalEventBus;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Account in the envelopes and in event-bus ARNs. @default '000000000000' */
  readonly account?: string;
  /** The buses that exist; PutEvents to any other is accepted and dropped, as EventBridge does. @default ['workspaces', 'default'] */
  readonly eventBusNames?: readonly string[];
  /** Only `putEventsFailureRate` and `seed` apply here. @default no faults */
  readonly faults?: FaultOptions;
  /** Size limit over the entries of one PutEvents request. @default 262144 (256 KiB) */
  readonly maxEntriesBytes?: number;
  /** Stamps events without a `Time`. @default Date */
  readonly clock?: { now(): number };
  /** Receives one line per notable happening (an entry for an unknown bus). @default discards */
  readonly log?: (line: string) => void;
  /**
   * Sources the bus policy reserves to some principals (the provisioner's source to the stack's
   * own functions); an entry with one from any other caller is denied. @default none
   */
  readonly reservedSources?: readonly ReservedSource[];
}

/** The EventBridge operations of the local endpoint, taking and answering the AWS JSON wire shapes. */
export interface EventBridgeEmulator {
  /** @throws AwsApiError for a request-level error; entry errors are in the answer. */
  putEvents(input: unknown, caller?: Caller): PutEventsResponse;
  /** @throws AwsApiError (ValidationException, InvalidEventPatternException). */
  testEventPattern(input: unknown): TestEventPatternResponse;
}

/**
 * The local EventBridge: PutEvents with the service's limits and per-entry answers, and
 * TestEventPattern over the local pattern matcher.
 *
 * @example
 * ```ts
 * const eventBridge = createEventBridgeEmulator({ bus, faults: { putEventsFailureRate: 0.1, seed: 7 } });
 * eventBridge.putEvents({ Entries: [{ Source: 'platform.workspace-server', DetailType: 'X', Detail: '{}', EventBusName: 'workspaces' }] });
 * ```
 */
export function createEventBridgeEmulator(options: EventBridgeEmulatorOptions): EventBridgeEmulator {
  const settings = {
    bus: options.bus,
    region: options.region ?? 'us-east-1',
    account: options.account ?? '000000000000',
    eventBusNames: new Set(options.eventBusNames ?? ['workspaces', 'default']),
    maxEntriesBytes: options.maxEntriesBytes ?? DEFAULT_MAX_ENTRIES_BYTES,
    failureRate: options.faults?.putEventsFailureRate ?? 0,
    roll: createFaultDice(options.faults?.seed, FAULT_STREAMS.putEvents),
    clock: options.clock ?? Date,
    log: options.log ?? (() => {}),
    reservedSources: options.reservedSources ?? [],
  };
  return {
    putEvents: (input, caller = {}) => putEvents(settings, input, caller),
    testEventPattern: (input) => testEventPattern(input),
  };
}
