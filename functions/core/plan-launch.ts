import { createHash } from 'node:crypto';
import type { Catalog, RuntimeSpec, TierKey } from '#config/catalog.ts';
import type { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import type { SecretScope } from '#contracts/names.ts';
import {
  BOOT_CONTAINER_NAME,
  CONTAINER_NAME,
  DEFAULT_WORKSPACE_FILES_BUCKET,
  RESERVED_ENV_PREFIXES,
  SYSTEM_ENV_NAMES,
  TAG_KEYS,
  WORKSPACE_DATA_PATH_ENV,
} from '#contracts/names.ts';
import { LaunchPlanError } from './errors.ts';
import { storageOf, type VolumeConfiguration } from './workspace-data.ts';
import { bootBundleKey, SECRET_SCOPE_ORDER, s3ObjectArn, secretsKey } from './workspace-files.ts';

/** ECS's limit on all overrides of one RunTask, JSON included. */
export const OVERRIDES_BUDGET_CHARS = 8192;

export interface KeyValuePair {
  readonly name: string;
  readonly value: string;
}

export interface Tag {
  readonly key: string;
  readonly value: string;
}

/** Where tasks run: the cluster and its awsvpc networking. */
export interface LaunchTarget {
  /** Cluster name or ARN. */
  readonly cluster: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  /** @default 'DISABLED' */
  readonly assignPublicIp?: 'ENABLED' | 'DISABLED';
  /** v1.1: the workspace files bucket (secrets, staged assets, boot bundles). @default 'workspace-files' */
  readonly workspaceFilesBucket?: string;
}

/** v1.1: an env file ECS hands to a container (`environmentFiles`); only its ARN travels. */
export interface EnvironmentFile {
  readonly type: 's3';
  readonly value: string;
}

/** One container's RunTask override. */
export interface ContainerOverride {
  readonly name: string;
  readonly environment?: KeyValuePair[];
  readonly environmentFiles?: EnvironmentFile[];
}

/** The RunTask input, in the SDK's shape but free of SDK types. */
export interface RunTaskInput {
  readonly cluster: string;
  readonly taskDefinition: string;
  readonly launchType: 'FARGATE';
  readonly count: 1;
  readonly clientToken: string;
  readonly startedBy: string;
  readonly tags: Tag[];
  readonly enableECSManagedTags: true;
  readonly propagateTags: 'TASK_DEFINITION';
  readonly networkConfiguration: {
    readonly awsvpcConfiguration: {
      readonly subnets: string[];
      readonly securityGroups: string[];
      readonly assignPublicIp: 'ENABLED' | 'DISABLED';
    };
  };
  readonly overrides: {
    readonly cpu: string;
    readonly memory: string;
    readonly containerOverrides: ContainerOverride[];
  };
  /** v1.3: a persistent workspace's data volume ({@link withDataVolume}); absent for an ephemeral one. */
  readonly volumeConfigurations?: readonly VolumeConfiguration[];
}

export interface LaunchPlan {
  readonly workspaceId: string;
  readonly requestId: string;
  /** v1.1: the request's org: its secrets and files live under it. */
  readonly orgId: string;
  /** v1.1: the bucket the env files are in. */
  readonly workspaceFilesBucket: string;
  /** v1.1: the secrets scopes the workspace gets, in delivery order ({@link SECRET_SCOPE_ORDER}). */
  readonly secrets: readonly SecretScope[];
  /** v1.1: the key of the boot bundle this launch hands the boot step. */
  readonly bootBundleKey: string;
  readonly runtime: RuntimeSpec;
  readonly image: string;
  readonly family: string;
  readonly cpu: number;
  readonly memory: number;
  readonly runTaskInput: RunTaskInput;
}

/**
 * The RunTask `clientToken` for a workspace and request: the SHA-256 of both, in hex. It is
 * 64 characters, within ECS's charset, and the same for every retry of the same request, so ECS
 * itself refuses to start a second task for it (within the token's 24 hours, per cluster).
 *
 * `generation` moves on only after an answer that certainly started no task (capacity
 * `failures[]`, throttling): ECS promises to replay a token's result only for a request that
 * completed successfully, so a fresh token there keeps a replayed failure from pinning every
 * retry, while an ambiguous answer (a 5xx, a lost connection) keeps the token and stays safe.
 * Generation 0 is the plan's token.
 */
export function clientTokenFor(workspaceId: string, requestId: string, generation = 0): string {
  const suffix = generation === 0 ? '' : `\u0000${generation}`;
  return createHash('sha256').update(`${workspaceId}\u0000${requestId}${suffix}`).digest('hex');
}

/** The partition of an ARN (`aws`, `aws-cn`, `aws-us-gov`), or `aws` for a plain name. */
export const partitionOf = (arnOrName: string): string => /^arn:([a-z-]+):/.exec(arnOrName)?.[1] ?? 'aws';

const isReservedEnvName = (name: string): boolean =>
  (SYSTEM_ENV_NAMES as readonly string[]).includes(name) ||
  RESERVED_ENV_PREFIXES.some((prefix) => name.startsWith(prefix));

/**
 * Plans the launch of a validated request: the task definition (the deployment's pinned revision,
 * else the family) and plain per-runtime image (the kind never
 * picks the image), cpu and memory by tier, the environment, the tags, `startedBy` and the
 * deterministic `clientToken`. v1.1: the request's secrets scopes as the workspace container's
 * `environmentFiles` (ARNs only, in {@link SECRET_SCOPE_ORDER}), and the boot step's bundle as the
 * `boot` container's, at keys derived here from validated ids (`core/workspace-files.ts`).
 *
 * @throws LaunchPlanError when the runtime is not in the catalog, an env name is reserved, or the
 *   overrides would exceed ECS's 8,192-character budget.
 */
export function planLaunch(
  request: ProvisionRequestedDetail,
  catalog: Catalog,
  target: LaunchTarget,
): LaunchPlan {
  const runtime = catalog.runtimes[request.runtime];
  if (!runtime) throw new LaunchPlanError('runtime', `runtime "${request.runtime}" is not in the catalog`);
  const size = catalog.tiers[String(request.tier) as TierKey];
  if (!size) throw new LaunchPlanError('tier', `tier ${request.tier} has no sizing`);

  const requestEnv = Object.entries(request.env ?? {});
  const reserved = requestEnv.map(([name]) => name).filter(isReservedEnvName);
  if (reserved.length > 0) {
    throw new LaunchPlanError(
      'env',
      `env names ${reserved.join(', ')} are reserved and cannot be set by a request`,
    );
  }
  const environment: KeyValuePair[] = [
    { name: 'WORKSPACE_ID', value: request.workspaceId },
    { name: 'ORG_ID', value: request.orgId },
    { name: 'WORKSPACE_KIND', value: request.kind },
    { name: 'WORKSPACE_RUNTIME', value: runtime.name },
    { name: 'TIER', value: String(request.tier) },
    ...requestEnv.map(([name, value]) => ({ name, value })),
  ];
  // v1.3: a persistent workspace learns where its data volume is mounted.
  const storage = storageOf(request, runtime);
  if (storage) environment.push({ name: WORKSPACE_DATA_PATH_ENV, value: storage.path });
  const bucket = target.workspaceFilesBucket ?? DEFAULT_WORKSPACE_FILES_BUCKET;
  const partition = partitionOf(target.cluster);
  const envFile = (key: string): EnvironmentFile => ({
    type: 's3',
    value: s3ObjectArn(bucket, key, partition),
  });
  const secrets = SECRET_SCOPE_ORDER.filter((scope) => request.secrets?.includes(scope));
  const bundleKey = bootBundleKey(request.orgId, request.workspaceId, request.requestId);
  const workspaceOverride: ContainerOverride = {
    name: CONTAINER_NAME,
    environment,
    // A later file wins over an earlier one, so the workspace's own secrets override its org's.
    ...(secrets.length > 0
      ? {
          environmentFiles: secrets.map((scope) =>
            envFile(secretsKey(scope, request.orgId, request.workspaceId)),
          ),
        }
      : {}),
  };
  const overrides = {
    cpu: String(size.cpu),
    memory: String(size.memory),
    containerOverrides: [
      workspaceOverride,
      { name: BOOT_CONTAINER_NAME, environmentFiles: [envFile(bundleKey)] },
    ],
  };
  const overridesChars = JSON.stringify(overrides).length;
  if (overridesChars > OVERRIDES_BUDGET_CHARS) {
    throw new LaunchPlanError(
      'env',
      `the task overrides would be ${overridesChars} characters; ECS allows ${OVERRIDES_BUDGET_CHARS}. ` +
        'Shorten env, or pass large values by reference',
    );
  }
  const tags: Tag[] = [
    { key: TAG_KEYS.workspaceId, value: request.workspaceId },
    { key: TAG_KEYS.orgId, value: request.orgId },
    { key: TAG_KEYS.kind, value: request.kind },
    { key: TAG_KEYS.runtime, value: runtime.name },
    { key: TAG_KEYS.requestId, value: request.requestId },
  ];
  return {
    workspaceId: request.workspaceId,
    requestId: request.requestId,
    orgId: request.orgId,
    workspaceFilesBucket: bucket,
    secrets,
    bootBundleKey: bundleKey,
    runtime,
    image: runtime.image,
    family: runtime.family,
    cpu: size.cpu,
    memory: size.memory,
    runTaskInput: {
      cluster: target.cluster,
      // The exact revision this deployment registered, where it pinned one; else the family.
      taskDefinition: runtime.taskDefinition,
      launchType: 'FARGATE',
      count: 1,
      clientToken: clientTokenFor(request.workspaceId, request.requestId),
      startedBy: request.workspaceId,
      tags,
      enableECSManagedTags: true,
      propagateTags: 'TASK_DEFINITION',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: [...target.subnets],
          securityGroups: [...target.securityGroups],
          assignPublicIp: target.assignPublicIp ?? 'DISABLED',
        },
      },
      overrides,
    },
  };
}

/**
 * v1.3: the plan with a persistent workspace's data volume (restored or empty, decided by the
 * launch from what EC2 lists: `functions/launch/restore-data.ts`).
 */
export function withDataVolume(plan: LaunchPlan, configuration: VolumeConfiguration): LaunchPlan {
  return { ...plan, runTaskInput: { ...plan.runTaskInput, volumeConfigurations: [configuration] } };
}
