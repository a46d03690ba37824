import {
  deprovisionRequestedPattern,
  type EventPattern,
  ecsTaskStateChangePattern,
  provisionRequestedPattern,
  taskLaunchedPattern,
} from '#contracts/patterns.ts';

/**
 * The one table the system is wired from: which function reacts to which pattern, with which
 * retry settings on each layer. The CDK stack synthesizes its rules, targets, invoke configs and
 * schedule from it; the local stack routes and invokes by it; a test proves the synthesized
 * template and the local routes agree.
 */

export const FUNCTION_NAMES = [
  'provision',
  'overlay',
  'task-state',
  'deprovision',
  'timeout-sweep',
  'failure-reporter',
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

/** The six functions. Timeouts leave the provision handler room to retry RunTask in-invocation. */
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
    description: 'Emits Workspace Provision Failed for a provision request whose retries are spent',
    timeoutSeconds: 30,
    memoryMb: 256,
    asyncRetryAttempts: 2,
    asyncMaxEventAgeSeconds: 6 * 3600,
    deadLetterQueue: true,
  },
};

/** EventBridge target retry policy (the first retry layer). */
export interface TargetRetryPolicy {
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeSeconds: number;
}

/**
 * Which bus a rule listens on: the project's bus (`workspaces` by default), or the account's
 * default bus, where AWS delivers its own service events (`aws.ecs`) and where schedules run.
 */
export type FlowBus = 'provisioner' | 'default';

export interface Flow {
  /** Stable id; the CDK construct id and the local route id. */
  readonly id: string;
  readonly description: string;
  readonly eventBus: FlowBus;
  readonly pattern: EventPattern;
  readonly target: FunctionName;
  readonly retryPolicy: TargetRetryPolicy;
}

/** EventBridge delivers to Lambda for up to a day, the documented maximum, before the target DLQ. */
export const DEFAULT_TARGET_RETRY: TargetRetryPolicy = {
  maximumRetryAttempts: 185,
  maximumEventAgeSeconds: 86_400,
};

export interface FlowSettings {
  /** Sources allowed to publish requests. */
  readonly requestSources: readonly string[];
  /** Source of the events this project emits. */
  readonly provisionerSource: string;
  readonly clusterArn: string;
  /** `arn:<partition>:ecs:<region>:<account>:task-definition/workspace-<runtime>:` per runtime. */
  readonly taskDefinitionArnPrefixes: readonly string[];
}

/** Every event-pattern rule of the stack, in a stable order. */
export function flowsFor(settings: FlowSettings): Flow[] {
  return [
    {
      id: 'ProvisionRequested',
      eventBus: 'provisioner',
      description: 'Workspace Provision Requested -> provision',
      pattern: provisionRequestedPattern(settings.requestSources),
      target: 'provision',
      retryPolicy: DEFAULT_TARGET_RETRY,
    },
    {
      id: 'TaskLaunched',
      eventBus: 'provisioner',
      description: 'Workspace Task Launched -> overlay',
      pattern: taskLaunchedPattern(settings.provisionerSource),
      target: 'overlay',
      retryPolicy: DEFAULT_TARGET_RETRY,
    },
    {
      id: 'EcsTaskStateChange',
      eventBus: 'default',
      description: 'aws.ecs ECS Task State Change (our cluster and families) -> task-state',
      pattern: ecsTaskStateChangePattern(settings.clusterArn, settings.taskDefinitionArnPrefixes),
      target: 'task-state',
      retryPolicy: DEFAULT_TARGET_RETRY,
    },
    {
      id: 'DeprovisionRequested',
      eventBus: 'provisioner',
      description: 'Workspace Deprovision Requested -> deprovision',
      pattern: deprovisionRequestedPattern(settings.requestSources),
      target: 'deprovision',
      retryPolicy: DEFAULT_TARGET_RETRY,
    },
  ];
}

/**
 * The timeout sweep's schedule (on the default bus, where schedules run). A tick that waited a
 * minute is superseded by the next one, so EventBridge retries it briefly and then dead-letters it.
 */
export const TIMEOUT_SWEEP_SCHEDULE = {
  id: 'TimeoutSweepSchedule',
  rateMinutes: 1,
  target: 'timeout-sweep',
  retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 60 },
} as const satisfies {
  id: string;
  rateMinutes: number;
  target: FunctionName;
  retryPolicy: TargetRetryPolicy;
};
