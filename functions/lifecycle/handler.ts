import { readInstrumentationEnvironment } from '#adapters/environment.ts';
import { createInstrumentation } from '#adapters/lambda-instrumentation.ts';
import { launchingEntryPorts } from '#functions/launch/launching-entry-ports.ts';
import { createLifecycleHandler } from './create-handler.ts';

/**
 * Lambda entry (v1.2): `Workspace Restart Requested`, `Workspace Status Requested`, `Workspace
 * Recovering` and AWS Health's task retirement. Builds the ports from the environment once, at init.
 */
const instrumentation = createInstrumentation(readInstrumentationEnvironment('lifecycle'));

export const handler = createLifecycleHandler(launchingEntryPorts(instrumentation), { instrumentation });
