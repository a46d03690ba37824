/**
 * Seams between the local stack's parts: the endpoints and emulators (local/server, local/ecs,
 * local/store) and the routing, Lambda invoker and assembly (local/routing, local/lambda,
 * local/stack.ts). Each side codes against these and nothing else of the other.
 */
import type { DatabaseSync } from 'node:sqlite';

/** A standard EventBridge envelope as the bus stores and delivers it. */
export interface EventEnvelope {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: unknown;
}

/** An event the bus accepted: durably stored before PutEvents answers. */
export interface AcceptedEvent {
  /** Position in the bus's log, rising from 1. */
  readonly seq: number;
  /** Bus name (never an ARN). */
  readonly bus: string;
  readonly envelope: EventEnvelope;
  readonly acceptedAt: number;
}

/**
 * The local event bus: the one way events enter the system, whether from PutEvents or from the
 * ECS task drivers' `aws.ecs` state changes. `accept` commits to the durable store before it
 * returns; listeners are told afterwards (synchronously, in order).
 */
export interface LocalEventBus {
  accept(bus: string, envelopes: readonly EventEnvelope[]): AcceptedEvent[];
  subscribe(listener: (events: readonly AcceptedEvent[]) => void): () => void;
  /** The accepted events in order; `afterSeq` pages. */
  list(filter?: {
    readonly detailType?: string;
    readonly afterSeq?: number;
    readonly limit?: number;
  }): AcceptedEvent[];
}

/** The durable store: one sqlite database under `--state-dir`; each part creates its own tables. */
export interface LocalDatabase {
  readonly db: DatabaseSync;
  readonly path: string;
  /** Runs `fn` in one transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on throw). */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/** Fault injection, all off by default. Rates are probabilities in [0, 1]. */
export interface FaultOptions {
  /** RunTask answers HTTP 200 with a capacity `failures[]` entry. */
  readonly capacityFailureRate?: number;
  /** RunTask throws ThrottlingException (half the time as InvalidParameterException "Rate exceeded"). */
  readonly throttleRate?: number;
  /** PutEvents fails this share of entries with an InternalFailure entry error. */
  readonly putEventsFailureRate?: number;
  /** Seed for the fault dice, for repeatable runs. */
  readonly seed?: number;
  /**
   * Functions (by their wiring name, `deprovision`) whose every invocation fails with
   * `InjectedFaultError`, so their events end in the function's dead-letter queue after its
   * retries. The stack's assembly applies it; the emulators ignore it.
   */
  readonly functionErrors?: readonly string[];
}

/** ECS RunTask quota emulation (token bucket), off by default. */
export interface QuotaOptions {
  readonly burst: number;
  readonly ratePerSecond: number;
}

export type DriverName = 'process' | 'simulated' | 'docker';
