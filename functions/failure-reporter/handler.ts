import { ecsClient } from '#adapters/clients/ecs.ts';
import { eventBridgeClient } from '#adapters/clients/eventbridge.ts';
import {
  readClusterTarget,
  readEventSettings,
  readInstrumentationEnvironment,
} from '#adapters/environment.ts';
import { createInstrumentation } from '#adapters/lambda-instrumentation.ts';
import { systemClock } from '#adapters/system-clock.ts';
import { createFailureReporterHandler } from './create-handler.ts';

/** Lambda entry: the on-failure destination of provision, deprovision and overlay. Builds the ports from the environment once, at init. */
const instrumentation = createInstrumentation(readInstrumentationEnvironment('failure-reporter'));

export const handler = createFailureReporterHandler(
  {
    ecs: ecsClient(instrumentation.tracer),
    eventBridge: eventBridgeClient(instrumentation.tracer),
    settings: { ...readEventSettings(), launchTarget: readClusterTarget() },
    clock: systemClock,
  },
  { instrumentation },
);
