import { readInstrumentationEnvironment } from '#adapters/environment.ts';
import { createInstrumentation } from '#adapters/lambda-instrumentation.ts';
import { launchingEntryPorts } from '#functions/launch/launching-entry-ports.ts';
import { createAssetsStagedHandler } from './create-handler.ts';

/** Lambda entry: `Workspace Template Assets Staged`. Builds the ports from the environment once, at init. */
const instrumentation = createInstrumentation(readInstrumentationEnvironment('assets-staged'));

export const handler = createAssetsStagedHandler(launchingEntryPorts(instrumentation), { instrumentation });
