/**
 * Names that cross a boundary between the parts of the system: the stack id, the buses, the metric
 * namespace and metric names the alarms read, the error types one function matches on when another
 * throws them, and deployment defaults both the CDK stack and the local stack apply. One module
 * owns each; infra/, local/ and functions/ import it. Imports nothing, so anything may import it.
 */

/** The CDK stack id, and the name of the synthesized template (`cdk.out/<id>.template.json`). */
export const STACK_ID = 'WorkspaceProvisioner';

/** The bus AWS delivers its own services' events to (`aws.ecs`, schedules): rules for them sit there. */
export const AWS_DEFAULT_BUS = 'default';

/** Powertools metrics namespace of every handler; the alarms and dashboard read it. */
export const METRICS_NAMESPACE = 'WorkspaceProvisioner';

/** Prefix of each function's Powertools service name: `workspace-provisioner-<function>`. */
export const SERVICE_NAME_PREFIX = 'workspace-provisioner';

/** Metric names the handlers count (Powertools Metrics); the alarms and dashboard rely on them. */
export const METRIC = {
  taskLaunched: 'TaskLaunched',
  taskAlreadyRunning: 'TaskAlreadyRunning',
  /**
   * Added each time a handler publishes `Workspace Provision Failed` (with a `code` dimension of its
   * own); the failure-rate alarm sums it across all dimensions.
   */
  provisionFailed: 'ProvisionFailed',
  provisionRejected: 'ProvisionRejected',
  runTaskRetried: 'RunTaskRetried',
  launchRetriesSpent: 'LaunchRetriesSpent',
  leaseWaited: 'WorkspaceLeaseWaited',
  putEventsEntriesRetried: 'PutEventsEntriesRetried',
  overlayApplied: 'OverlayApplied',
  taskStateEmitted: 'TaskStateEventEmitted',
  taskStateAdvanced: 'TaskStateVersionAdvanced',
  taskStateIgnored: 'TaskStateEventIgnored',
  tasksStopped: 'TasksStopped',
  deprovisioned: 'WorkspaceDeprovisioned',
  deprovisionRejected: 'DeprovisionRejected',
  tasksSwept: 'TasksSwept',
  failureRecordUnreadable: 'FailureRecordUnreadable',
  failureRecordSkipped: 'FailureRecordSkipped',
  idempotentReplay: 'IdempotentReplay',
  /**
   * Added by the failure reporter for each `Workspace Deprovision Failed` /
   * `Workspace Config Overlay Failed` it publishes (no dimension but Powertools' `service`); the
   * failure-rate alarm adds them to `ProvisionFailed`.
   */
  deprovisionFailed: 'DeprovisionFailed',
  overlayFailed: 'OverlayFailed',
  /**
   * A `Workspace Task Launched` that ECS does not confirm (the overlay emitted nothing), or a
   * `Workspace Template Assets Staged` for no request awaiting assets (nothing launched).
   */
  forgedEventIgnored: 'ForgedEventIgnored',
  /** v1.1: a request whose template assets were asked for. */
  templateAssetsRequested: 'TemplateAssetsRequested',
  /** v1.1: `Workspace Config Overlay Applied` published on the boot step's exit 0. */
  overlayAppliedOnEvidence: 'OverlayAppliedOnEvidence',
  /** v1.2: `Workspace Recovering` published (a crash, an OOM kill, the platform, a retirement, a lost task). */
  workspaceRecovering: 'WorkspaceRecovering',
  /** v1.2: a crash loop cut (`Workspace Recovery Abandoned`); it raises an alarm. */
  recoveryAbandoned: 'RecoveryAbandoned',
  /** v1.2: a workspace restarted on request. */
  workspaceRestarted: 'WorkspaceRestarted',
  /** v1.2: a `Workspace Status` answered. */
  statusAnswered: 'StatusAnswered',
  /** v1.2: the reconciliation stopped a task no workspace of the provisioner owns; it raises an alarm. */
  reconcileOrphanStopped: 'ReconcileOrphanStopped',
  /** v1.2: the reconciliation found a workspace that should run with no task; it raises an alarm. */
  reconcileLostRecovered: 'ReconcileLostRecovered',
  /**
   * v1.3: the reconciliation resumed a persistent-data save whose stop or snapshot notification was
   * lost (it snapshotted a volume left unsaved, or finished a completed snapshot's save); it raises
   * the reconciliation alarm.
   */
  reconcileDataSaveResumed: 'ReconcileDataSaveResumed',
  /** v1.3: a data snapshot started for a stopped task's volume. */
  dataSaveStarted: 'DataSaveStarted',
  /** v1.3: `Workspace Data Saved` published. */
  dataSaved: 'DataSaved',
  /** v1.3: `Workspace Data Save Failed` published; it raises an alarm. */
  dataSaveFailed: 'DataSaveFailed',
  /** v1.3: `Workspace Data Erased` published. */
  dataErased: 'DataErased',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/**
 * Error types that cross function boundaries: the provision function throws them and the failure
 * reporter reads them back from Lambda's on-failure record (`responsePayload.errorType`).
 */
export const CROSS_FUNCTION_ERRORS = {
  /** Retryable launch outcomes outlasted the invocation; the message is `CODE: reason`. */
  launchRetriesSpent: 'LaunchRetriesSpentError',
  /** A bad request whose rejection could not be published: left to the DLQ, never reported Failed. */
  rejectionNotPublished: 'RejectionNotPublishedError',
} as const;

/**
 * Reserved concurrency of the provision function. Fargate allows 20 RunTask calls per second per
 * account and Region; one invocation makes about one RunTask call per second, so 10 uses half of
 * that and leaves room for the sweep, retries and other callers in the account
 * (docs/decisions/011).
 */
export const DEFAULT_PROVISION_RESERVED_CONCURRENCY = 10;

/**
 * How long a templated request waits for `Workspace Template Assets Staged` unless the deployment
 * says otherwise (`templateAssetsTimeoutSeconds`, `--template-assets-timeout`): the 5 minutes.
 */
export const DEFAULT_TEMPLATE_ASSETS_TIMEOUT_SECONDS = 300;

/**
 * v1.2 recovery (decision 019): a crash loop is cut after this many recoveries within the window
 * (the 5 in 30 minutes); a recovery waits `base * 2^(attempt - 1)` seconds, at most
 * {@link MAX_RECOVERY_BACKOFF_SECONDS}. Deploy options `recoveryAttempts`, `recoveryWindowSeconds`,
 * `recoveryBackoffSeconds`; `--recovery-*` locally.
 */
export const DEFAULT_RECOVERY_ATTEMPTS = 5;
export const DEFAULT_RECOVERY_WINDOW_SECONDS = 1800;
export const DEFAULT_RECOVERY_BACKOFF_SECONDS = 10;
export const MAX_RECOVERY_BACKOFF_SECONDS = 120;

/**
 * v1.3 persistent data (decision 020): completed snapshots kept per workspace (the newest is the
 * one restored; older ones are there to go back to by hand), and how long a launch waits for the
 * previous task's save before it fails with `DATA_SAVE_PENDING`. Deploy options
 * `dataSnapshotRetention`, `dataSaveWaitSeconds`; `--data-save-wait` locally.
 */
export const DEFAULT_DATA_SNAPSHOT_RETENTION = 3;
export const DEFAULT_DATA_SAVE_WAIT_SECONDS = 240;
/** The value of the `workspace-provisioner` tag on data volumes and snapshots unless the deployment names one. */
export const DEFAULT_DATA_TAG = 'workspace-provisioner';
