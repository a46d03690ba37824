/**
 * The assets-staged handler's middy wiring: logger (correlation id `detail.requestId`), tracer,
 * metrics, the safe parser (a Staged event that breaks the contract is logged and dropped, never
 * retried: no request of ours can be behind it), then idempotency keyed on `requestId` in a scope
 * of its own. The flow itself is `assets-staged-flow.ts`.
 */

import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import type { Context } from 'aws-lambda';
import { EventBridgeDetailEnvelope } from '#adapters/eventbridge-envelope.ts';
import { idempotentOn } from '#adapters/idempotency.ts';
import { countMetric, instrumentedHandler } from '#adapters/instrumentation.ts';
import { TemplateAssetsStagedDetail } from '#contracts/inbound.ts';
import type { HandlerOptions } from '#functions/handler-options.ts';
import { type LaunchingHandlerPorts, recordedLaunchPorts } from '#functions/launch/recorded-launch-ports.ts';
import type { LaunchRetryPolicy } from '#functions/provision/launch-with-retries.ts';
import { fieldErrorsOf } from '#policies/request-rejection.ts';
import { METRIC } from '#wiring/names.ts';
import { type AssetsStagedResult, onAssetsStaged } from './assets-staged-flow.ts';

export type { AssetsStagedResult } from './assets-staged-flow.ts';

/** What the assets-staged handler is built from. */
export type AssetsStagedHandlerPorts = LaunchingHandlerPorts;

export interface AssetsStagedHandlerOptions extends HandlerOptions {
  /** @default { baseDelayMs: 250, maxDelayMs: 8000, safetyMarginMs: 10000 } */
  readonly retry?: Partial<LaunchRetryPolicy>;
}

/** Creates the `Workspace Template Assets Staged` handler. */
export function createAssetsStagedHandler(
  ports: AssetsStagedHandlerPorts,
  options: AssetsStagedHandlerOptions,
) {
  const { instrumentation } = options;
  const { logger, metrics } = instrumentation;
  const flowPorts = recordedLaunchPorts(ports, options);

  async function handle(
    parsed: ParsedResult<unknown, TemplateAssetsStagedDetail>,
    context: Context,
  ): Promise<AssetsStagedResult> {
    if (!parsed.success) {
      countMetric(metrics, METRIC.forgedEventIgnored);
      logger.warn('dropped a Workspace Template Assets Staged that breaks the contract', {
        fields: fieldErrorsOf(parsed.error).map((error) => error.path),
      });
      return { outcome: 'ignored', reason: 'unparseable' };
    }
    return onAssetsStaged(parsed.data, flowPorts, { remainingMs: context.getRemainingTimeInMillis() });
  }

  return instrumentedHandler(instrumentation, { correlationIdPath: 'detail.requestId' })
    .use(parser({ schema: TemplateAssetsStagedDetail, envelope: EventBridgeDetailEnvelope, safeParse: true }))
    .use(
      idempotentOn(ports.idempotencyStore, {
        scope: 'assets-staged',
        eventKeyJmesPath: 'data.requestId',
        onReplay: () => countMetric(metrics, METRIC.idempotentReplay),
      }),
    )
    .handler<unknown, AssetsStagedResult>(handle);
}
