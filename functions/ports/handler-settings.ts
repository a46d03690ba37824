/**
 * The handler-settings port: where events go and where tasks launch. Read from the environment in
 * Lambda (`adapters/environment.ts`) and from flags locally.
 */
import type { LaunchTarget } from '#core/plan-launch.ts';
import type { DataVolumeSettings } from '#core/workspace-data.ts';

/** Settings every handler reads (from the environment in Lambda, from flags locally). */
export interface HandlerSettings {
  /** Bus name or ARN. */
  readonly eventBusName: string;
  /** Source of everything this project emits. */
  readonly provisionerSource: string;
  readonly launchTarget: LaunchTarget;
  /** v1.1: how long a request waits for its template assets. @default DEFAULT_TEMPLATE_ASSETS_TIMEOUT_SECONDS */
  readonly templateAssetsTimeoutSeconds?: number;
  /** v1.2: recoveries allowed within the window before a crash loop is abandoned. @default DEFAULT_RECOVERY_ATTEMPTS */
  readonly recoveryAttempts?: number;
  /** v1.2: the crash-loop window. @default DEFAULT_RECOVERY_WINDOW_SECONDS */
  readonly recoveryWindowSeconds?: number;
  /** v1.2: the first recovery's backoff, doubled for each later one. @default DEFAULT_RECOVERY_BACKOFF_SECONDS */
  readonly recoveryBackoffSeconds?: number;
  /**
   * v1.3: where persistent workspaces' data volumes come from (the ECS infrastructure role, the KMS
   * key, the deployment's tag). A persistent request fails to launch where it is absent.
   */
  readonly dataVolumes?: DataVolumeSettings;
  /** v1.3: completed snapshots kept per workspace. @default DEFAULT_DATA_SNAPSHOT_RETENTION */
  readonly dataSnapshotRetention?: number;
  /** v1.3: how long a launch waits for the previous task's save. @default DEFAULT_DATA_SAVE_WAIT_SECONDS */
  readonly dataSaveWaitSeconds?: number;
  /**
   * How long the sweep leaves a task, a workspace record or a data volume alone before it counts
   * as a finding (the local stack's `--reconcile-grace`). @default 120
   */
  readonly reconcileGraceSeconds?: number;
}
