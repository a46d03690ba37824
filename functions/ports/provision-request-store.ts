/**
 * The provision-request store port (v1.1): what the provisioner itself recorded of each request it
 * accepted, so every later step (assets staged, the timeout sweep, task-state) acts on that record,
 * keyed by `requestId`, and never on what a follow-up event says. DynamoDB in AWS
 * (`adapters/dynamodb-provision-requests.ts`), SQLite locally.
 */
import type { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import type { SecretScope } from '#contracts/names.ts';
import type { BootFileManifestEntry } from '#core/boot-bundle.ts';

/**
 * Where a request stands. `awaiting-assets` waits for `Workspace Template Assets Staged` (or the
 * timeout); `launching` is taken by exactly one step before it launches; `launched` and `failed`
 * are final.
 */
export type ProvisionRequestStatus = 'awaiting-assets' | 'launching' | 'launched' | 'failed';

/** One recorded request. */
export interface ProvisionRequestRecord {
  /** The request as parsed (defaults applied). */
  readonly request: ProvisionRequestedDetail;
  readonly status: ProvisionRequestStatus;
  /** Epoch ms it was recorded. */
  readonly recordedAt: number;
  /** The template staged for it, when one is. */
  readonly template?: string;
  /** `s3://…/` where its template assets are staged, when a template is set. */
  readonly destination?: string;
  /** Epoch ms after which an awaiting request times out. */
  readonly assetsDeadline?: number;
  /** The `/configs` files its boot bundle holds, once rendered. */
  readonly manifest?: readonly BootFileManifestEntry[];
  /** The `config.yaml` the workspace finds, once rendered. */
  readonly effectiveConfig?: Record<string, unknown>;
  /** The secrets scopes its task gets, in delivery order. */
  readonly secrets: readonly SecretScope[];
  /** The task it launched. */
  readonly taskArn?: string;
  /** The task whose `Workspace Config Overlay Applied` is out (once per task). */
  readonly overlayReportedTaskArn?: string;
}

/** Fields a transition sets along with the status. */
export type ProvisionRequestUpdate = Partial<
  Pick<ProvisionRequestRecord, 'manifest' | 'effectiveConfig' | 'taskArn'>
>;

export interface ProvisionRequestStore {
  /** Records a request; false (and nothing written) when `requestId` is already recorded. */
  create(record: ProvisionRequestRecord): Promise<boolean>;
  get(requestId: string): Promise<ProvisionRequestRecord | undefined>;
  /**
   * Moves a request to `to` only while its status is one of `from` (a conditional write): true
   * when it moved. Two steps racing for one request (Staged and the timeout) cannot both win.
   */
  transition(
    requestId: string,
    from: readonly ProvisionRequestStatus[],
    to: ProvisionRequestStatus,
    update?: ProvisionRequestUpdate,
  ): Promise<boolean>;
  /** Requests still awaiting assets whose deadline is at or before `now`, at most `limit`. */
  overdueAwaitingAssets(now: number, limit: number): Promise<ProvisionRequestRecord[]>;
  /** The request that launched `taskArn`, when the provisioner launched it. */
  findByTask(taskArn: string): Promise<ProvisionRequestRecord | undefined>;
  /** Claims the one `Workspace Config Overlay Applied` of a task: true the first time only. */
  claimOverlayReport(requestId: string, taskArn: string): Promise<boolean>;
}
