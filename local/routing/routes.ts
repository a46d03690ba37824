import type { Catalog } from '#config/catalog.ts';
import {
  DEFAULT_CLUSTER_NAME,
  DEFAULT_EVENT_BUS_NAME,
  DEFAULT_PROVISIONER_SOURCE,
  DEFAULT_REQUEST_SOURCE,
} from '#contracts/names.ts';
import type { EventPattern } from '#contracts/patterns.ts';
import { LOCAL_ACCOUNT } from '#local/clients.ts';
import { type FlowSettings, flowsFor, type TargetRetryPolicy } from '#wiring/flows.ts';
import type { FunctionName } from '#wiring/functions.ts';
import { AWS_DEFAULT_BUS } from '#wiring/names.ts';

export { LOCAL_ACCOUNT } from '#local/clients.ts';

/** What the local routes are built from; the same inputs the CDK stack takes from its context. */
export interface LocalRouteSettings {
  readonly region: string;
  readonly catalog: Catalog;
  /** @default '000000000000' */
  readonly account?: string;
  /** @default 'workspaces' */
  readonly eventBusName?: string;
  /** @default 'workspaces' */
  readonly clusterName?: string;
  /** @default ['platform.workspace-server'] */
  readonly requestSources?: readonly string[];
  /** @default 'platform.provisioner' */
  readonly provisionerSource?: string;
}

/** One rule with its one target, as the router runs it. */
export interface Route {
  /** The flow id: the CDK construct id of the rule. */
  readonly id: string;
  /** Bus name the rule sits on. */
  readonly bus: string;
  readonly pattern: EventPattern;
  readonly target: FunctionName;
  readonly retryPolicy: TargetRetryPolicy;
  /** Whether events whose retries are spent go to the target dead-letter table (SQS DLQ in AWS). */
  readonly deadLetterQueue: boolean;
}

/**
 * The target of a route that exists on the local stack only: a stand-in for a system outside the
 * provisioner (an upstream team's own rule and target, such as its template asset channel). It is
 * never part of wiring/flows.ts, so the CDK stack never synthesizes it.
 */
export type UpstreamTargetName = `upstream:${string}`;

/** A local-only route to an upstream stand-in; the router matches and records it like any other. */
export interface UpstreamRoute extends Omit<Route, 'target'> {
  readonly target: UpstreamTargetName;
}

/** Any route the local router runs: a flow of the wiring table, or an upstream stand-in's. */
export type AnyRoute = Route | UpstreamRoute;

/** Whether a route is an upstream stand-in's, not one of the stack's functions. */
export const isUpstreamRoute = (route: AnyRoute): route is UpstreamRoute =>
  route.target.startsWith('upstream:');

/** `arn:aws:ecs:<region>:<account>:cluster/<name>`. */
export const localClusterArn = (region: string, account: string, clusterName: string): string =>
  `arn:aws:ecs:${region}:${account}:cluster/${clusterName}`;

/** The flow settings with local values in place of the CDK tokens (partition, region, account). */
export function localFlowSettings(settings: LocalRouteSettings): FlowSettings {
  const account = settings.account ?? LOCAL_ACCOUNT;
  return {
    requestSources: settings.requestSources ?? [DEFAULT_REQUEST_SOURCE],
    provisionerSource: settings.provisionerSource ?? DEFAULT_PROVISIONER_SOURCE,
    clusterArn: localClusterArn(settings.region, account, settings.clusterName ?? DEFAULT_CLUSTER_NAME),
    taskDefinitionArnPrefixes: Object.values(settings.catalog.runtimes).map(
      (runtime) => `arn:aws:ecs:${settings.region}:${account}:task-definition/${runtime.family}:`,
    ),
  };
}

/**
 * The bus a rule with this pattern sits on: AWS service events (every source `aws.*`, like
 * `aws.ecs`) reach only the account's default bus, so their rules go there; the rest go on the
 * stack's bus. The CDK stack places its rules the same way, and the route agreement test holds
 * both to it.
 */
export function busForPattern(pattern: EventPattern, eventBusName: string): string {
  const sources = pattern.source;
  const awsOnly =
    Array.isArray(sources) &&
    sources.length > 0 &&
    sources.every((source) => typeof source === 'string' && source.startsWith('aws.'));
  return awsOnly ? AWS_DEFAULT_BUS : eventBusName;
}

/**
 * The local routes: exactly the flows of wiring/flows.ts, the table the CDK stack synthesizes its
 * rules from, each on its bus, with its target retry policy and a target dead-letter queue.
 */
export function localRoutes(settings: LocalRouteSettings): Route[] {
  const eventBusName = settings.eventBusName ?? DEFAULT_EVENT_BUS_NAME;
  return flowsFor(localFlowSettings(settings)).map((flow) => ({
    id: flow.id,
    bus: busForPattern(flow.pattern, eventBusName),
    pattern: flow.pattern,
    target: flow.target,
    retryPolicy: flow.retryPolicy,
    deadLetterQueue: true,
  }));
}
