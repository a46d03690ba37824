/**
 * The failure reporter's middy wiring: logger (correlation id from the failed request), tracer,
 * metrics and the safe parser of Lambda's async invocation record. The flow itself is
 * `failure-reporter-flow.ts`.
 */
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import { EcsTaskRunner } from '#adapters/ecs-task-runner.ts';
import { instrumentedHandler } from '#adapters/instrumentation.ts';
import { meteredPublisher } from '#adapters/metered-publisher.ts';
import type { HandlerOptions } from '#functions/handler-options.ts';
import type { ClusterSettings, HandlerPorts } from '#functions/handler-ports.ts';
import { type AsyncFailureRecordInput, AsyncFailureRecordSchema } from './failure-record-schema.ts';
import {
  type FailureReporterPorts,
  type FailureReporterResult,
  reportSpentRequest,
  skipUnreadable,
} from './failure-reporter-flow.ts';

export { type AsyncFailureRecordInput, AsyncFailureRecordSchema } from './failure-record-schema.ts';
export type { FailureReporterResult } from './failure-reporter-flow.ts';

/** What the failure reporter is built from. */
export type FailureReporterHandlerPorts = Pick<HandlerPorts, 'ecs' | 'eventBridge' | 'clock' | 'random'> & {
  readonly settings: ClusterSettings;
};

/** Creates the on-failure destination of the provision, deprovision and overlay functions. */
export function createFailureReporterHandler(ports: FailureReporterHandlerPorts, options: HandlerOptions) {
  const { instrumentation } = options;
  const flowPorts: FailureReporterPorts = {
    runner: new EcsTaskRunner(ports.ecs, { cluster: ports.settings.launchTarget.cluster }),
    publisher: meteredPublisher(ports, instrumentation.metrics),
    instrumentation,
  };

  async function report(parsed: ParsedResult<unknown, AsyncFailureRecordInput>) {
    return parsed.success ? reportSpentRequest(parsed.data, flowPorts) : skipUnreadable(flowPorts);
  }

  return instrumentedHandler(instrumentation, { correlationIdPath: 'requestPayload.detail.requestId' })
    .use(parser({ schema: AsyncFailureRecordSchema, safeParse: true }))
    .handler<unknown, FailureReporterResult>(report);
}
