/** The local provision function's reserved concurrency, sized as the deployed one is (docs/decisions/011). */

import type { QuotaOptions } from '#local/interfaces.ts';
import { DEFAULT_PROVISION_RESERVED_CONCURRENCY } from '#wiring/names.ts';

/**
 * How long a local provision invocation takes under load (measured: 50 to 100 ms). The deployed
 * sizing rule (docs/decisions/011) is reservation = RunTask rate x invocation time.
 */
const LOCAL_PROVISION_SECONDS = 0.1;

/**
 * The provision function's reserved concurrency, sized to the RunTask quota it runs against, as the
 * deployed one is: the deployed default when no quota is emulated, else enough concurrent
 * invocations to use the emulated rate (never less than the default).
 */
export function provisionConcurrencyFor(quota: QuotaOptions | undefined): number {
  if (!quota) return DEFAULT_PROVISION_RESERVED_CONCURRENCY;
  return Math.max(
    DEFAULT_PROVISION_RESERVED_CONCURRENCY,
    Math.ceil(quota.ratePerSecond * LOCAL_PROVISION_SECONDS),
  );
}
