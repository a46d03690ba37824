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

/** Detail-types of the events upstream systems publish. */
export const INBOUND_DETAIL_TYPES = {
  provisionRequested: 'Workspace Provision Requested',
  deprovisionRequested: 'Workspace Deprovision Requested',
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
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

/** Stable codes of `Workspace Deprovision Failed`: its retries are spent, or it aged out first. */
export const DEPROVISION_FAILURE_CODES = ['DEPROVISION_FAILED', 'DEPROVISION_EXPIRED'] as const;
export type DeprovisionFailureCode = (typeof DEPROVISION_FAILURE_CODES)[number];

/** Stable codes of `Workspace Config Overlay Failed`: its retries are spent, or it aged out first. */
export const OVERLAY_FAILURE_CODES = ['OVERLAY_FAILED', 'OVERLAY_EXPIRED'] as const;
export type OverlayFailureCode = (typeof OVERLAY_FAILURE_CODES)[number];

/** Environment variable names the system sets on every task; a request may not set them. */
export const SYSTEM_ENV_NAMES = [
  'WORKSPACE_ID',
  'ORG_ID',
  'WORKSPACE_KIND',
  'WORKSPACE_RUNTIME',
  'TIER',
] as const;
/** Environment name prefixes reserved for the platform. */
export const RESERVED_ENV_PREFIXES = ['AWS_', 'ECS_'] as const;

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

/** ECS conventions shared by CDK, the core and the local stack. */
export const CONTAINER_NAME = 'workspace';
export const FAMILY_PREFIX = 'workspace-';
export const familyFor = (runtime: string): string => `${FAMILY_PREFIX}${runtime}`;

/** Task tag keys (CONTRACT.md, ECS conventions). */
export const TAG_KEYS = {
  workspaceId: 'workspace-id',
  orgId: 'org-id',
  kind: 'kind',
  runtime: 'runtime',
  requestId: 'request-id',
} as const;

/** `Workspace Provision Requested` -> `workspace-provision-requested`. */
export const kebabDetailType = (detailType: string): string =>
  detailType.trim().toLowerCase().replace(/\s+/g, '-');
