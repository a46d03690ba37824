import type * as z from 'zod';
import { EbsSnapshotNotificationDetail } from './ec2.ts';
import { EcsTaskStateChangeDetail } from './ecs.ts';
import {
  DeprovisionRequestedDetail,
  ProvisionRequestedDetail,
  RestartRequestedDetail,
  StatusRequestedDetail,
  TemplateAssetsStagedDetail,
} from './inbound.ts';
import { DETAIL_TYPES, type DetailType, EBS_SNAPSHOT_NOTIFICATION, ECS_TASK_STATE_CHANGE } from './names.ts';
import {
  ConfigOverlayAppliedDetail,
  ConfigOverlayFailedDetail,
  DataErasedDetail,
  DataSavedDetail,
  DataSaveFailedDetail,
  DeprovisionedDetail,
  DeprovisionFailedDetail,
  OrphanTaskStoppedDetail,
  PluginInstallRequestedDetail,
  ProvisionFailedDetail,
  ProvisionRejectedDetail,
  RecoveringDetail,
  RecoveryAbandonedDetail,
  RestartFailedDetail,
  RunningDetail,
  StoppedDetail,
  TaskLaunchedDetail,
  TemplateAssetsRequestedDetail,
  WorkspaceStatusDetail,
} from './outbound.ts';

/** Every public event's `detail` schema, by detail-type. The JSON Schemas are generated from this. */
export const DETAIL_SCHEMAS: Readonly<Record<DetailType, z.ZodType>> = {
  [DETAIL_TYPES.provisionRequested]: ProvisionRequestedDetail,
  [DETAIL_TYPES.deprovisionRequested]: DeprovisionRequestedDetail,
  [DETAIL_TYPES.templateAssetsStaged]: TemplateAssetsStagedDetail,
  [DETAIL_TYPES.taskLaunched]: TaskLaunchedDetail,
  [DETAIL_TYPES.configOverlayApplied]: ConfigOverlayAppliedDetail,
  [DETAIL_TYPES.templateAssetsRequested]: TemplateAssetsRequestedDetail,
  [DETAIL_TYPES.pluginInstallRequested]: PluginInstallRequestedDetail,
  [DETAIL_TYPES.provisionFailed]: ProvisionFailedDetail,
  [DETAIL_TYPES.provisionRejected]: ProvisionRejectedDetail,
  [DETAIL_TYPES.running]: RunningDetail,
  [DETAIL_TYPES.stopped]: StoppedDetail,
  [DETAIL_TYPES.deprovisioned]: DeprovisionedDetail,
  [DETAIL_TYPES.deprovisionFailed]: DeprovisionFailedDetail,
  [DETAIL_TYPES.configOverlayFailed]: ConfigOverlayFailedDetail,
  [DETAIL_TYPES.restartRequested]: RestartRequestedDetail,
  [DETAIL_TYPES.statusRequested]: StatusRequestedDetail,
  [DETAIL_TYPES.recovering]: RecoveringDetail,
  [DETAIL_TYPES.recoveryAbandoned]: RecoveryAbandonedDetail,
  [DETAIL_TYPES.status]: WorkspaceStatusDetail,
  [DETAIL_TYPES.restartFailed]: RestartFailedDetail,
  [DETAIL_TYPES.orphanTaskStopped]: OrphanTaskStoppedDetail,
  [DETAIL_TYPES.dataSaved]: DataSavedDetail,
  [DETAIL_TYPES.dataSaveFailed]: DataSaveFailedDetail,
  [DETAIL_TYPES.dataErased]: DataErasedDetail,
};

/** The inbound contracts are strict; the JSON Schemas are generated from their input side. */
export const INBOUND: ReadonlySet<string> = new Set([
  DETAIL_TYPES.provisionRequested,
  DETAIL_TYPES.deprovisionRequested,
  DETAIL_TYPES.templateAssetsStaged,
  DETAIL_TYPES.restartRequested,
  DETAIL_TYPES.statusRequested,
]);

/** AWS's event, parsed leniently; not one of ours, so no JSON Schema is published for it. */
export const AWS_DETAIL_SCHEMAS = {
  [ECS_TASK_STATE_CHANGE]: EcsTaskStateChangeDetail,
  // v1.3: EBS's notice that a snapshot completed or failed (the save flow's second half).
  [EBS_SNAPSHOT_NOTIFICATION]: EbsSnapshotNotificationDetail,
} as const;
