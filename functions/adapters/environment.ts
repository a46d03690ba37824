import type { LaunchTarget } from '#core/plan-launch.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import {
  DEFAULT_DATA_SAVE_WAIT_SECONDS,
  DEFAULT_DATA_SNAPSHOT_RETENTION,
  DEFAULT_DATA_TAG,
  DEFAULT_RECOVERY_ATTEMPTS,
  DEFAULT_RECOVERY_BACKOFF_SECONDS,
  DEFAULT_RECOVERY_WINDOW_SECONDS,
  DEFAULT_TEMPLATE_ASSETS_TIMEOUT_SECONDS,
  MAX_RECOVERY_BACKOFF_SECONDS,
  METRICS_NAMESPACE,
  SERVICE_NAME_PREFIX,
} from '#wiring/names.ts';
import { EnvironmentError } from './errors.ts';

/**
 * The one module that reads `process.env`. Each Lambda entry reads only the variables it needs, so
 * it imports cleanly with only its own variables set. Messages name a variable, never its value.
 */

type Environment = Readonly<Record<string, string | undefined>>;

/** What the two functions that launch a recorded request read (provision and assets-staged). */
const LAUNCHING_REQUIRED = [
  'EVENT_BUS_NAME',
  'PROVISIONER_SOURCE',
  'CLUSTER_ARN',
  'SUBNET_IDS',
  'SECURITY_GROUP_IDS',
  'IDEMPOTENCY_TABLE_NAME',
  'WORKSPACE_FILES_BUCKET',
] as const;
/** v1.3: the persistent-data settings of the functions that launch, save or erase workspace data. */
const DATA_OPTIONAL = [
  'DATA_VOLUME_ROLE_ARN',
  'DATA_VOLUME_KMS_KEY_ARN',
  'DATA_TAG',
  'DATA_SNAPSHOT_RETENTION',
  'DATA_SAVE_WAIT_SECONDS',
] as const;
const LAUNCHING_OPTIONAL = [
  ...DATA_OPTIONAL,
  'ASSIGN_PUBLIC_IP',
  'IMAGE_REGISTRY',
  'IMAGE_TAG',
  'IMAGE_DIGESTS',
  'TIER_SIZING',
  'TASK_DEFINITION_ARNS',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_TRACE_ENABLED',
] as const;

/**
 * The environment variables each function reads: `required` ones fail the cold start when missing,
 * `optional` ones have defaults. The CDK stack sets exactly these; the import test sets exactly these.
 */
export const FUNCTION_ENVIRONMENT = {
  provision: {
    required: LAUNCHING_REQUIRED,
    optional: ['TEMPLATE_ASSETS_TIMEOUT_SECONDS', ...LAUNCHING_OPTIONAL],
  },
  overlay: {
    required: ['EVENT_BUS_NAME', 'PROVISIONER_SOURCE', 'CLUSTER_ARN', 'IDEMPOTENCY_TABLE_NAME'],
    optional: ['POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_TRACE_ENABLED'],
  },
  // It launches as provision does, from the request provision recorded (and its timeout).
  'assets-staged': {
    required: LAUNCHING_REQUIRED,
    optional: LAUNCHING_OPTIONAL,
  },
  'task-state': {
    required: ['EVENT_BUS_NAME', 'PROVISIONER_SOURCE', 'IDEMPOTENCY_TABLE_NAME'],
    // v1.2: it decides recoveries, by the crash-loop cap and backoff of the deployment.
    optional: [
      'RECOVERY_ATTEMPTS',
      'RECOVERY_WINDOW_SECONDS',
      'RECOVERY_BACKOFF_SECONDS',
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_TRACE_ENABLED',
    ],
  },
  // v1.2: it relaunches recorded requests as provision launches them.
  lifecycle: { required: LAUNCHING_REQUIRED, optional: LAUNCHING_OPTIONAL },
  deprovision: {
    required: ['EVENT_BUS_NAME', 'PROVISIONER_SOURCE', 'CLUSTER_ARN', 'IDEMPOTENCY_TABLE_NAME'],
    // v1.3: it erases persistent workspaces' data when asked to.
    optional: [
      ...DATA_OPTIONAL,
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_TRACE_ENABLED',
    ],
  },
  'timeout-sweep': {
    required: ['EVENT_BUS_NAME', 'PROVISIONER_SOURCE', 'CLUSTER_ARN', 'IDEMPOTENCY_TABLE_NAME'],
    // It reads only the deadlines provision recorded, never the timeout or the bucket; v1.2: the
    // reconciliation recovers lost workspaces under the deployment's crash-loop cap; v1.3: it
    // resumes data saves whose events were lost.
    optional: [
      ...DATA_OPTIONAL,
      'RECOVERY_ATTEMPTS',
      'RECOVERY_WINDOW_SECONDS',
      'RECOVERY_BACKOFF_SECONDS',
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_TRACE_ENABLED',
    ],
  },
  'failure-reporter': {
    required: ['EVENT_BUS_NAME', 'PROVISIONER_SOURCE', 'CLUSTER_ARN'],
    optional: ['POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_TRACE_ENABLED'],
  },
} as const satisfies Record<
  string,
  { readonly required: readonly string[]; readonly optional: readonly string[] }
>;

export type FunctionWithEnvironment = keyof typeof FUNCTION_ENVIRONMENT;

/**
 * A trimmed environment variable. Without a value it returns `options.default`, and without a
 * default it fails fast with `Environment variable X is required`.
 *
 * @example envVar('ASSIGN_PUBLIC_IP', { default: 'DISABLED' })
 */
export function envVar(
  name: string,
  options: { readonly default?: string; readonly env?: Environment } = {},
): string {
  const value = (options.env ?? process.env)[name]?.trim();
  if (value) return value;
  if (options.default !== undefined) return options.default;
  throw new EnvironmentError(`Environment variable ${name} is required`);
}

/** A trimmed environment variable, or undefined when it is unset or blank. */
export function optionalEnvVar(name: string, env: Environment = process.env): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** A required comma-separated list: `subnet-a, subnet-b`. */
export function envList(name: string, env: Environment = process.env): string[] {
  const items = envVar(name, { env })
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0)
    throw new EnvironmentError(`Environment variable ${name} must list at least one value`);
  return items;
}

/** A boolean flag: `true`/`false`/`1`/`0` (any case). */
export function envFlag(name: string, defaultValue: boolean, env: Environment = process.env): boolean {
  const value = optionalEnvVar(name, env)?.toLowerCase();
  if (value === undefined) return defaultValue;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new EnvironmentError(`Environment variable ${name} must be true or false`);
}

/** `EVENT_BUS_NAME` and `PROVISIONER_SOURCE`: where and as whom every handler publishes. */
export function readEventSettings(
  env: Environment = process.env,
): Pick<HandlerSettings, 'eventBusName' | 'provisionerSource'> {
  return {
    eventBusName: envVar('EVENT_BUS_NAME', { env }),
    provisionerSource: envVar('PROVISIONER_SOURCE', { env }),
  };
}

/** v1.1 `WORKSPACE_FILES_BUCKET`: the workspace files bucket's name. */
export function readWorkspaceFilesBucket(env: Environment = process.env): string {
  return envVar('WORKSPACE_FILES_BUCKET', { env });
}

/** v1.1 `TEMPLATE_ASSETS_TIMEOUT_SECONDS`: 1 to 86,400, default 300. */
export function readTemplateAssetsTimeoutSeconds(env: Environment = process.env): number {
  const text = envVar('TEMPLATE_ASSETS_TIMEOUT_SECONDS', {
    env,
    default: String(DEFAULT_TEMPLATE_ASSETS_TIMEOUT_SECONDS),
  });
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86_400) {
    throw new EnvironmentError(
      'Environment variable TEMPLATE_ASSETS_TIMEOUT_SECONDS must be whole seconds from 1 to 86400',
    );
  }
  return seconds;
}

/** A whole-number variable from `min` to `max`, `fallback` when unset. @throws EnvironmentError otherwise. */
function wholeVar(env: Environment, name: string, fallback: number, min: number, max: number): number {
  const value = Number(envVar(name, { env, default: String(fallback) }));
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new EnvironmentError(`Environment variable ${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/**
 * v1.2 `RECOVERY_ATTEMPTS` (1 to 100, default 5), `RECOVERY_WINDOW_SECONDS` (1 to 86,400, default
 * 1800) and `RECOVERY_BACKOFF_SECONDS` (0 to 120, default 10).
 */
export function readRecoverySettings(
  env: Environment = process.env,
): Required<Pick<HandlerSettings, 'recoveryAttempts' | 'recoveryWindowSeconds' | 'recoveryBackoffSeconds'>> {
  const whole = (name: string, fallback: number, min: number, max: number): number =>
    wholeVar(env, name, fallback, min, max);
  return {
    recoveryAttempts: whole('RECOVERY_ATTEMPTS', DEFAULT_RECOVERY_ATTEMPTS, 1, 100),
    recoveryWindowSeconds: whole('RECOVERY_WINDOW_SECONDS', DEFAULT_RECOVERY_WINDOW_SECONDS, 1, 86_400),
    recoveryBackoffSeconds: whole(
      'RECOVERY_BACKOFF_SECONDS',
      DEFAULT_RECOVERY_BACKOFF_SECONDS,
      0,
      MAX_RECOVERY_BACKOFF_SECONDS,
    ),
  };
}

/** What `readDataSettings` reads: the data-volume part of `HandlerSettings`. */
export type DataSettings = Pick<HandlerSettings, 'dataVolumes'> &
  Required<Pick<HandlerSettings, 'dataSnapshotRetention' | 'dataSaveWaitSeconds'>>;

/**
 * v1.3 persistent data: `DATA_VOLUME_ROLE_ARN` (the ECS infrastructure role; without it the
 * deployment has no data volumes and `dataVolumes` is absent), `DATA_VOLUME_KMS_KEY_ARN` (optional),
 * `DATA_TAG` (default `DEFAULT_DATA_TAG`), `DATA_SNAPSHOT_RETENTION` (1 to 100, default 3) and
 * `DATA_SAVE_WAIT_SECONDS` (0 to 900, default 240).
 */
export function readDataSettings(env: Environment = process.env): DataSettings {
  const whole = (name: string, fallback: number, min: number, max: number): number =>
    wholeVar(env, name, fallback, min, max);
  const roleArn = optionalEnvVar('DATA_VOLUME_ROLE_ARN', env);
  if (roleArn !== undefined && !roleArn.startsWith('arn:')) {
    throw new EnvironmentError('Environment variable DATA_VOLUME_ROLE_ARN must be an IAM role ARN');
  }
  const kmsKeyId = optionalEnvVar('DATA_VOLUME_KMS_KEY_ARN', env);
  const dataTag = envVar('DATA_TAG', { env, default: DEFAULT_DATA_TAG });
  return {
    ...(roleArn ? { dataVolumes: { roleArn, dataTag, ...(kmsKeyId ? { kmsKeyId } : {}) } } : {}),
    dataSnapshotRetention: whole('DATA_SNAPSHOT_RETENTION', DEFAULT_DATA_SNAPSHOT_RETENTION, 1, 100),
    dataSaveWaitSeconds: whole('DATA_SAVE_WAIT_SECONDS', DEFAULT_DATA_SAVE_WAIT_SECONDS, 0, 900),
  };
}

/** `CLUSTER_ARN` only: for the functions that read or stop tasks but never launch them. */
export function readClusterTarget(env: Environment = process.env): Pick<LaunchTarget, 'cluster'> {
  return { cluster: envVar('CLUSTER_ARN', { env }) };
}

/** The cluster and its awsvpc networking: `CLUSTER_ARN`, `SUBNET_IDS`, `SECURITY_GROUP_IDS`, `ASSIGN_PUBLIC_IP`. */
export function readLaunchTarget(env: Environment = process.env): LaunchTarget {
  const assignPublicIp = envVar('ASSIGN_PUBLIC_IP', { env, default: 'DISABLED' }).toUpperCase();
  if (assignPublicIp !== 'ENABLED' && assignPublicIp !== 'DISABLED') {
    throw new EnvironmentError('Environment variable ASSIGN_PUBLIC_IP must be ENABLED or DISABLED');
  }
  return {
    cluster: envVar('CLUSTER_ARN', { env }),
    subnets: envList('SUBNET_IDS', env),
    securityGroups: envList('SECURITY_GROUP_IDS', env),
    assignPublicIp,
  };
}

/** The deployment's overrides of the runtime catalog, as the environment gives them (unparsed). */
export interface CatalogEnvironment {
  readonly registry?: string;
  readonly tag?: string;
  /** `1=256/512,2=512/1024`: parsed and checked by the catalog. */
  readonly tierSizing?: string;
  /** `claude-code=sha256:…,codex=sha256:…`: images pinned by digest. */
  readonly imageDigests?: string;
  /** `claude-code=arn:…:task-definition/workspace-claude-code:7,…`: the revisions RunTask runs. */
  readonly taskDefinitionArns?: string;
}

/**
 * `IMAGE_REGISTRY`, `IMAGE_TAG`, `IMAGE_DIGESTS`, `TIER_SIZING` and `TASK_DEFINITION_ARNS`, each
 * optional (the catalog file's values, and RunTask by family, are the defaults). They stay text
 * here, so this module needs no catalog: `deploymentCatalog` applies them.
 */
export function readCatalogEnvironment(env: Environment = process.env): CatalogEnvironment {
  const registry = optionalEnvVar('IMAGE_REGISTRY', env);
  const tag = optionalEnvVar('IMAGE_TAG', env);
  const imageDigests = optionalEnvVar('IMAGE_DIGESTS', env);
  const tierSizing = optionalEnvVar('TIER_SIZING', env);
  const taskDefinitionArns = optionalEnvVar('TASK_DEFINITION_ARNS', env);
  return {
    ...(registry ? { registry } : {}),
    ...(tag ? { tag } : {}),
    ...(imageDigests ? { imageDigests } : {}),
    ...(tierSizing ? { tierSizing } : {}),
    ...(taskDefinitionArns ? { taskDefinitionArns } : {}),
  };
}

/** `IDEMPOTENCY_TABLE_NAME`: the one table of idempotency records, task versions and workspace leases. */
export function readIdempotencyTableName(env: Environment = process.env): string {
  return envVar('IDEMPOTENCY_TABLE_NAME', { env });
}

export interface InstrumentationEnvironment {
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly tracingEnabled: boolean;
}

/**
 * `POWERTOOLS_SERVICE_NAME` (default `workspace-provisioner-<function>`), `POWERTOOLS_METRICS_NAMESPACE`
 * and `POWERTOOLS_TRACE_ENABLED` (default on; Tracer itself stays off outside Lambda).
 */
export function readInstrumentationEnvironment(
  functionName: FunctionWithEnvironment,
  env: Environment = process.env,
): InstrumentationEnvironment {
  return {
    serviceName: envVar('POWERTOOLS_SERVICE_NAME', {
      env,
      default: `${SERVICE_NAME_PREFIX}-${functionName}`,
    }),
    metricsNamespace: envVar('POWERTOOLS_METRICS_NAMESPACE', { env, default: METRICS_NAMESPACE }),
    tracingEnabled: envFlag('POWERTOOLS_TRACE_ENABLED', true, env),
  };
}
