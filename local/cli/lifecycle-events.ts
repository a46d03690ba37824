/**
 * Issue 13's lifecycle events as the CLI's `status` and `restart` name them (their one-line
 * summaries are with every other event's, in local/stack/event-summary.ts).
 */
import { DETAIL_TYPES } from '#contracts/names.ts';

/** The detail-types of issue 13 the CLI shows, as the contract names them. */
export const LIFECYCLE_DETAIL_TYPES = {
  restartRequested: DETAIL_TYPES.restartRequested,
  recovering: DETAIL_TYPES.recovering,
  recoveryAbandoned: DETAIL_TYPES.recoveryAbandoned,
  status: DETAIL_TYPES.status,
  restartFailed: DETAIL_TYPES.restartFailed,
  orphanTaskStopped: DETAIL_TYPES.orphanTaskStopped,
} as const;
