/**
 * The system's functions: their names and their Lambda settings (timeouts, memory, both async
 * retry layers, on-failure destinations, dead-letter queues). Part of the wiring: the CDK stack
 * deploys exactly these and the local stack invokes exactly these. Imports neither aws-cdk-lib nor
 * anything under local/.
 */

export const FUNCTION_NAMES = [
  'provision',
  'overlay',
  'task-state',
  'deprovision',
  'timeout-sweep',
  'failure-reporter',
  /** v1.1 */
  'assets-staged',
  /** v1.2 */
  'lifecycle',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export interface FunctionSpec {
  readonly name: FunctionName;
  /** Entry file, relative to the repository root. */
  readonly entry: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Lambda async retries after a function error (0 to 2). */
  readonly asyncRetryAttempts: number;
  /** Lambda async maximum event age (60 to 21,600 s). */
  readonly asyncMaxEventAgeSeconds: number;
  /** Where an async invocation goes once its retries are spent. */
  readonly onFailure?: FunctionName;
  /** Whether the function keeps the original event in a dead-letter queue for redrive. */
  readonly deadLetterQueue: boolean;
}

const entry = (name: FunctionName) => `functions/${name}/handler.ts`;

/** The eight functions. Timeouts leave the provision handler room to retry RunTask in-invocation. */
export const FUNCTIONS: Readonly<Record<FunctionName, FunctionSpec>> = {
  provision: {
    name: 'provision',
    entry: entry('provision'),
    description: 'Validates a provision request and launches the workspace task on ECS Fargate',
    timeoutSeconds: 60,
    memoryMb: 512,
    asyncRetryAttempts: 2,
    asyncMaxEventAgeSeconds: 6 * 3600,
    onFailure: 'failure-reporter',
    deadLetterQueue: true,
  },
  overlay: {
    name: 'overlay',
    entry: entry('overlay'),
    description: 'Applies the kind-based config overlay after a launch',
    timeoutSeconds: 30,
    memoryMb: 256,
    asyncRetryAttempts: 2,
    asyncMaxEventAgeSeconds: 6 * 3600,
    onFailure: 'failure-reporter',
    deadLetterQueue: true,
  },
  'task-state': {
    name: 'task-state',
    entry: entry('task-state'),
    description: 'Turns ECS task state changes into workspace lifecycle events',
    timeoutSeconds: 30,
    memoryMb: 256,
    asyncRetryAttempts: 2,
    asyncMaxEventAgeSeconds: 6 * 3600,
    deadLetterQueue: true,
  },
  deprovision: {
    name: 'deprovision',
    entry: entry('deprovision'),
    description: "Stops a workspace's tasks",
    timeoutSeconds: 60,
    memoryMb: 256,
    asyncRetryAttempts: 2,
    asyncMaxEventAgeSeconds: 6 * 3600,
    onFailure: 'failure-reporter',
    deadLetterQueue: true,
  },
  'timeout-sweep': {
    name: 'timeout-sweep',
    entry: entry('timeout-sweep'),
    description: 'Stops tasks that did not reach RUNNING within their provision timeout',
    timeoutSeconds: 55,
    memoryMb: 256,
    asyncRetryAttempts: 0,
    asyncMaxEventAgeSeconds: 120,
    deadLetterQueue: false,
  },
  'failure-reporter': {
    name: 'failure-reporter',
    entry: entry('failure-reporter'),
    description:
      'Emits Workspace Provision, Deprovision or Config Overlay Failed for an event whose retries are spent',
    timeoutSeconds: 30,
    memoryMb: 256,
    asyncRetryAttempts: 2,
    asyncMaxEventAgeSeconds: 6 * 3600,
    deadLetterQueue: true,
  },
  'assets-staged': {
    name: 'assets-staged',
    entry: entry('assets-staged'),
    description:
      'Launches a recorded provision request once its template assets are staged (v1.1), rendering its /configs files',
    timeoutSeconds: 60,
    memoryMb: 512,
    asyncRetryAttempts: 2,
    asyncMaxEventAgeSeconds: 6 * 3600,
    onFailure: 'failure-reporter',
    deadLetterQueue: true,
  },
  lifecycle: {
    name: 'lifecycle',
    entry: entry('lifecycle'),
    description:
      'Restarts, recovers and retires workspace tasks and answers status requests (v1.2), from the workspace records',
    // A recovery waits out its backoff (at most 120 s) in the invocation before it relaunches.
    timeoutSeconds: 300,
    memoryMb: 512,
    asyncRetryAttempts: 2,
    asyncMaxEventAgeSeconds: 6 * 3600,
    deadLetterQueue: true,
  },
};
