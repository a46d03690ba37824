import { dynamoDbClient } from '#adapters/clients/dynamodb.ts';
import { ecsClient } from '#adapters/clients/ecs.ts';
import { eventBridgeClient } from '#adapters/clients/eventbridge.ts';
import { dynamoDbIdempotencyStore } from '#adapters/dynamodb-stores.ts';
import {
  readClusterTarget,
  readEventSettings,
  readIdempotencyTableName,
  readInstrumentationEnvironment,
} from '#adapters/environment.ts';
import { createInstrumentation } from '#adapters/lambda-instrumentation.ts';
import { systemClock } from '#adapters/system-clock.ts';
import { loadCatalog } from '#config/catalog.ts';
import { loadOverlays } from '#config/overlays.ts';
import { createOverlayHandler } from './create-handler.ts';

/** Lambda entry: `Workspace Task Launched`. Builds the ports from the environment once, at init. */
const instrumentation = createInstrumentation(readInstrumentationEnvironment('overlay'));

export const handler = createOverlayHandler(
  {
    ecs: ecsClient(instrumentation.tracer),
    eventBridge: eventBridgeClient(instrumentation.tracer),
    idempotencyStore: dynamoDbIdempotencyStore(
      dynamoDbClient(instrumentation.tracer),
      readIdempotencyTableName(),
    ),
    // Only the runtimes' base config is read here; images and sizing do not matter to the overlay.
    catalog: loadCatalog(),
    overlays: loadOverlays(),
    settings: { ...readEventSettings(), launchTarget: readClusterTarget() },
    clock: systemClock,
  },
  { instrumentation },
);
