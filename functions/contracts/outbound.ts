import * as z from 'zod';
import {
  failureCodeField,
  kindField,
  orgIdField,
  requestIdField,
  runtimeField,
  tierField,
  workspaceIdField,
} from './fields.ts';
import {
  DEPROVISION_FAILURE_CODES,
  ORPHAN_REASONS,
  OVERLAY_FAILURE_CODES,
  RECOVERY_CAUSES,
  RESTART_FAILURE_CODES,
  SECRET_SCOPES,
  STOP_CAUSES,
  WORKSPACE_STATES,
} from './names.ts';

/**
 * `detail` schemas of the events this project emits. They list the fields CONTRACT.md promises;
 * consumers must tolerate additions, so the published JSON Schemas allow extra properties.
 */

const taskArn = z.string().min(1);

export const TaskLaunchedDetail = z.object({
  requestId: requestIdField,
  workspaceId: workspaceIdField,
  orgId: orgIdField,
  runtime: runtimeField,
  kind: kindField,
  tier: tierField,
  image: z.string().min(1),
  taskArn,
  clusterArn: z.string().min(1),
  cpu: z.number().int().positive(),
  memory: z.number().int().positive(),
  /** True when the workspace already had a live task and no new one was launched. */
  alreadyRunning: z.boolean().optional(),
  /** The template asked for, forwarded so the overlay step can honour it. */
  template: z.string().optional(),
  /**
   * v1.3: a persistent workspace's data volume: its size, where it is mounted, and the snapshot it
   * was restored from (absent the first time, when it starts empty).
   */
  storage: z
    .object({
      persistent: z.literal(true),
      sizeGiB: z.number().int().positive(),
      path: z.string().min(1),
      restoredFrom: z.string().min(1).optional(),
    })
    .optional(),
});
export type TaskLaunchedDetail = z.infer<typeof TaskLaunchedDetail>;

export const PluginRef = z.object({ name: z.string().min(1), source: z.string().min(1) });
export type PluginRef = z.infer<typeof PluginRef>;

export const IdentityDelivery = z.object({
  channel: z.literal('template-assets'),
  paths: z.array(z.string().min(1)).min(1),
});

/** The overlay as declared per kind in config/overlays.json (CONTRACT.md, "The overlay"). */
export const Overlay = z.strictObject({
  template: z.string().min(1).optional(),
  identity: IdentityDelivery.optional(),
  plugins: z.array(PluginRef),
  config: z.record(z.string(), z.unknown()),
});
export type Overlay = z.infer<typeof Overlay>;

/** v1.1: one file of `/configs`. */
export const ConfigFile = z.object({
  path: z.string().min(1),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ConfigFile = z.infer<typeof ConfigFile>;

export const ConfigOverlayAppliedDetail = z.object({
  requestId: requestIdField,
  workspaceId: workspaceIdField,
  kind: kindField,
  runtime: runtimeField,
  taskArn,
  overlay: Overlay,
  /** The config.yaml the workspace found: the staged one (or the runtime's base config) with the overlay's merge patch applied (RFC 7396). */
  effectiveConfig: z.record(z.string(), z.unknown()).optional(),
  /** v1.1: what the workspace finds in `/configs`, as the boot step wrote and checked it. */
  files: z.array(ConfigFile),
  /** v1.1: the secrets scopes delivered to the workspace (their env files, never their values). */
  secrets: z.array(z.enum(SECRET_SCOPES)),
});
export type ConfigOverlayAppliedDetail = z.infer<typeof ConfigOverlayAppliedDetail>;

/**
 * Sent before any launch (v1.1): upstream stages the template's files under `destination` and
 * answers with `Workspace Template Assets Staged`. `taskArn` is v1's and no longer sent.
 */
export const TemplateAssetsRequestedDetail = z.object({
  workspaceId: workspaceIdField,
  kind: kindField,
  template: z.string().min(1),
  /** The paths the kind's overlay requires under `destination` (may be empty). */
  paths: z.array(z.string().min(1)),
  /** Always sent since v1.1. */
  requestId: requestIdField,
  /** v1.1 */
  orgId: orgIdField,
  /** v1.1: `s3://<bucket>/staged/<orgId>/<workspaceId>/<requestId>/`, unique to the request. */
  destination: z.string().regex(/^s3:\/\/[^/]+\/.+\/$/),
  taskArn: taskArn.optional(),
});
export type TemplateAssetsRequestedDetail = z.infer<typeof TemplateAssetsRequestedDetail>;

export const PluginInstallRequestedDetail = z.object({
  workspaceId: workspaceIdField,
  kind: kindField,
  plugin: PluginRef,
  requestId: requestIdField.optional(),
  taskArn: taskArn.optional(),
});
export type PluginInstallRequestedDetail = z.infer<typeof PluginInstallRequestedDetail>;

export const ProvisionFailedDetail = z.object({
  requestId: requestIdField.optional(),
  workspaceId: workspaceIdField,
  code: failureCodeField,
  /** Generic text: never a raw AWS error body, an account id or a secret. */
  reason: z.string().max(512),
  retryable: z.boolean(),
  runtime: runtimeField.optional(),
  kind: kindField.optional(),
  taskArn: taskArn.optional(),
});
export type ProvisionFailedDetail = z.infer<typeof ProvisionFailedDetail>;

export const FieldError = z.object({ path: z.string(), message: z.string() });
export type FieldError = z.infer<typeof FieldError>;

export const ProvisionRejectedDetail = z.object({
  requestId: z.string().optional(),
  workspaceId: z.string().optional(),
  rejectedEventId: z.string(),
  rejectedDetailType: z.string(),
  errors: z.array(FieldError).min(1),
});
export type ProvisionRejectedDetail = z.infer<typeof ProvisionRejectedDetail>;

export const RunningDetail = z.object({
  workspaceId: workspaceIdField,
  taskArn,
  runtime: runtimeField,
  kind: kindField,
  version: z.number().int().nonnegative(),
  requestId: requestIdField.optional(),
  /**
   * The `workspace` container's image digest as ECS reports it (`sha256:…`); ECS gives it for
   * images it resolved by digest (always for ECR), so it may be absent.
   */
  imageDigest: z.string().min(1).max(256).optional(),
  /** v1.1: the task's private IPv4 address, from its network attachment. */
  privateIpv4Address: z.string().min(1).max(64).optional(),
  /** v1.1: the workspace container's port. */
  port: z.number().int().min(1).max(65_535).optional(),
  /** v1.1: `http://<privateIpv4Address>:<port>`. */
  url: z.string().min(1).max(128).optional(),
});
export type RunningDetail = z.infer<typeof RunningDetail>;

export const StoppedDetail = z.object({
  workspaceId: workspaceIdField,
  taskArn,
  /**
   * v1.1: why the task stopped (CONTRACT.md). The provisioner always sets it; optional here so an
   * event from before v1.1 still parses.
   */
  cause: z.enum(STOP_CAUSES).optional(),
  stopCode: z.string().optional(),
  stoppedReason: z.string().optional(),
  exitCode: z.number().int().optional(),
  version: z.number().int().nonnegative(),
  runtime: runtimeField.optional(),
  kind: kindField.optional(),
  requestId: requestIdField.optional(),
});
export type StoppedDetail = z.infer<typeof StoppedDetail>;

export const DeprovisionedDetail = z.object({
  requestId: requestIdField,
  workspaceId: workspaceIdField,
  taskArns: z.array(taskArn),
});
export type DeprovisionedDetail = z.infer<typeof DeprovisionedDetail>;

/** v1.1: a deprovision request whose retries are spent; its tasks may still be running. */
export const DeprovisionFailedDetail = z.object({
  requestId: requestIdField,
  workspaceId: workspaceIdField,
  code: z.enum(DEPROVISION_FAILURE_CODES),
  /** Generic text: never a raw AWS error body, an account id or an ARN. */
  reason: z.string().max(512),
});
export type DeprovisionFailedDetail = z.infer<typeof DeprovisionFailedDetail>;

/** v1.1: a launched task whose overlay could not be applied once its retries were spent. */
export const ConfigOverlayFailedDetail = z.object({
  requestId: requestIdField,
  workspaceId: workspaceIdField,
  taskArn: taskArn.optional(),
  kind: kindField.optional(),
  code: z.enum(OVERLAY_FAILURE_CODES),
  /** Generic text: never a raw AWS error body, an account id or an ARN. */
  reason: z.string().max(512),
});
export type ConfigOverlayFailedDetail = z.infer<typeof ConfigOverlayFailedDetail>;

/**
 * v1.2: a workspace that stopped by itself (or is about to be retired, or was found without its
 * task) is relaunched after `backoffSeconds`; Task Launched, Config Overlay Applied and Running
 * follow as for a first launch.
 */
export const RecoveringDetail = z.object({
  workspaceId: workspaceIdField,
  cause: z.enum(RECOVERY_CAUSES),
  /** The n-th recovery within the crash-loop window (1 for a retirement or a lost task, which are not counted). */
  attempt: z.number().int().min(1),
  /** The task that stopped (or is being replaced), when there was one. */
  previousTaskArn: taskArn.optional(),
  /** The provision request the workspace runs. */
  requestId: requestIdField,
  kind: kindField,
  /** How long the provisioner waits before the relaunch. */
  backoffSeconds: z.number().nonnegative(),
});
export type RecoveringDetail = z.infer<typeof RecoveringDetail>;

/** v1.2: the crash-loop limit was reached; the workspace is left stopped and nothing more is launched. */
export const RecoveryAbandonedDetail = z.object({
  workspaceId: workspaceIdField,
  cause: z.enum(RECOVERY_CAUSES),
  /** The recoveries made within the window before this stop. */
  attempts: z.number().int().nonnegative(),
  previousTaskArn: taskArn.optional(),
  requestId: requestIdField,
  kind: kindField,
});
export type RecoveryAbandonedDetail = z.infer<typeof RecoveryAbandonedDetail>;

/**
 * v1.2: the answer to `Workspace Status Requested`, from what the provisioner recorded and what ECS
 * says; `requestId` is the status request's.
 */
export const WorkspaceStatusDetail = z.object({
  requestId: requestIdField,
  workspaceId: workspaceIdField,
  state: z.enum(WORKSPACE_STATES),
  taskArn: taskArn.optional(),
  url: z.string().min(1).max(128).optional(),
  /**
   * ISO-8601 UTC time of the last state change, as `Date#toISOString` writes it. A pattern rather
   * than `format: date-time`, which a strict JSON Schema validator refuses as an unknown format.
   */
  since: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/)
    .optional(),
  kind: kindField.optional(),
  runtime: runtimeField.optional(),
});
export type WorkspaceStatusDetail = z.infer<typeof WorkspaceStatusDetail>;

/** v1.2: a restart request that could not be carried out; `requestId` is the restart request's. */
export const RestartFailedDetail = z.object({
  requestId: requestIdField,
  workspaceId: workspaceIdField,
  code: z.enum(RESTART_FAILURE_CODES),
  /** Generic text: never a raw AWS error body, an account id or an ARN. */
  reason: z.string().max(512),
});
export type RestartFailedDetail = z.infer<typeof RestartFailedDetail>;

/** v1.2: a task the reconciliation sweep stopped because it should not run. */
export const OrphanTaskStoppedDetail = z.object({
  workspaceId: workspaceIdField,
  taskArn,
  reason: z.enum(ORPHAN_REASONS),
});
export type OrphanTaskStoppedDetail = z.infer<typeof OrphanTaskStoppedDetail>;

/**
 * v1.3: a persistent workspace's data volume was snapshotted after its task stopped; the snapshot
 * is now the workspace's latest, which its next launch restores. The volume is deleted.
 */
export const DataSavedDetail = z.object({
  workspaceId: workspaceIdField,
  snapshotId: z.string().min(1),
  sizeGiB: z.number().int().positive(),
  /** The task whose volume was saved. */
  taskArn,
  orgId: orgIdField.optional(),
  kind: kindField.optional(),
});
export type DataSavedDetail = z.infer<typeof DataSavedDetail>;

/**
 * v1.3: a save of a persistent workspace's data failed. The volume is kept (never deleted without
 * a snapshot), an alarm is raised, and the workspace's next launch fails with `DATA_SAVE_FAILED`
 * rather than start on older data.
 */
export const DataSaveFailedDetail = z.object({
  workspaceId: workspaceIdField,
  volumeId: z.string().min(1),
  taskArn: taskArn.optional(),
  snapshotId: z.string().min(1).optional(),
  /** Generic text: never a raw AWS error body, an account id or an ARN. */
  reason: z.string().max(512),
  orgId: orgIdField.optional(),
  kind: kindField.optional(),
});
export type DataSaveFailedDetail = z.infer<typeof DataSaveFailedDetail>;

/** v1.3: a deprovision with `erase: true` deleted the workspace's data; `requestId` is the deprovision's. */
export const DataErasedDetail = z.object({
  workspaceId: workspaceIdField,
  snapshotIds: z.array(z.string().min(1)),
  volumeIds: z.array(z.string().min(1)),
  requestId: requestIdField,
  kind: kindField.optional(),
});
export type DataErasedDetail = z.infer<typeof DataErasedDetail>;
