import runtimeCatalog from '#config/runtimes.json' with { type: 'json' };

/**
 * Names that appear on the wire: detail-types, sources, kinds and failure codes.
 * Everything else (rules, schemas, handlers, the local stack) imports them from here.
 */

/** Default source accepted for requests; the deployed allowlist is configurable. */
export const DEFAULT_REQUEST_SOURCE = 'platform.workspace-server';
/** Default source of everything this project emits. */
export const DEFAULT_PROVISIONER_SOURCE = 'platform.provisioner';
/** Default event bus name. */
export const DEFAULT_EVENT_BUS_NAME = 'workspaces';
/** Default ECS cluster name. */
export const DEFAULT_CLUSTER_NAME = 'workspaces';

export const ECS_SOURCE = 'aws.ecs';
export const ECS_TASK_STATE_CHANGE = 'ECS Task State Change';

/**
 * v1.2: AWS Health on the default bus. Its `AWS Health Event` for an ECS task retirement carries
 * `detail.service` `ECS`, `detail.eventTypeCode` `AWS_ECS_TASK_PATCHING_RETIREMENT` and the
 * standalone tasks' ARNs in `detail.affectedEntities[].entityValue` (the sample event in
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-maintenance.html; the envelope in
 * https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html).
 */
export const HEALTH_SOURCE = 'aws.health';
export const HEALTH_EVENT = 'AWS Health Event';
/** `detail.service` of an AWS Health event about ECS. */
export const HEALTH_ECS_SERVICE = 'ECS';
/** `detail.eventTypeCode` of a Fargate task retirement notice. */
export const ECS_TASK_PATCHING_RETIREMENT = 'AWS_ECS_TASK_PATCHING_RETIREMENT';

/**
 * v1.3: EBS on the default bus. A snapshot's completion is `EBS Snapshot Notification` with
 * `detail.event` `createSnapshot`, `detail.result` `succeeded` or `failed`, `detail.snapshot_id` the
 * snapshot's ARN and `detail.source` the volume's
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html).
 */
export const EC2_SOURCE = 'aws.ec2';
export const EBS_SNAPSHOT_NOTIFICATION = 'EBS Snapshot Notification';
/** `detail.event` of a snapshot's completion. */
export const EBS_CREATE_SNAPSHOT_EVENT = 'createSnapshot';
/** The task attachment type of an ECS-managed EBS volume (ECS API Reference, `Attachment.type`). */
export const EBS_ATTACHMENT_TYPE = 'AmazonElasticBlockStorage';

/** Detail-types of the events upstream systems publish. */
export const INBOUND_DETAIL_TYPES = {
  provisionRequested: 'Workspace Provision Requested',
  deprovisionRequested: 'Workspace Deprovision Requested',
  /** v1.1: upstream's template asset channel staged the files a request's template needs. */
  templateAssetsStaged: 'Workspace Template Assets Staged',
  /** v1.2: stop the workspace's task and launch a new one with the request it runs. */
  restartRequested: 'Workspace Restart Requested',
  /** v1.2: answered by `Workspace Status`. */
  statusRequested: 'Workspace Status Requested',
} as const;

/** Detail-types of the events this project emits (source `platform.provisioner`). */
export const OUTBOUND_DETAIL_TYPES = {
  taskLaunched: 'Workspace Task Launched',
  configOverlayApplied: 'Workspace Config Overlay Applied',
  templateAssetsRequested: 'Workspace Template Assets Requested',
  pluginInstallRequested: 'Workspace Plugin Install Requested',
  provisionFailed: 'Workspace Provision Failed',
  provisionRejected: 'Workspace Provision Rejected',
  running: 'Workspace Running',
  stopped: 'Workspace Stopped',
  deprovisioned: 'Workspace Deprovisioned',
  deprovisionFailed: 'Workspace Deprovision Failed',
  configOverlayFailed: 'Workspace Config Overlay Failed',
  /** v1.2: a stopped workspace is being relaunched after a backoff. */
  recovering: 'Workspace Recovering',
  /** v1.2: the crash-loop limit was reached; nothing more is launched. */
  recoveryAbandoned: 'Workspace Recovery Abandoned',
  /** v1.2: the answer to `Workspace Status Requested`. */
  status: 'Workspace Status',
  /** v1.2: a restart request that could not be carried out. */
  restartFailed: 'Workspace Restart Failed',
  /** v1.2: the reconciliation sweep stopped a task that should not run. */
  orphanTaskStopped: 'Workspace Orphan Task Stopped',
  /** v1.3: a persistent workspace's data volume was snapshotted after its task stopped. */
  dataSaved: 'Workspace Data Saved',
  /** v1.3: a save failed; the volume is kept and an alarm raised. */
  dataSaveFailed: 'Workspace Data Save Failed',
  /** v1.3: a deprovision with `erase` deleted every snapshot and volume of the workspace. */
  dataErased: 'Workspace Data Erased',
} as const;

export const DETAIL_TYPES = { ...INBOUND_DETAIL_TYPES, ...OUTBOUND_DETAIL_TYPES } as const;
export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/** Workspace kinds. `platform` is the org concierge. The overlay config must declare exactly these. */
export const KINDS = ['workspace', 'platform'] as const;
export type Kind = (typeof KINDS)[number];
export const DEFAULT_KIND: Kind = 'workspace';

export const TIERS = [1, 2, 3, 4] as const;
export type Tier = (typeof TIERS)[number];
export const DEFAULT_TIER: Tier = 2;

/**
 * The runtime catalog's keys are the contract's runtime enum: config/runtimes.json is the one source.
 * Here rather than beside the field schemas so that code which only checks a name (the failure
 * reporter) does not build the schemas.
 */
export const RUNTIME_NAMES: readonly string[] = Object.freeze(Object.keys(runtimeCatalog.runtimes));

/** Stable codes of `Workspace Provision Failed`. */
export const FAILURE_CODES = [
  'CAPACITY_UNAVAILABLE',
  'THROTTLED',
  'LAUNCH_FAILED',
  'TASK_FAILED_TO_START',
  'PROVISION_TIMEOUT',
  /** v1.1: the staged template assets lack a path the kind's overlay requires. */
  'TEMPLATE_ASSETS_MISSING',
  /** v1.1: the staged template assets cannot be used (a bad path, too large, config.yaml not a YAML mapping). */
  'TEMPLATE_ASSETS_INVALID',
  /** v1.1: no `Workspace Template Assets Staged` arrived within the template assets timeout. */
  'TEMPLATE_ASSETS_TIMEOUT',
  /**
   * v1.1: a secrets scope the request lists has no secrets file; or the task stopped before it ran
   * because ECS could not fetch its secrets or environment files.
   */
  'SECRETS_UNAVAILABLE',
  /** v1.1: the task stopped before it ran because ECS could not pull its image (final). */
  'IMAGE_PULL_FAILED',
  /**
   * v1.3: the workspace's previous data was still being saved when the launch's wait for it ran
   * out; nothing was launched on stale data.
   */
  'DATA_SAVE_PENDING',
  /** v1.3: the last save of the workspace's data failed (its volume is kept); nothing was launched. */
  'DATA_SAVE_FAILED',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

/** Stable codes of `Workspace Deprovision Failed`: its retries are spent, or it aged out first. */
export const DEPROVISION_FAILURE_CODES = ['DEPROVISION_FAILED', 'DEPROVISION_EXPIRED'] as const;
export type DeprovisionFailureCode = (typeof DEPROVISION_FAILURE_CODES)[number];

/** Stable codes of `Workspace Config Overlay Failed`: its retries are spent, or it aged out first. */
export const OVERLAY_FAILURE_CODES = ['OVERLAY_FAILED', 'OVERLAY_EXPIRED'] as const;
export type OverlayFailureCode = (typeof OVERLAY_FAILURE_CODES)[number];

/**
 * v1.1: why a workspace's task stopped, the `cause` of `Workspace Stopped` (CONTRACT.md, "v1.1
 * additions"); read from ECS's stop code, stopped reason and exit codes by core/stop-cause.ts.
 */
export const STOP_CAUSES = [
  'requested',
  'crashed',
  'out-of-memory',
  'infrastructure',
  'failed-to-start',
  'timed-out',
] as const;
export type StopCause = (typeof STOP_CAUSES)[number];

/**
 * v1.2: `recovery` of `Workspace Provision Requested`: whether a workspace that stops by itself
 * (`crashed`, `out-of-memory`, `infrastructure`) is relaunched.
 */
export const RECOVERY_MODES = ['on-failure', 'never'] as const;
export type RecoveryMode = (typeof RECOVERY_MODES)[number];
export const DEFAULT_RECOVERY: RecoveryMode = 'on-failure';

/**
 * v1.2: `cause` of `Workspace Recovering` and `Workspace Recovery Abandoned`: the three stop causes
 * worth recovering from, a Fargate retirement announced ahead of time (`scheduled-retirement`), and
 * a workspace the reconciliation sweep found without the task it should have (`lost`).
 */
export const RECOVERY_CAUSES = [
  'crashed',
  'out-of-memory',
  'infrastructure',
  'scheduled-retirement',
  'lost',
] as const;
export type RecoveryCause = (typeof RECOVERY_CAUSES)[number];

/**
 * v1.2: `state` of `Workspace Status`. Every state the provisioner records, plus `unknown` for a
 * workspace it has no record of.
 */
export const WORKSPACE_STATES = [
  'provisioning',
  'running',
  'recovering',
  'stopped',
  'deprovisioned',
  'failed',
  'unknown',
] as const;
export type WorkspaceStatusState = (typeof WORKSPACE_STATES)[number];

/**
 * v1.2: stable codes of `Workspace Restart Failed`: the provisioner has no record of the workspace,
 * the workspace was deprovisioned, or the relaunch failed after its retries.
 */
export const RESTART_FAILURE_CODES = [
  'WORKSPACE_UNKNOWN',
  'WORKSPACE_DEPROVISIONED',
  'RESTART_FAILED',
] as const;
export type RestartFailureCode = (typeof RESTART_FAILURE_CODES)[number];

/**
 * v1.2: `reason` of `Workspace Orphan Task Stopped`: the task ran for a workspace that was
 * deprovisioned (or that the provisioner has no record of), or for a live workspace that the
 * provisioner never launched it for.
 */
export const ORPHAN_REASONS = ['deprovisioned', 'not-launched-by-provisioner'] as const;
export type OrphanReason = (typeof ORPHAN_REASONS)[number];

/** Environment variable names the system sets on every task; a request may not set them. */
export const SYSTEM_ENV_NAMES = [
  'WORKSPACE_ID',
  'ORG_ID',
  'WORKSPACE_KIND',
  'WORKSPACE_RUNTIME',
  'TIER',
  'WORKSPACE_CONFIG_PATH',
  /** v1.3: a persistent workspace's data path (the volume's mount point). */
  'WORKSPACE_DATA_PATH',
] as const;
/** Environment name prefixes reserved for the platform. */
export const RESERVED_ENV_PREFIXES = ['AWS_', 'ECS_', 'BOOT_'] as const;

/**
 * Environment names that make a loader or an interpreter run code of the caller's choosing, refused
 * in a request's `env` so a request can never take over a workspace process (or, under the local
 * `process` driver, the developer's machine). Chosen from what the workspace runtimes and the
 * programs in their images read at start: the dynamic loaders, Node.js (claude-code, codex,
 * openclaw), Python (hermes), the shells that run entrypoints, and the JVM, Ruby and Perl, which
 * images commonly carry. Sources in test/unit/contracts/env-injection.test.ts.
 */
export const CODE_INJECTION_ENV_PREFIXES = ['LD_', 'DYLD_'] as const;
export const CODE_INJECTION_ENV_NAMES = [
  'NODE_OPTIONS',
  'NODE_REPL_EXTERNAL_MODULE',
  'BASH_ENV',
  'ENV',
  'SHELLOPTS',
  'BASHOPTS',
  'PS4',
  'PROMPT_COMMAND',
  'PYTHONSTARTUP',
  'PYTHONWARNINGS',
  'PYTHONBREAKPOINT',
  'PYTHONINSPECT',
  'PYTHONHOME',
  'JAVA_TOOL_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'RUBYOPT',
  'PERL5OPT',
  'PERL5LIB',
  'PERLLIB',
  'GCONV_PATH',
  'GLIBC_TUNABLES',
] as const;

/**
 * v1.1: secrets scopes a request may list in `secrets`. Each is an env file in the workspace files
 * bucket at a key the provisioner derives (`core/workspace-files.ts`); `platform` is for
 * `kind=platform` only.
 */
export const SECRET_SCOPES = ['org', 'workspace', 'platform'] as const;
export type SecretScope = (typeof SECRET_SCOPES)[number];
/** The scope only the concierge (`kind=platform`) may receive. */
export const PLATFORM_SECRET_SCOPE: SecretScope = 'platform';

/**
 * Words that mark an env name as a secret (`MODEL_API_KEY`, `GIT_HTTP_PASSWORD`): a name any of
 * whose `_`-separated words is one of these is refused in `env`, and belongs in `secrets`.
 */
export const SECRET_ENV_WORDS = [
  'KEY',
  'KEYS',
  'APIKEY',
  'TOKEN',
  'TOKENS',
  'SECRET',
  'SECRETS',
  'PASSWORD',
  'PASSWORDS',
  'PASSWD',
  'PASSPHRASE',
  'CREDENTIAL',
  'CREDENTIALS',
  'CREDS',
] as const;

/** Default name of the workspace files bucket on the local stack (and its CDK output's meaning). */
export const DEFAULT_WORKSPACE_FILES_BUCKET = 'workspace-files';

/** ECS conventions shared by CDK, the core and the local stack. */
export const CONTAINER_NAME = 'workspace';
/** v1.1: the boot step, an init container `workspace` depends on with `SUCCESS`. */
export const BOOT_CONTAINER_NAME = 'boot';
/** v1.1: the task volume the boot step fills and the workspace reads, and where both mount it. */
export const CONFIGS_VOLUME_NAME = 'configs';
export const CONFIGS_PATH = '/configs';
/** v1.1: set on the workspace container; the runtime reads its config from there. */
export const WORKSPACE_CONFIG_PATH_ENV = 'WORKSPACE_CONFIG_PATH';
/**
 * v1.3: the task definition volume (`configuredAtLaunch`) a persistent workspace's managed EBS
 * volume fills, mounted on the workspace container at its runtime's data path.
 */
export const DATA_VOLUME_NAME = 'workspace-data';
/** v1.3: set on a persistent workspace's container: where its data volume is mounted. */
export const WORKSPACE_DATA_PATH_ENV = 'WORKSPACE_DATA_PATH';
/**
 * v1.3: the file system of every data volume. A volume restored from a snapshot must name the file
 * system the snapshot's volume had (ECS API Reference, TaskManagedEBSVolumeConfiguration
 * `filesystemType`), so it never changes.
 */
export const DATA_FILESYSTEM_TYPE = 'ext4';
/**
 * v1.3 `storage.sizeGiB`: gp3 volumes are 1 to 16,384 GiB (ECS API Reference,
 * TaskManagedEBSVolumeConfiguration `sizeInGiB`).
 */
export const STORAGE_MIN_GIB = 1;
export const STORAGE_MAX_GIB = 16_384;
export const FAMILY_PREFIX = 'workspace-';
export const familyFor = (runtime: string): string => `${FAMILY_PREFIX}${runtime}`;

/** Task tag keys (CONTRACT.md, ECS conventions). */
export const TAG_KEYS = {
  workspaceId: 'workspace-id',
  orgId: 'org-id',
  kind: 'kind',
  runtime: 'runtime',
  requestId: 'request-id',
  /**
   * v1.3: on data volumes and snapshots: the deployment that owns them (its value is the
   * deployment's `dataTag` setting). The data function's IAM is scoped to resources carrying it.
   */
  provisioner: 'workspace-provisioner',
  /** v1.3: on data snapshots: the task whose volume was saved. */
  taskArn: 'task-arn',
} as const;

/** `Workspace Provision Requested` -> `workspace-provision-requested`. */
export const kebabDetailType = (detailType: string): string =>
  detailType.trim().toLowerCase().replace(/\s+/g, '-');
