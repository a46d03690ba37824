import { ecsClient } from '#adapters/clients/ecs.ts';
import { eventBridgeClient } from '#adapters/clients/eventbridge.ts';
import {
  readClusterTarget,
  readEventSettings,
  readInstrumentationEnvironment,
} from '#adapters/environment.ts';
import { createInstrumentation } from '#adapters/lambda-instrumentation.ts';
import { systemClock } from '#adapters/system-clock.ts';
import { loadCatalog } from '#config/catalog.ts';
import { createTimeoutSweepHandler } from './create-handler.ts';

/** Lambda entry: the timeout sweep's schedule. Builds the ports from the environment once, at init. */
const instrumentation = createInstrumentation(readInstrumentationEnvironment('timeout-sweep'));

export const handler = createTimeoutSweepHandler(
  {
    ecs: ecsClient(instrumentation.tracer),
    eventBridge: eventBridgeClient(instrumentation.tracer),
    // The families and their provision timeouts; images and sizing do not matter to the sweep.
    catalog: loadCatalog(),
    settings: { ...readEventSettings(), launchTarget: readClusterTarget() },
    clock: systemClock,
  },
  { instrumentation },
);
