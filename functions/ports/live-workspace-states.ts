/**
 * Which workspace states are live: a task is running, or about to run, for the workspace. The
 * stores answer exactly these records from `WorkspaceRecordStore.live` (the reconciliation sweep's
 * input), and the DynamoDB store indexes only these, so the three implementations share one list.
 */
import type { WorkspaceState } from './workspace-record-store.ts';

/** The states whose records `WorkspaceRecordStore.live` answers. */
export const LIVE_WORKSPACE_STATES = [
  'provisioning',
  'running',
  'recovering',
] as const satisfies readonly WorkspaceState[];

/** True for a state in which a task should be running (or about to) for the workspace. */
export const isLiveWorkspaceState = (state: WorkspaceState): boolean =>
  (LIVE_WORKSPACE_STATES as readonly WorkspaceState[]).includes(state);
