/**
 * The endpoint's `/local/simulate/*` routes: what AWS does to a workspace's task on its own, done on
 * request so recovery can be tried locally.
 *
 * - `POST /local/simulate/task-retirement` `{"taskArn": "..."}`: Fargate retires the task (stopped
 *   with the maintenance stop code and reason). 202 with the task's `taskArn`, `desiredStatus`,
 *   `stopCode` and `stoppedReason`; 404 for a task ECS does not know; 409 for one already stopped or
 *   stopping.
 * - `POST /local/simulate/health-event` `{"eventTypeCode": "...", "taskArns": ["..."]}`: AWS Health's
 *   scheduled-change event on the default bus, as the bus accepts an AWS service's event (no
 *   PutEvents: a caller may not use an `aws.` source). 200 with `eventId`.
 *
 * A bad body is a 400, any other method a 405, any other `/local/simulate/` path a 404; every answer
 * is JSON, errors as `{"message", "problems"?}`.
 */
import type { RetireTaskOutcome } from '#local/ecs/index.ts';
import type { LocalEventBus } from '#local/interfaces.ts';
import type { WireAnswer, WireRequest, WireRoute } from '#local/wire/index.ts';
import { SimulationInputError } from './errors.ts';
import { HEALTH_EVENT_REQUEST_SHAPE, healthEventEnvelope, parseHealthEventRequest } from './health-event.ts';
import { jsonObjectBody } from './request-body.ts';

export const SIMULATE_PREFIX = '/local/simulate/';
export const TASK_RETIREMENT_PATH = `${SIMULATE_PREFIX}task-retirement`;
export const HEALTH_EVENT_PATH = `${SIMULATE_PREFIX}health-event`;

/** What the routes act on. */
export interface SimulateRouteOptions {
  /** The ECS emulator's retirement. */
  readonly ecs: { retireTask(reference: string): RetireTaskOutcome };
  readonly bus: LocalEventBus;
  /** Where AWS service events go: the default bus, as in AWS. */
  readonly eventBusName: string;
  readonly region: string;
  readonly account: string;
  /** @default Date */
  readonly clock?: { now(): number };
}

const json = (status: number, value: unknown): WireAnswer => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});

/** The route for the endpoint's `routes`. */
export function simulateRoute(options: SimulateRouteOptions): WireRoute {
  const clock = options.clock ?? Date;

  function retireTask(body: Buffer): WireAnswer {
    const shape = '{"taskArn": "arn:aws:ecs:...:task/..."}';
    const { taskArn } = jsonObjectBody(body, shape);
    if (typeof taskArn !== 'string' || taskArn.trim() === '') {
      throw new SimulationInputError(`The body must name the task: ${shape}`, [
        'taskArn must be a non-empty string',
      ]);
    }
    const retired = options.ecs.retireTask(taskArn);
    switch (retired.outcome) {
      case 'unknown-task':
        return json(404, { message: `No task ${taskArn} in the local ECS cluster` });
      case 'already-stopped':
      case 'already-stopping':
        return json(409, {
          message: `The task is already ${retired.outcome === 'already-stopped' ? 'STOPPED' : 'stopping'}; there is nothing to retire`,
          taskArn: retired.task.taskArn,
          lastStatus: retired.task.lastStatus,
          desiredStatus: retired.task.desiredStatus,
        });
      case 'retiring':
        return json(202, {
          taskArn: retired.task.taskArn,
          desiredStatus: retired.task.desiredStatus,
          stopCode: retired.task.stopCode,
          stoppedReason: retired.task.stoppedReason,
        });
    }
  }

  function putHealthEvent(body: Buffer): WireAnswer {
    const request = parseHealthEventRequest(jsonObjectBody(body, HEALTH_EVENT_REQUEST_SHAPE));
    const envelope = healthEventEnvelope(request, {
      region: options.region,
      account: options.account,
      now: clock.now(),
    });
    options.bus.accept(options.eventBusName, [envelope]);
    return json(200, { eventId: envelope.id, eventBusName: options.eventBusName });
  }

  const handlers = new Map<string, (body: Buffer) => WireAnswer>([
    [TASK_RETIREMENT_PATH, retireTask],
    [HEALTH_EVENT_PATH, putHealthEvent],
  ]);

  return {
    matches: (request) => request.url.pathname.startsWith(SIMULATE_PREFIX),
    answer(request: WireRequest): WireAnswer {
      const handler = handlers.get(request.url.pathname);
      if (handler === undefined) {
        return json(404, {
          message: `No simulation at ${request.url.pathname}; there are ${[...handlers.keys()].join(' and ')}`,
        });
      }
      if (request.method !== 'POST') {
        return json(405, { message: `${request.url.pathname} takes POST, not ${request.method}` });
      }
      try {
        return handler(request.body);
      } catch (error) {
        if (!(error instanceof SimulationInputError)) throw error;
        return json(400, {
          message: error.message,
          ...(error.problems.length > 0 ? { problems: error.problems } : {}),
        });
      }
    },
  };
}
