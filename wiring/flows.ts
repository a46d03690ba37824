/**
 * The one table the system is wired from: which function reacts to which pattern, with which
 * retry settings on each layer. The CDK stack synthesizes its rules, targets, invoke configs and
 * schedule from it; the local stack routes and invokes by it; a test proves the synthesized
 * template and the local routes agree.
 */
import {
  deprovisionRequestedPattern,
  type EventPattern,
  ebsSnapshotNotificationPattern,
  ecsTaskStateChangePattern,
  ecsTaskStoppedWithDataPattern,
  healthTaskRetirementPattern,
  provisionRequestedPattern,
  recoveringPattern,
  restartRequestedPattern,
  statusRequestedPattern,
  taskLaunchedPattern,
  templateAssetsStagedPattern,
} from '#contracts/patterns.ts';
import type { FunctionName } from './functions.ts';

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

/**
 * The function each event-pattern flow targets, by flow id, in the order of {@link flowsFor}. The
 * dead-letter table and the CLI read it without flow settings (patterns need the account's ARNs;
 * which function should have handled an event does not).
 */
export const FLOW_TARGETS = {
  ProvisionRequested: 'provision',
  TemplateAssetsStaged: 'assets-staged',
  TaskLaunched: 'overlay',
  EcsTaskStateChange: 'task-state',
  DeprovisionRequested: 'deprovision',
  RestartRequested: 'lifecycle',
  StatusRequested: 'lifecycle',
  WorkspaceRecovering: 'lifecycle',
  HealthTaskRetirement: 'lifecycle',
  DataTaskStopped: 'lifecycle',
  DataSnapshotNotification: 'lifecycle',
} as const satisfies Record<string, FunctionName>;
export type FlowId = keyof typeof FLOW_TARGETS;

/** Every event-pattern rule of the stack, in a stable order. */
export function flowsFor(settings: FlowSettings): Flow[] {
  return [
    {
      id: 'ProvisionRequested' satisfies FlowId,
      eventBus: 'provisioner',
      description: 'Workspace Provision Requested -> provision',
      pattern: provisionRequestedPattern(settings.requestSources),
      target: FLOW_TARGETS.ProvisionRequested,
      retryPolicy: DEFAULT_TARGET_RETRY,
    },
    {
      id: 'TemplateAssetsStaged' satisfies FlowId,
      eventBus: 'provisioner',
      description: 'Workspace Template Assets Staged -> assets-staged',
      pattern: templateAssetsStagedPattern(settings.requestSources),
      target: FLOW_TARGETS.TemplateAssetsStaged,
      retryPolicy: DEFAULT_TARGET_RETRY,
    },
    {
      id: 'TaskLaunched' satisfies FlowId,
      eventBus: 'provisioner',
      description: 'Workspace Task Launched -> overlay',
      pattern: taskLaunchedPattern(settings.provisionerSource),
      target: FLOW_TARGETS.TaskLaunched,
      retryPolicy: DEFAULT_TARGET_RETRY,
    },
    {
      id: 'EcsTaskStateChange' satisfies FlowId,
      eventBus: 'default',
      description: 'aws.ecs ECS Task State Change (our cluster and families) -> task-state',
      pattern: ecsTaskStateChangePattern(settings.clusterArn, settings.taskDefinitionArnPrefixes),
      target: FLOW_TARGETS.EcsTaskStateChange,
      retryPolicy: DEFAULT_TARGET_RETRY,
    },
    {
      id: 'DeprovisionRequested' satisfies FlowId,
      eventBus: 'provisioner',
      description: 'Workspace Deprovision Requested -> deprovision',
      pattern: deprovisionRequestedPattern(settings.requestSources),
      target: FLOW_TARGETS.DeprovisionRequested,
      retryPolicy: DEFAULT_TARGET_RETRY,
    },
    {
      id: 'RestartRequested' satisfies FlowId,
      eventBus: 'provisioner',
      description: 'Workspace Restart Requested -> lifecycle (v1.2)',
      pattern: restartRequestedPattern(settings.requestSources),
      target: FLOW_TARGETS.RestartRequested,
      retryPolicy: DEFAULT_TARGET_RETRY,
    },
    {
      id: 'StatusRequested' satisfies FlowId,
      eventBus: 'provisioner',
      description: 'Workspace Status Requested -> lifecycle (v1.2)',
      pattern: statusRequestedPattern(settings.requestSources),
      target: FLOW_TARGETS.StatusRequested,
      retryPolicy: DEFAULT_TARGET_RETRY,
    },
    {
      id: 'WorkspaceRecovering' satisfies FlowId,
      eventBus: 'provisioner',
      description: 'Workspace Recovering -> lifecycle: the relaunch after the backoff (v1.2)',
      pattern: recoveringPattern(settings.provisionerSource),
      target: FLOW_TARGETS.WorkspaceRecovering,
      retryPolicy: DEFAULT_TARGET_RETRY,
    },
    {
      id: 'HealthTaskRetirement' satisfies FlowId,
      eventBus: 'default',
      description:
        'aws.health AWS_ECS_TASK_PATCHING_RETIREMENT -> lifecycle: replace the tasks ahead of time (v1.2)',
      pattern: healthTaskRetirementPattern(),
      target: FLOW_TARGETS.HealthTaskRetirement,
      retryPolicy: DEFAULT_TARGET_RETRY,
    },
    {
      id: 'DataTaskStopped' satisfies FlowId,
      eventBus: 'default',
      description:
        'aws.ecs ECS Task State Change STOPPED with a managed EBS volume (our cluster and families) -> lifecycle: save its data (v1.3)',
      pattern: ecsTaskStoppedWithDataPattern(settings.clusterArn, settings.taskDefinitionArnPrefixes),
      target: FLOW_TARGETS.DataTaskStopped,
      retryPolicy: DEFAULT_TARGET_RETRY,
    },
    {
      id: 'DataSnapshotNotification' satisfies FlowId,
      eventBus: 'default',
      description:
        'aws.ec2 EBS Snapshot Notification createSnapshot -> lifecycle: finish or report the data save (v1.3)',
      pattern: ebsSnapshotNotificationPattern(),
      target: FLOW_TARGETS.DataSnapshotNotification,
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
