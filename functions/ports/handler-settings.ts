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
}
