import type { DriverName } from '../../interfaces.ts';
import { createDockerDriver } from './docker.ts';
import { createProcessDriver } from './process.ts';
import { createSimulatedDriver } from './simulated.ts';
import type { TaskDriver, TaskDriverContext } from './types.ts';

/**
 * The task driver by name.
 *
 * @throws TaskDriverUnavailableError for `docker` when no Docker engine is reachable.
 */
export function createTaskDriver(name: DriverName, context: TaskDriverContext): TaskDriver {
  switch (name) {
    case 'simulated':
      return createSimulatedDriver(context);
    case 'process':
      return createProcessDriver(context);
    case 'docker':
      return createDockerDriver(context);
  }
}

export { assertDockerEngineReachable } from './docker.ts';
export { STAND_IN_PATH, STAND_IN_READY_PREFIX, standInArgv } from './process.ts';
export type { StoppedOutcome, TaskDriver, TaskDriverContext, TaskDriverHooks } from './types.ts';
