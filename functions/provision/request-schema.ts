/**
 * The provision request as the parser reads it: the contract, then the launch plan. The plan is
 * made here, once per request, and handed to the flow with the request, so a request that cannot
 * be planned (reserved env names, ECS's overrides budget) is rejected exactly like one that breaks
 * the contract, with the field at fault, and a valid one is never planned a second time.
 */
import * as z from 'zod';
import type { Catalog } from '#config/catalog.ts';
import { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import { LaunchPlanError } from '#core/errors.ts';
import { type LaunchPlan, type LaunchTarget, planLaunch } from '#core/plan-launch.ts';

/** The planning function; a test may pass a spy. */
export type PlanLaunch = typeof planLaunch;

/** A request that passed the contract, with its launch plan. */
export interface PlannedRequest {
  readonly request: ProvisionRequestedDetail;
  readonly plan: LaunchPlan;
}

/**
 * The provision request contract plus the launch plan's own checks. A valid request parses to
 * `{ request, plan }`; one the plan refuses fails with an issue at `[error.path]`.
 */
export function provisionRequestSchema(
  catalog: Catalog,
  target: LaunchTarget,
  plan: PlanLaunch = planLaunch,
) {
  return ProvisionRequestedDetail.transform((request, context): PlannedRequest => {
    try {
      return { request, plan: plan(request, catalog, target) };
    } catch (error) {
      if (!(error instanceof LaunchPlanError)) throw error;
      context.addIssue({ code: 'custom', path: [error.path], message: error.message, input: request });
      return z.NEVER;
    }
  });
}
