import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { type Catalog, loadCatalog, parseRuntimeMap, parseTierSizing } from '#config/catalog.ts';
import { ConfigError } from '#config/errors.ts';
import {
  DEFAULT_CLUSTER_NAME,
  DEFAULT_EVENT_BUS_NAME,
  DEFAULT_PROVISIONER_SOURCE,
  DEFAULT_REQUEST_SOURCE,
} from '#contracts/names.ts';
import { bootImageProblem } from '#infra/boot-image.ts';
import { type IngressSource, parseIngressEntry } from '#infra/ingress.ts';
import { unknownContextKeyProblems } from '#infra/strict-context.ts';
import { DEFAULT_BOOT_IMAGE } from '#wiring/boot-step.ts';
import { FUNCTIONS } from '#wiring/functions.ts';
import {
  DEFAULT_DATA_SAVE_WAIT_SECONDS,
  DEFAULT_DATA_SNAPSHOT_RETENTION,
  DEFAULT_DATA_TAG,
  DEFAULT_PROVISION_RESERVED_CONCURRENCY,
  DEFAULT_RECOVERY_ATTEMPTS,
  DEFAULT_RECOVERY_BACKOFF_SECONDS,
  DEFAULT_RECOVERY_WINDOW_SECONDS,
  DEFAULT_TEMPLATE_ASSETS_TIMEOUT_SECONDS,
  MAX_RECOVERY_BACKOFF_SECONDS,
} from '#wiring/names.ts';

/**
 * Deployment settings of the stack, read from CDK context (`cdk.json` "context" or `-c key=value`).
 * Values given with `-c` arrive as strings, values in `cdk.json` may be JSON; both are accepted.
 * Every problem is reported at once, each naming its option, before any construct is built.
 */

/** The context options this app reads, with what they do. The README's table lists the same keys. */
export const CONTEXT_OPTIONS = {
  existingEventBusName: 'Import an existing event bus by name instead of creating `workspaces`.',
  existingEventBusArn: 'Import an existing event bus by ARN instead of creating `workspaces`.',
  vpcId: 'Import an existing VPC (with availabilityZones and privateSubnetIds) instead of creating one.',
  availabilityZones: 'Availability zones of the imported VPC, comma-separated.',
  privateSubnetIds: 'Private subnets for the tasks, comma-separated; a multiple of the zone count.',
  privateSubnetRouteTableIds: 'Route tables of the private subnets, comma-separated (optional).',
  securityGroupIds: 'Existing security groups for the tasks, comma-separated; needs vpcId.',
  existingClusterName: 'Import an existing ECS cluster by name instead of creating `workspaces`.',
  imageRegistry: 'Registry of the per-runtime images.',
  imageTag: 'Tag of the per-runtime images.',
  imageDigests: 'Per-runtime image digests, e.g. `claude-code=sha256:…,codex=sha256:…`; pins the image.',
  requestSources: 'Sources allowed to publish requests, comma-separated.',
  provisionerSource: 'Source of every event the provisioner emits.',
  publisherAccountIds: 'Accounts allowed to put events on the created bus, comma-separated.',
  publisherOrgId: 'AWS Organization allowed to put events on the created bus.',
  provisionReservedConcurrency: 'Reserved concurrency of the provision function, or `none`.',
  tierSizing: 'Tier sizing overrides, e.g. `1=256/512,4=4096/8192`.',
  alarmTopicArn: 'SNS topic that receives alarm and OK notifications, instead of the one the stack creates.',
  alarmEmail: "Email address subscribed to the stack's own alarm topic.",
  natGateways: 'NAT gateways of the created VPC: one per zone by default, `1` for a cheap dev stack.',
  interfaceEndpoints:
    'Interface endpoints (ECR, CloudWatch Logs, Secrets Manager) in the created VPC: `true`.',
  logRetentionDays: 'Retention of every log group the stack creates, in days.',
  provisionFailureAlarmThreshold: 'Workspace Provision Failed events per 5 minutes that raise the alarm.',
  workspaceFilesBucketName:
    'Use an existing workspace files bucket instead of creating one; its encryption and lifecycle are yours.',
  workspaceFilesKeyArn: 'KMS key of the existing workspace files bucket, so the stack grants its use.',
  bootImage: "The boot step's image, pinned by digest (`<repository>@sha256:…`).",
  templateAssetsTimeoutSeconds: 'How long a templated request waits for Template Assets Staged, 30 to 3600.',
  recoveryAttempts:
    'Recoveries of a workspace within the recovery window before its crash loop is abandoned, 1 to 100.',
  recoveryWindowSeconds: 'The crash-loop window of recoveryAttempts, in seconds, 60 to 86400.',
  recoveryBackoffSeconds:
    "The first recovery's backoff in seconds (doubled for each later one, at most 120), 0 to 120.",
  workspaceIngress:
    "Who may reach a workspace's port: security group ids, CIDRs and prefix list ids, comma-separated.",
  dataSnapshotRetention:
    'Completed data snapshots kept per persistent workspace (the newest is restored), 1 to 100.',
  dataSaveWaitSeconds:
    "How long a launch waits for the previous task's data save before it fails with DATA_SAVE_PENDING, in seconds.",
  dataTag:
    'Value of the `workspace-provisioner` tag on data volumes and snapshots; the functions may snapshot and delete only those.',
} as const;
export type ContextOption = keyof typeof CONTEXT_OPTIONS;

/** The bus: created by the stack, or imported. */
export type EventBusSettings =
  | { readonly mode: 'create'; readonly name: string }
  | { readonly mode: 'import-by-name'; readonly name: string }
  | { readonly mode: 'import-by-arn'; readonly arn: string };

/** An existing VPC, imported from attributes (no lookups, so synth stays offline). */
export interface ImportedVpcSettings {
  readonly vpcId: string;
  readonly availabilityZones: readonly string[];
  readonly privateSubnetIds: readonly string[];
  readonly privateSubnetRouteTableIds?: readonly string[];
}

/** The workspace files bucket: created by the stack, or an existing one by name. */
export type WorkspaceFilesSettings =
  | { readonly mode: 'create' }
  | { readonly mode: 'import'; readonly bucketName: string; readonly keyArn?: string };

/** Everything the stack is configured by. */
export interface ProvisionerSettings {
  readonly eventBus: EventBusSettings;
  /** @default a new VPC with private subnets, one NAT gateway per zone and an S3 gateway endpoint */
  readonly vpc?: ImportedVpcSettings;
  /**
   * NAT gateways of the created VPC.
   * @default CREATED_VPC_ZONES: one per zone, so that losing a zone does not stop launches
   */
  readonly natGateways: number;
  /**
   * Interface endpoints for ECR (api and dkr), CloudWatch Logs and Secrets Manager in the created VPC.
   * @default false
   */
  readonly interfaceEndpoints: boolean;
  /** @default a new egress-only security group */
  readonly securityGroupIds?: readonly string[];
  /** Name of the cluster the stack creates, or of the existing cluster it imports. */
  readonly clusterName: string;
  /** Whether `clusterName` names an existing cluster. */
  readonly importCluster: boolean;
  /** The runtime catalog after the registry, tag and tier overrides. */
  readonly catalog: Catalog;
  readonly requestSources: readonly string[];
  readonly provisionerSource: string;
  readonly publisherAccountIds: readonly string[];
  readonly publisherOrgId?: string;
  /** `undefined` leaves the provision function unreserved. */
  readonly provisionReservedConcurrency?: number;
  /** @default undefined: the stack creates its own encrypted alarm topic */
  readonly alarmTopicArn?: string;
  /** @default none: nobody is subscribed to the stack's own alarm topic */
  readonly alarmEmail?: string;
  readonly logRetentionDays: RetentionDays;
  readonly provisionFailureAlarmThreshold: number;
  /** @default a new KMS-encrypted bucket */
  readonly workspaceFiles: WorkspaceFilesSettings;
  /** @default DEFAULT_BOOT_IMAGE */
  readonly bootImage: string;
  /** @default DEFAULT_TEMPLATE_ASSETS_TIMEOUT_SECONDS */
  readonly templateAssetsTimeoutSeconds: number;
  /** Who may reach the workspaces' ports. @default none: nothing inbound */
  readonly workspaceIngress: readonly IngressSource[];
  /** v1.2: recoveries within the window before a crash loop is abandoned. @default DEFAULT_RECOVERY_ATTEMPTS */
  readonly recoveryAttempts: number;
  /** v1.2 @default DEFAULT_RECOVERY_WINDOW_SECONDS */
  readonly recoveryWindowSeconds: number;
  /** v1.2 @default DEFAULT_RECOVERY_BACKOFF_SECONDS */
  readonly recoveryBackoffSeconds: number;
  /** v1.3: completed data snapshots kept per workspace. @default DEFAULT_DATA_SNAPSHOT_RETENTION */
  readonly dataSnapshotRetention: number;
  /** v1.3: a launch's wait for the previous save, in seconds. @default DEFAULT_DATA_SAVE_WAIT_SECONDS */
  readonly dataSaveWaitSeconds: number;
  /** v1.3: the `workspace-provisioner` tag value of this deployment's data. @default DEFAULT_DATA_TAG */
  readonly dataTag: string;
}

export const DEFAULT_LOG_RETENTION_DAYS = RetentionDays.ONE_MONTH;
export const DEFAULT_PROVISION_FAILURE_ALARM_THRESHOLD = 5;
export { DEFAULT_TEMPLATE_ASSETS_TIMEOUT_SECONDS };
export const TEMPLATE_ASSETS_TIMEOUT_RANGE = { min: 30, max: 3600 } as const;
export const DATA_SNAPSHOT_RETENTION_RANGE = { min: 1, max: 100 } as const;
/**
 * `dataSaveWaitSeconds`: at least 10 seconds, at most the lifecycle function's timeout less 30, so a
 * relaunch that waits the whole bound still has time to launch (or to report DATA_SAVE_PENDING).
 */
export const DATA_SAVE_WAIT_RANGE = { min: 10, max: FUNCTIONS.lifecycle.timeoutSeconds - 30 } as const;
/** Zones the created VPC spans. */
export const CREATED_VPC_ZONES = 2;

const patterns = {
  busName: /^[A-Za-z0-9._/-]{1,256}$/,
  busArn: /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[A-Za-z0-9._/-]{1,256}$/,
  vpcId: /^vpc-[0-9a-f]{8,17}$/,
  availabilityZone: /^[a-z]{2}(-[a-z0-9]+)+[a-z]$/,
  subnetId: /^subnet-[0-9a-f]{8,17}$/,
  routeTableId: /^rtb-[0-9a-f]{8,17}$/,
  securityGroupId: /^sg-[0-9a-f]{8,17}$/,
  clusterName: /^[A-Za-z0-9_-]{1,255}$/,
  source: /^[A-Za-z0-9._/-]{1,256}$/,
  accountId: /^\d{12}$/,
  orgId: /^o-[a-z0-9]{10,32}$/,
  snsTopicArn: /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/,
  email: /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/,
  // S3 bucket naming rules: 3 to 63 lower-case letters, digits, dots and hyphens, starting and
  // ending with a letter or digit (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
  bucketName: /^(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  // EC2 tag values: up to 256 Unicode letters, digits, spaces and _ . : / = + - @
  // (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions); no
  // leading or trailing space, since the value is compared exactly in IAM conditions.
  tagValue: /^(?! )[\p{L}\p{N} _.:/=+\-@]{1,256}(?<! )$/u,
  kmsKeyArn:
    /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/,
} as const;

const retentionValues = new Set(Object.values(RetentionDays).filter((value) => typeof value === 'number'));

/** Raw context values by option; anything a context value can be. */
export type RawContext = Partial<Record<ContextOption, unknown>>;

class Reader {
  readonly problems: string[] = [];

  constructor(private readonly raw: RawContext) {}

  fail(option: ContextOption, message: string): undefined {
    this.problems.push(`context option "${option}" ${message}`);
    return undefined;
  }

  string(option: ContextOption, pattern: RegExp, example: string): string | undefined {
    const value = this.raw[option];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') return this.fail(option, `must be a string like "${example}"`);
    const trimmed = value.trim();
    if (trimmed === '') return undefined;
    if (!pattern.test(trimmed)) return this.fail(option, `must look like "${example}"; got "${trimmed}"`);
    return trimmed;
  }

  list(option: ContextOption, pattern: RegExp, example: string): string[] | undefined {
    const value = this.raw[option];
    if (value === undefined || value === null) return undefined;
    const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
    if (!items || items.some((item) => typeof item !== 'string')) {
      return this.fail(
        option,
        `must be a comma-separated string or a JSON array of strings, like "${example}"`,
      );
    }
    const trimmed = (items as string[]).map((item) => item.trim()).filter(Boolean);
    if (trimmed.length === 0) return undefined;
    const bad = trimmed.filter((item) => !pattern.test(item));
    if (bad.length > 0)
      return this.fail(
        option,
        `has invalid entries ${bad.map((b) => `"${b}"`).join(', ')}; expected like "${example}"`,
      );
    const duplicates = trimmed.filter((item, index) => trimmed.indexOf(item) !== index);
    if (duplicates.length > 0) return this.fail(option, `lists "${duplicates[0]}" more than once`);
    return trimmed;
  }

  integer(option: ContextOption, min: number, max: number): number | undefined {
    const value = this.raw[option];
    if (value === undefined || value === null || value === '') return undefined;
    const number =
      typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
    if (!Number.isInteger(number) || number < min || number > max) {
      return this.fail(option, `must be a whole number from ${min} to ${max}; got "${String(value)}"`);
    }
    return number;
  }

  flag(option: ContextOption): boolean | undefined {
    const value = this.raw[option];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'boolean') return value;
    const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
    if (text === 'true') return true;
    if (text === 'false') return false;
    return this.fail(option, `must be true or false; got "${String(value)}"`);
  }
}

/**
 * Parses and validates raw context values. Throws one ConfigError that lists every problem, each
 * naming its option and what a valid value looks like.
 *
 * @example parseSettings({ vpcId: 'vpc-0abc12345', availabilityZones: 'eu-west-1a,eu-west-1b', privateSubnetIds: 'subnet-0aaa1111,subnet-0bbb2222' })
 */
export function parseSettings(raw: RawContext = {}): ProvisionerSettings {
  const read = new Reader(raw);

  const busName = read.string('existingEventBusName', patterns.busName, 'workspaces');
  const busArn = read.string(
    'existingEventBusArn',
    patterns.busArn,
    'arn:aws:events:us-east-1:123456789012:event-bus/workspaces',
  );
  if (busName && busArn)
    read.fail('existingEventBusArn', 'cannot be combined with "existingEventBusName"; give one');
  const eventBus: EventBusSettings = busArn
    ? { mode: 'import-by-arn', arn: busArn }
    : busName
      ? { mode: 'import-by-name', name: busName }
      : { mode: 'create', name: DEFAULT_EVENT_BUS_NAME };

  const vpcId = read.string('vpcId', patterns.vpcId, 'vpc-0123456789abcdef0');
  const availabilityZones = read.list(
    'availabilityZones',
    patterns.availabilityZone,
    'us-east-1a,us-east-1b',
  );
  const privateSubnetIds = read.list(
    'privateSubnetIds',
    patterns.subnetId,
    'subnet-0aaa1111,subnet-0bbb2222',
  );
  const routeTableIds = read.list(
    'privateSubnetRouteTableIds',
    patterns.routeTableId,
    'rtb-0aaa1111,rtb-0bbb2222',
  );
  const securityGroupIds = read.list('securityGroupIds', patterns.securityGroupId, 'sg-0123456789abcdef0');
  let vpc: ImportedVpcSettings | undefined;
  if (vpcId) {
    if (!availabilityZones)
      read.fail('availabilityZones', 'is required with "vpcId" (the stack does no lookups)');
    if (!privateSubnetIds)
      read.fail('privateSubnetIds', 'is required with "vpcId" (the stack does no lookups)');
    if (availabilityZones && privateSubnetIds) {
      if (privateSubnetIds.length % availabilityZones.length !== 0) {
        read.fail(
          'privateSubnetIds',
          `must list a multiple of the ${availabilityZones.length} availability zones (subnets in zone order); got ${privateSubnetIds.length}`,
        );
      }
      if (routeTableIds && routeTableIds.length !== privateSubnetIds.length) {
        read.fail(
          'privateSubnetRouteTableIds',
          'must list one route table per private subnet, in the same order',
        );
      }
      vpc = {
        vpcId,
        availabilityZones,
        privateSubnetIds,
        ...(routeTableIds ? { privateSubnetRouteTableIds: routeTableIds } : {}),
      };
    }
  } else {
    for (const option of ['availabilityZones', 'privateSubnetIds', 'privateSubnetRouteTableIds'] as const) {
      if (raw[option] !== undefined) read.fail(option, 'needs "vpcId": it describes the imported VPC');
    }
    if (securityGroupIds)
      read.fail('securityGroupIds', 'needs "vpcId": imported groups belong to an imported VPC');
  }

  const natGateways = read.integer('natGateways', 1, CREATED_VPC_ZONES) ?? CREATED_VPC_ZONES;
  const interfaceEndpoints = read.flag('interfaceEndpoints') ?? false;
  if (vpcId) {
    for (const option of ['natGateways', 'interfaceEndpoints'] as const) {
      if (raw[option] !== undefined) {
        read.fail(
          option,
          'applies to the VPC the stack creates; an imported VPC is managed where it is owned',
        );
      }
    }
  }

  const existingClusterName = read.string('existingClusterName', patterns.clusterName, 'workspaces');

  const requestSources = read.list('requestSources', patterns.source, 'platform.workspace-server') ?? [
    DEFAULT_REQUEST_SOURCE,
  ];
  const provisionerSource =
    read.string('provisionerSource', patterns.source, 'platform.provisioner') ?? DEFAULT_PROVISIONER_SOURCE;
  for (const source of [...requestSources, provisionerSource]) {
    if (source.startsWith('aws.')) {
      read.fail(
        source === provisionerSource ? 'provisionerSource' : 'requestSources',
        `cannot use "${source}": sources starting with "aws." are reserved for AWS services`,
      );
    }
  }
  if (requestSources.includes(provisionerSource)) {
    read.fail(
      'provisionerSource',
      `must differ from every request source; "${provisionerSource}" is in requestSources`,
    );
  }

  const publisherAccountIds =
    read.list('publisherAccountIds', patterns.accountId, '111122223333,444455556666') ?? [];
  const publisherOrgId = read.string('publisherOrgId', patterns.orgId, 'o-a1b2c3d4e5');
  if ((publisherAccountIds.length > 0 || publisherOrgId) && eventBus.mode !== 'create') {
    read.fail(
      publisherOrgId ? 'publisherOrgId' : 'publisherAccountIds',
      "applies to the bus the stack creates; an imported bus's policy belongs to the stack that owns it",
    );
  }

  const concurrencyRaw = raw.provisionReservedConcurrency;
  const noReservation = typeof concurrencyRaw === 'string' && concurrencyRaw.trim().toLowerCase() === 'none';
  const provisionReservedConcurrency = noReservation
    ? undefined
    : (read.integer('provisionReservedConcurrency', 1, 1000) ?? DEFAULT_PROVISION_RESERVED_CONCURRENCY);

  const logRetentionDays = read.integer('logRetentionDays', 1, 9999) ?? DEFAULT_LOG_RETENTION_DAYS;
  if (!retentionValues.has(logRetentionDays)) {
    read.fail(
      'logRetentionDays',
      `must be one CloudWatch Logs accepts (${[...retentionValues].join(', ')}); got ${logRetentionDays}`,
    );
  }
  const provisionFailureAlarmThreshold =
    read.integer('provisionFailureAlarmThreshold', 1, 100_000) ?? DEFAULT_PROVISION_FAILURE_ALARM_THRESHOLD;
  const alarmTopicArn = read.string(
    'alarmTopicArn',
    patterns.snsTopicArn,
    'arn:aws:sns:us-east-1:123456789012:alerts',
  );
  const alarmEmail = read.string('alarmEmail', patterns.email, 'oncall@example.com');
  if (alarmEmail && alarmTopicArn) {
    read.fail(
      'alarmEmail',
      'subscribes to the alarm topic the stack creates; with "alarmTopicArn", subscribe where that topic is managed',
    );
  }

  const workspaceFiles = readWorkspaceFiles(read);
  const bootImageRaw = read.string('bootImage', /^\S+$/, DEFAULT_BOOT_IMAGE);
  const bootProblem = bootImageRaw === undefined ? undefined : bootImageProblem(bootImageRaw);
  if (bootProblem) read.fail('bootImage', bootProblem);
  const templateAssetsTimeoutSeconds =
    read.integer(
      'templateAssetsTimeoutSeconds',
      TEMPLATE_ASSETS_TIMEOUT_RANGE.min,
      TEMPLATE_ASSETS_TIMEOUT_RANGE.max,
    ) ?? DEFAULT_TEMPLATE_ASSETS_TIMEOUT_SECONDS;
  const recoveryAttempts = read.integer('recoveryAttempts', 1, 100) ?? DEFAULT_RECOVERY_ATTEMPTS;
  const recoveryWindowSeconds =
    read.integer('recoveryWindowSeconds', 60, 86_400) ?? DEFAULT_RECOVERY_WINDOW_SECONDS;
  const recoveryBackoffSeconds =
    read.integer('recoveryBackoffSeconds', 0, MAX_RECOVERY_BACKOFF_SECONDS) ??
    DEFAULT_RECOVERY_BACKOFF_SECONDS;
  const dataSnapshotRetention =
    read.integer(
      'dataSnapshotRetention',
      DATA_SNAPSHOT_RETENTION_RANGE.min,
      DATA_SNAPSHOT_RETENTION_RANGE.max,
    ) ?? DEFAULT_DATA_SNAPSHOT_RETENTION;
  const dataSaveWaitSeconds =
    read.integer('dataSaveWaitSeconds', DATA_SAVE_WAIT_RANGE.min, DATA_SAVE_WAIT_RANGE.max) ??
    DEFAULT_DATA_SAVE_WAIT_SECONDS;
  const dataTag = readDataTag(read) ?? DEFAULT_DATA_TAG;
  const workspaceIngress = readWorkspaceIngress(read);
  if (workspaceIngress.length > 0 && securityGroupIds) {
    read.fail(
      'workspaceIngress',
      'opens the security group the stack creates; with "securityGroupIds", open the workspace port where those groups are managed',
    );
  }

  let catalog: Catalog | undefined;
  try {
    const tierSizing = typeof raw.tierSizing === 'string' ? parseTierSizing(raw.tierSizing) : undefined;
    if (raw.tierSizing !== undefined && typeof raw.tierSizing !== 'string') {
      read.fail('tierSizing', 'must be a string like "1=256/512,2=512/1024"');
    }
    const registry = read.string('imageRegistry', /^.+$/, 'ghcr.io/molecule-ai');
    const tag = read.string('imageTag', /^.+$/, 'v1.2.3');
    const digestsRaw = raw.imageDigests;
    if (digestsRaw !== undefined && typeof digestsRaw !== 'string') {
      read.fail('imageDigests', 'must be a string like "claude-code=sha256:<64 hex digits>"');
    }
    const imageDigests =
      typeof digestsRaw === 'string' && digestsRaw.trim() !== ''
        ? parseRuntimeMap(digestsRaw, 'imageDigests entry')
        : undefined;
    catalog = loadCatalog({
      ...(registry ? { registry } : {}),
      ...(tag ? { tag } : {}),
      ...(tierSizing ? { tiers: tierSizing } : {}),
      ...(imageDigests ? { imageDigests } : {}),
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    read.problems.push(
      `context options "imageRegistry", "imageTag", "imageDigests" or "tierSizing" are invalid: ${error.message}`,
    );
  }

  if (read.problems.length > 0 || !catalog) {
    throw new ConfigError(
      `Invalid CDK context:\n- ${read.problems.join('\n- ')}\nSet options with -c name=value or in cdk.json "context"; see the README's deploy section.`,
    );
  }

  return {
    eventBus,
    ...(vpc ? { vpc } : {}),
    natGateways,
    interfaceEndpoints,
    ...(securityGroupIds ? { securityGroupIds } : {}),
    clusterName: existingClusterName ?? DEFAULT_CLUSTER_NAME,
    importCluster: existingClusterName !== undefined,
    catalog,
    requestSources,
    provisionerSource,
    publisherAccountIds,
    ...(publisherOrgId ? { publisherOrgId } : {}),
    ...(provisionReservedConcurrency !== undefined ? { provisionReservedConcurrency } : {}),
    ...(alarmTopicArn ? { alarmTopicArn } : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
    logRetentionDays,
    provisionFailureAlarmThreshold,
    workspaceFiles,
    bootImage: bootImageRaw ?? DEFAULT_BOOT_IMAGE,
    templateAssetsTimeoutSeconds,
    workspaceIngress,
    recoveryAttempts,
    recoveryWindowSeconds,
    recoveryBackoffSeconds,
    dataSnapshotRetention,
    dataSaveWaitSeconds,
    dataTag,
  };
}

/** `workspaceFilesBucketName` and `workspaceFilesKeyArn`: an existing bucket, or one the stack creates. */
function readWorkspaceFiles(read: Reader): WorkspaceFilesSettings {
  const bucketName = read.string('workspaceFilesBucketName', patterns.bucketName, 'acme-workspace-files');
  const keyArn = read.string(
    'workspaceFilesKeyArn',
    patterns.kmsKeyArn,
    'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  );
  if (keyArn && !bucketName) {
    read.fail(
      'workspaceFilesKeyArn',
      'needs "workspaceFilesBucketName": the bucket the stack creates has its own key',
    );
  }
  if (!bucketName) return { mode: 'create' };
  return { mode: 'import', bucketName, ...(keyArn ? { keyArn } : {}) };
}

/** `dataTag`: an EC2 tag value, since it is one on every data volume and snapshot. */
function readDataTag(read: Reader): string | undefined {
  const value = read.string('dataTag', /^[\s\S]+$/, 'acme-workspaces');
  if (value === undefined || patterns.tagValue.test(value)) return value;
  return read.fail(
    'dataTag',
    `must be an EC2 tag value: 1 to 256 letters, digits, spaces and _ . : / = + - @, like "acme-workspaces"; got "${value}"`,
  );
}

/** `workspaceIngress`: each entry parsed, every refused entry named. */
function readWorkspaceIngress(read: Reader): IngressSource[] {
  const entries = read.list('workspaceIngress', /^\S+$/, 'sg-0123456789abcdef0,10.0.0.0/16') ?? [];
  const sources: IngressSource[] = [];
  for (const entry of entries) {
    const result = parseIngressEntry(entry);
    if ('problem' in result) read.fail('workspaceIngress', `has an invalid entry: ${result.problem}`);
    else sources.push(result.source);
  }
  return sources;
}

/**
 * Reads the settings from a construct node's context. Refuses every context key that is neither a
 * known option nor CDK's own (see `isCdkContextKey`), naming the nearest known option, since CDK
 * would otherwise ignore it silently.
 */
export function settingsFromContext(node: Node): ProvisionerSettings {
  const known = Object.keys(CONTEXT_OPTIONS) as ContextOption[];
  const all = node.getAllContext() as Record<string, unknown>;
  const unknown = unknownContextKeyProblems(Object.keys(all), known);
  if (unknown.length > 0) {
    throw new ConfigError(
      `Invalid CDK context:\n- ${unknown.join('\n- ')}\nThe options are listed in the README's context table.`,
    );
  }
  const raw: RawContext = {};
  for (const option of known) {
    const value = node.tryGetContext(option);
    if (value !== undefined) raw[option] = value;
  }
  return parseSettings(raw);
}
