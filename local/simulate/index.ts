/** The local stack's `/local/simulate/*` endpoint: Fargate's task retirement and AWS Health's events, on request. */
export { SimulationInputError } from './errors.ts';
export {
  HEALTH_DETAIL_TYPE,
  HEALTH_SOURCE,
  healthEventEnvelope,
  healthTime,
  MAX_HEALTH_EVENT_TASKS,
  parseHealthEventRequest,
} from './health-event.ts';
export {
  HEALTH_EVENT_PATH,
  SIMULATE_PREFIX,
  type SimulateRouteOptions,
  simulateRoute,
  TASK_RETIREMENT_PATH,
} from './simulate-route.ts';
