/**
 * The stand-in's rule: what an upstream team adds on the provisioner's bus to hear template assets
 * requests. A local route only (never in wiring/flows.ts, so never synthesized by CDK), matched and
 * recorded by the same router as the stack's own rules.
 */
import { DEFAULT_EVENT_BUS_NAME, DEFAULT_PROVISIONER_SOURCE, DETAIL_TYPES } from '#contracts/names.ts';
import type { UpstreamRoute } from '#local/routing/routes.ts';

/** The route's id (its rule name) and target. */
export const ASSET_CHANNEL_ROUTE_ID = 'UpstreamTemplateAssetChannel';
export const ASSET_CHANNEL_TARGET = 'upstream:asset-channel';

/** EventBridge's default target retry policy: 185 attempts within 24 hours (eb-rule-retry-policy.html). */
const EVENTBRIDGE_DEFAULT_RETRY = { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 } as const;

/** Options of {@link assetChannelRoute}. */
export interface AssetChannelRouteOptions {
  /** @default 'workspaces' */
  readonly eventBusName?: string;
  /** @default 'platform.provisioner' */
  readonly provisionerSource?: string;
}

/** `{source: [provisioner], detail-type: [Workspace Template Assets Requested]}` on the stack's bus. */
export function assetChannelRoute(options: AssetChannelRouteOptions = {}): UpstreamRoute {
  return {
    id: ASSET_CHANNEL_ROUTE_ID,
    bus: options.eventBusName ?? DEFAULT_EVENT_BUS_NAME,
    pattern: {
      source: [options.provisionerSource ?? DEFAULT_PROVISIONER_SOURCE],
      'detail-type': [DETAIL_TYPES.templateAssetsRequested],
    },
    target: ASSET_CHANNEL_TARGET,
    retryPolicy: EVENTBRIDGE_DEFAULT_RETRY,
    deadLetterQueue: false,
  };
}
