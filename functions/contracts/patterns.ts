import {
  DETAIL_TYPES,
  EBS_ATTACHMENT_TYPE,
  EBS_CREATE_SNAPSHOT_EVENT,
  EBS_SNAPSHOT_NOTIFICATION,
  EC2_SOURCE,
  ECS_SOURCE,
  ECS_TASK_PATCHING_RETIREMENT,
  ECS_TASK_STATE_CHANGE,
  HEALTH_ECS_SERVICE,
  HEALTH_EVENT,
  HEALTH_SOURCE,
} from './names.ts';

/**
 * EventBridge patterns of the project's rules. The CDK rules and the local stack's routes are both
 * built from these, and each handler parses exactly the detail-type its pattern selects, so the
 * trigger and the handler share one contract.
 */
export type EventPattern = Record<string, unknown>;

/** `Workspace Provision Requested` from the allowed sources. */
export const provisionRequestedPattern = (requestSources: readonly string[]): EventPattern => ({
  source: [...requestSources],
  'detail-type': [DETAIL_TYPES.provisionRequested],
});

/** `Workspace Deprovision Requested` from the allowed sources. */
export const deprovisionRequestedPattern = (requestSources: readonly string[]): EventPattern => ({
  source: [...requestSources],
  'detail-type': [DETAIL_TYPES.deprovisionRequested],
});

/** v1.1: `Workspace Template Assets Staged` from the allowed request sources. */
export const templateAssetsStagedPattern = (requestSources: readonly string[]): EventPattern => ({
  source: [...requestSources],
  'detail-type': [DETAIL_TYPES.templateAssetsStaged],
});

/** v1.2: `Workspace Restart Requested` from the allowed request sources. */
export const restartRequestedPattern = (requestSources: readonly string[]): EventPattern => ({
  source: [...requestSources],
  'detail-type': [DETAIL_TYPES.restartRequested],
});

/** v1.2: `Workspace Status Requested` from the allowed request sources. */
export const statusRequestedPattern = (requestSources: readonly string[]): EventPattern => ({
  source: [...requestSources],
  'detail-type': [DETAIL_TYPES.statusRequested],
});

/** v1.2: our own `Workspace Recovering`, on which the lifecycle function relaunches after the backoff. */
export const recoveringPattern = (provisionerSource: string): EventPattern => ({
  source: [provisionerSource],
  'detail-type': [DETAIL_TYPES.recovering],
});

/**
 * v1.2: AWS Health's notice of a Fargate task retirement, on the default bus. The fields matched
 * are those of AWS's sample event (`detail.service` `ECS`, `detail.eventTypeCode`
 * `AWS_ECS_TASK_PATCHING_RETIREMENT`:
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-maintenance.html); the affected
 * tasks are in `detail.affectedEntities`, read by core/health-event.ts.
 */
export const healthTaskRetirementPattern = (): EventPattern => ({
  source: [HEALTH_SOURCE],
  'detail-type': [HEALTH_EVENT],
  detail: {
    service: [HEALTH_ECS_SERVICE],
    eventTypeCode: [ECS_TASK_PATCHING_RETIREMENT],
  },
});

/** Our own `Workspace Task Launched`, which the overlay step reacts to. */
export const taskLaunchedPattern = (provisionerSource: string): EventPattern => ({
  source: [provisionerSource],
  'detail-type': [DETAIL_TYPES.taskLaunched],
});

/**
 * `ECS Task State Change` of our cluster and our families only. Each family is matched by its
 * task-definition ARN prefix up to the revision separator, so a foreign `workspace-foo` family in
 * the same cluster is not picked up.
 */
export const ecsTaskStateChangePattern = (
  clusterArn: string,
  taskDefinitionArnPrefixes: readonly string[],
): EventPattern => ({
  source: [ECS_SOURCE],
  'detail-type': [ECS_TASK_STATE_CHANGE],
  detail: {
    clusterArn: [clusterArn],
    taskDefinitionArn: taskDefinitionArnPrefixes.map((prefix) => ({ prefix })),
  },
});

/**
 * v1.3: a task of ours that stopped with a managed EBS volume attached (a persistent workspace's):
 * its volume is saved. The same cluster and families as {@link ecsTaskStateChangePattern}; an
 * array of objects matches when any element does, so `attachments.type` picks the tasks that have
 * an `AmazonElasticBlockStorage` attachment.
 */
export const ecsTaskStoppedWithDataPattern = (
  clusterArn: string,
  taskDefinitionArnPrefixes: readonly string[],
): EventPattern => {
  const ours = ecsTaskStateChangePattern(clusterArn, taskDefinitionArnPrefixes);
  return {
    ...ours,
    detail: {
      ...(ours.detail as Record<string, unknown>),
      lastStatus: ['STOPPED'],
      attachments: { type: [EBS_ATTACHMENT_TYPE] },
    },
  };
};

/**
 * v1.3: EBS's notice that a snapshot completed or failed, on the default bus
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html). Every snapshot of
 * the account matches; the lifecycle function acts only on those carrying this deployment's tag.
 */
export const ebsSnapshotNotificationPattern = (): EventPattern => ({
  source: [EC2_SOURCE],
  'detail-type': [EBS_SNAPSHOT_NOTIFICATION],
  detail: { event: [EBS_CREATE_SNAPSHOT_EVENT] },
});
