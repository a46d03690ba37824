import * as z from 'zod';
import { STORAGE_MAX_GIB, STORAGE_MIN_GIB } from '#contracts/names.ts';
import { ConfigError } from './errors.ts';
import { isValidFargateSize } from './fargate.ts';
import rawCatalog from './runtimes.json' with { type: 'json' };

/**
 * The runtime catalog: config/runtimes.json, validated when loaded, with registry, tag, tier
 * sizing and local commands overridable by deployment (CDK context, Lambda env, local flags).
 */

const TIER_KEYS = ['1', '2', '3', '4'] as const;
export type TierKey = (typeof TIER_KEYS)[number];

const Size = z.strictObject({
  cpu: z.number().int().positive(),
  memory: z.number().int().positive(),
});
export type TaskSize = z.infer<typeof Size>;

/** An absolute path below `/`, never `/` itself, `/configs` (the boot step's) or a `..` segment. */
const DATA_PATH = /^(?!\/configs(?:\/|$))(?!.*(?:^|\/)\.\.?(?:\/|$))\/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$/;
const DATA_PATH_MESSAGE = 'dataPath must be an absolute path such as /workspace (not / or /configs)';

const RuntimeEntry = z.strictObject({
  provisionTimeoutSeconds: z.number().int().min(60).max(86_400).optional(),
  containerPort: z.number().int().min(1).max(65_535).optional(),
  /** argv run by the local stack's `process` driver instead of the stand-in workspace. */
  localCommand: z.array(z.string().min(1)).min(1).optional(),
  /** The runtime's base config; the kind overlay's merge patch applies on top of it. */
  baseConfig: z.record(z.string(), z.unknown()).optional(),
  /** v1.3: where a persistent workspace's data volume is mounted. @default the catalog's `dataPath` */
  dataPath: z.string().regex(DATA_PATH, { error: DATA_PATH_MESSAGE }).optional(),
  /** v1.3: a persistent workspace's volume size unless its request says. @default the catalog's `storageGiB` */
  storageGiB: z.number().int().min(STORAGE_MIN_GIB).max(STORAGE_MAX_GIB).optional(),
});

const registryPattern = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9._-]+)*$/;
const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

const CatalogFile = z.strictObject({
  $comment: z.string().optional(),
  registry: z
    .string()
    .regex(registryPattern, { error: 'registry must look like host[:port][/path], lower case' }),
  tag: z.string().regex(tagPattern, { error: 'tag must be a valid image tag (up to 128 of A-Za-z0-9_.-)' }),
  containerPort: z.number().int().min(1).max(65_535),
  defaultProvisionTimeoutSeconds: z.number().int().min(60).max(86_400),
  /** v1.3: every runtime's data path unless it names its own. */
  dataPath: z.string().regex(DATA_PATH, { error: DATA_PATH_MESSAGE }),
  /** v1.3: every runtime's persistent volume size (GiB) unless it names its own. */
  storageGiB: z.number().int().min(STORAGE_MIN_GIB).max(STORAGE_MAX_GIB),
  tiers: z.strictObject({ 1: Size, 2: Size, 3: Size, 4: Size }),
  runtimes: z
    .record(
      z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, { error: 'runtime names are lower-case kebab' }),
      RuntimeEntry,
    )
    .refine((runtimes) => Object.keys(runtimes).length > 0, {
      error: 'the catalog needs at least one runtime',
    }),
});
type CatalogFile = z.infer<typeof CatalogFile>;

/** One runtime, resolved: everything a launch or a task definition needs. */
export interface RuntimeSpec {
  readonly name: string;
  /** `<registry>/workspace-template-<runtime>:<tag>`: the one image for every kind. */
  readonly image: string;
  /** `workspace-<runtime>`. */
  readonly family: string;
  /**
   * What RunTask names: the exact task definition revision ARN the deployment registered, or the
   * family (its newest active revision) where no revision is pinned, as on the local stack.
   */
  readonly taskDefinition: string;
  /** `sha256:<hex>` when the image is pinned by digest; `image` then names the digest, not the tag. */
  readonly imageDigest?: string;
  readonly provisionTimeoutSeconds: number;
  readonly containerPort: number;
  readonly localCommand?: readonly string[];
  readonly baseConfig: Readonly<Record<string, unknown>>;
  /** v1.3: where a persistent workspace's data volume is mounted (`/workspace` unless said otherwise). */
  readonly dataPath: string;
  /** v1.3: a persistent workspace's volume size in GiB unless its request says. */
  readonly storageGiB: number;
}

export interface Catalog {
  readonly registry: string;
  readonly tag: string;
  readonly runtimes: Readonly<Record<string, RuntimeSpec>>;
  readonly tiers: Readonly<Record<TierKey, TaskSize>>;
}

/** Deployment overrides of the catalog file. */
export interface CatalogOverrides {
  /** @default the file's `registry` */
  readonly registry?: string;
  /** @default the file's `tag` */
  readonly tag?: string;
  /** Per-tier sizing; tiers not given keep the file's sizing. */
  readonly tiers?: Partial<Record<TierKey, TaskSize>>;
  /** Per-runtime local command for the local stack. */
  readonly localCommands?: Readonly<Record<string, readonly string[]>>;
  /** Per-runtime image digest (`sha256:<64 hex>`): the image is pulled by digest, the tag ignored. */
  readonly imageDigests?: Readonly<Record<string, string>>;
  /** Per-runtime task definition revision ARN for RunTask; runtimes not named run their family. */
  readonly taskDefinitions?: Readonly<Record<string, string>>;
}

const describeIssues = (error: z.ZodError): string =>
  error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');

/** `<registry>/workspace-template-<runtime>:<tag>`. */
export const imageFor = (registry: string, runtime: string, tag: string): string =>
  `${registry}/workspace-template-${runtime}:${tag}`;

/** `<registry>/workspace-template-<runtime>@<digest>`: the one image content, whatever a tag says later. */
export const imageByDigestFor = (registry: string, runtime: string, digest: string): string =>
  `${registry}/workspace-template-${runtime}@${digest}`;

/** An OCI content digest as registries give it for an image: `sha256:` and 64 lower-case hex digits. */
export const IMAGE_DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** A task definition revision ARN: `arn:<partition>:ecs:<region>:<account>:task-definition/<family>:<revision>`. */
export const TASK_DEFINITION_ARN_PATTERN =
  /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[A-Za-z0-9_-]{1,255}:\d+$/;

/**
 * Parses `name=value` pairs given as text, as in a CDK context value or an env variable:
 * `"claude-code=sha256:…,codex=sha256:…"`. Names and values are trimmed; a name given twice fails.
 */
export function parseRuntimeMap(text: string, what: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const part of text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const separator = part.indexOf('=');
    const name = separator > 0 ? part.slice(0, separator).trim() : '';
    const value = separator > 0 ? part.slice(separator + 1).trim() : '';
    if (!name || !value) throw new ConfigError(`${what} "${part}" must look like <runtime>=<value>`);
    if (name in map) throw new ConfigError(`${what} names runtime "${name}" more than once`);
    map[name] = value;
  }
  return map;
}

/**
 * Loads and validates the catalog. Throws ConfigError naming the field when the file or an
 * override is invalid.
 *
 * @example loadCatalog({ registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com', tag: 'v42' })
 */
export function loadCatalog(overrides: CatalogOverrides = {}, file: unknown = rawCatalog): Catalog {
  const parsed = CatalogFile.safeParse(file);
  if (!parsed.success)
    throw new ConfigError(`config/runtimes.json is invalid: ${describeIssues(parsed.error)}`);
  const merged: CatalogFile = {
    ...parsed.data,
    registry: overrides.registry ?? parsed.data.registry,
    tag: overrides.tag ?? parsed.data.tag,
    tiers: { ...parsed.data.tiers, ...overrides.tiers },
  };
  const checked = CatalogFile.safeParse(merged);
  if (!checked.success)
    throw new ConfigError(`catalog overrides are invalid: ${describeIssues(checked.error)}`);
  const data = checked.data;

  for (const key of TIER_KEYS) {
    const { cpu, memory } = data.tiers[key];
    if (!isValidFargateSize(cpu, memory)) {
      throw new ConfigError(`tier ${key}: cpu ${cpu} with memory ${memory} is not a valid Fargate size`);
    }
  }
  for (const [what, map] of [
    ['localCommands', overrides.localCommands],
    ['imageDigests', overrides.imageDigests],
    ['taskDefinitions', overrides.taskDefinitions],
  ] as const) {
    for (const name of Object.keys(map ?? {})) {
      if (!(name in data.runtimes)) throw new ConfigError(`${what}: unknown runtime "${name}"`);
    }
  }
  for (const [name, digest] of Object.entries(overrides.imageDigests ?? {})) {
    if (!IMAGE_DIGEST_PATTERN.test(digest)) {
      throw new ConfigError(`imageDigests: "${name}" must be sha256: and 64 lower-case hex digits`);
    }
  }
  for (const [name, arn] of Object.entries(overrides.taskDefinitions ?? {})) {
    if (!TASK_DEFINITION_ARN_PATTERN.test(arn)) {
      throw new ConfigError(`taskDefinitions: "${name}" must be a task definition revision ARN`);
    }
  }

  const runtimes: Record<string, RuntimeSpec> = {};
  for (const [name, entry] of Object.entries(data.runtimes)) {
    const localCommand = overrides.localCommands?.[name] ?? entry.localCommand;
    const imageDigest = overrides.imageDigests?.[name];
    const family = `workspace-${name}`;
    runtimes[name] = Object.freeze({
      name,
      image: imageDigest
        ? imageByDigestFor(data.registry, name, imageDigest)
        : imageFor(data.registry, name, data.tag),
      ...(imageDigest ? { imageDigest } : {}),
      family,
      taskDefinition: overrides.taskDefinitions?.[name] ?? family,
      provisionTimeoutSeconds: entry.provisionTimeoutSeconds ?? data.defaultProvisionTimeoutSeconds,
      containerPort: entry.containerPort ?? data.containerPort,
      ...(localCommand ? { localCommand: Object.freeze([...localCommand]) } : {}),
      baseConfig: Object.freeze({ ...(entry.baseConfig ?? {}) }),
      dataPath: entry.dataPath ?? data.dataPath,
      storageGiB: entry.storageGiB ?? data.storageGiB,
    });
  }
  return Object.freeze({
    registry: data.registry,
    tag: data.tag,
    runtimes: Object.freeze(runtimes),
    tiers: Object.freeze({ ...data.tiers }),
  });
}

/**
 * Parses tier sizing given as text, as in a CDK context value or an env variable:
 * `"1=256/512,2=512/1024"`.
 */
export function parseTierSizing(text: string): Partial<Record<TierKey, TaskSize>> {
  const sizing: Partial<Record<TierKey, TaskSize>> = {};
  for (const part of text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const match = /^([1-4])=(\d+)\/(\d+)$/.exec(part);
    if (!match)
      throw new ConfigError(`tier sizing "${part}" must look like <tier>=<cpu>/<memory>, e.g. 2=512/1024`);
    const [, tier, cpu, memory] = match as unknown as [string, TierKey, string, string];
    sizing[tier] = { cpu: Number(cpu), memory: Number(memory) };
  }
  return sizing;
}
