/**
 * The handler-settings port: where events go and where tasks launch. Read from the environment in
 * Lambda (`adapters/environment.ts`) and from flags locally.
 */
import type { LaunchTarget } from '#core/plan-launch.ts';

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
}
