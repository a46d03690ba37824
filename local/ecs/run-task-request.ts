import { createHash } from 'node:crypto';
import { parseS3ObjectArn } from '#core/workspace-files.ts';
import { AwsApiError } from '../wire/errors.ts';
import {
  optionalBoolean,
  optionalList,
  optionalNumber,
  optionalString,
  optionalStructure,
  type WireObject,
  wireObject,
} from '../wire/wire-input.ts';
import { type EcsScope, parseTaskDefinitionReference } from './arns.ts';
import { containerNamesOf, type EcsTaskDefinition, TASK_DEFINITION_REVISION } from './task-definitions.ts';
import type { Tag } from './task-record.ts';
import {
  parseVolumeConfigurations,
  type SnapshotCheck,
  type TaskDataVolumeRequest,
} from './volume-configuration.ts';

/** RunTask starts at most this many tasks per call. */
export const MAX_RUN_TASK_COUNT = 10;
/** All overrides of one RunTask, as JSON, may be at most this many characters. */
export const MAX_OVERRIDES_CHARS = 8192;
/** ECS's clientToken: up to 64 ASCII characters from 33 to 126. */
const CLIENT_TOKEN = /^[\x21-\x7e]{1,64}$/;
/** RunTask's startedBy: up to 128 letters, digits, hyphens, slashes and underscores. */
const STARTED_BY = /^[A-Za-z0-9/_-]{1,128}$/;
const MAX_TAGS = 50;
/**
 * "You can specify up to ten environment files. The file must have a .env file extension."
 * (ECS API Reference, EnvironmentFile; the only supported type is `s3`, the value the ARN of an
 * S3 object.)
 */
export const MAX_ENVIRONMENT_FILES = 10;
const FARGATE_PROVIDERS = new Set(['FARGATE', 'FARGATE_SPOT']);

/** A validated RunTask: everything the emulator needs to create the tasks. */
export interface RunTaskPlan {
  readonly definition: EcsTaskDefinition;
  readonly count: number;
  readonly startedBy?: string;
  readonly group: string;
  readonly launchType: string;
  readonly capacityProviderName?: string;
  readonly overrides: Readonly<Record<string, unknown>>;
  readonly tags: readonly Tag[];
  readonly cpu: string;
  readonly memory: string;
  readonly clientToken?: string;
  /** The first subnet of the awsvpc configuration: where the task's ENI is. */
  readonly subnetId: string;
  /** The managed EBS volume `volumeConfigurations` asks for (v1.3). */
  readonly dataVolume?: TaskDataVolumeRequest;
  /** Hash of every parameter but the clientToken: a retry with the same token must match it. */
  readonly requestHash: string;
}

const invalid = (message: string): AwsApiError => new AwsApiError('InvalidParameterException', message);

/** JSON with sorted keys, so equal requests hash equally whatever their member order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined && member !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function parseTags(request: WireObject): Tag[] {
  const list = optionalList(request, 'tags') ?? [];
  if (list.length > MAX_TAGS)
    throw invalid(`Too many tags: a task can have at most ${MAX_TAGS}, got ${list.length}.`);
  return list.map((item, index) => {
    const tag = wireObject(item, `tags.${index + 1}`);
    const key = optionalString(tag, 'key');
    const value = optionalString(tag, 'value') ?? '';
    if (!key || key.length > 128) throw invalid('Tag keys must be 1 to 128 characters long.');
    if (value.length > 256) throw invalid(`The value of tag "${key}" is longer than 256 characters.`);
    if (key.toLowerCase().startsWith('aws:'))
      throw invalid(`Tag key "${key}" uses the reserved prefix aws:.`);
    return { key, value };
  });
}

/** Checks a container override's `environmentFiles` as ECS does. */
function checkEnvironmentFiles(override: WireObject, containerName: string, path: string): void {
  const files = optionalList(override, 'environmentFiles');
  if (files === undefined) return;
  if (files.length > MAX_ENVIRONMENT_FILES) {
    throw invalid(
      `Container ${containerName} has ${files.length} environment files; at most ${MAX_ENVIRONMENT_FILES} are allowed.`,
    );
  }
  for (const [index, item] of files.entries()) {
    const file = wireObject(item, `${path}.environmentFiles.${index + 1}`);
    const type = optionalString(file, 'type');
    const value = optionalString(file, 'value') ?? '';
    if (type !== 's3') {
      throw invalid(
        `Environment file type ${JSON.stringify(type ?? '')} is not supported; the only supported type is s3.`,
      );
    }
    const object = parseS3ObjectArn(value);
    if (object === undefined) {
      throw invalid(
        `Environment file ${JSON.stringify(value)} is not the ARN of an S3 object (arn:aws:s3:::bucket/key).`,
      );
    }
    if (!object.key.endsWith('.env')) {
      throw invalid(`Environment file ${value} must have a .env file extension.`);
    }
  }
}

function parseOverrides(request: WireObject, definition: EcsTaskDefinition): Record<string, unknown> {
  const given = optionalStructure(request, 'overrides') ?? {};
  const containerOverrides = optionalList(given, 'containerOverrides') ?? [];
  const names = containerNamesOf(definition);
  const byName = new Map<string, unknown>();
  for (const [index, item] of containerOverrides.entries()) {
    const path = `overrides.containerOverrides.${index + 1}`;
    const override = wireObject(item, path);
    const name = optionalString(override, 'name');
    if (name === undefined) throw invalid('Container overrides must name their container.');
    if (!names.includes(name)) {
      throw invalid(`Override for container named ${name} is not a container in the TaskDefinition.`);
    }
    optionalList(override, 'environment');
    checkEnvironmentFiles(override, name, path);
    byName.set(name, item);
  }
  if (JSON.stringify(given).length > MAX_OVERRIDES_CHARS) {
    throw invalid(`Container Overrides length must be at most ${MAX_OVERRIDES_CHARS}`);
  }
  optionalString(given, 'cpu');
  optionalString(given, 'memory');
  // ECS reports an entry per container, even for containers the caller did not override.
  return {
    ...given,
    containerOverrides: names.map((name) => byName.get(name) ?? { name }),
  };
}

/** launchType, or a Fargate capacity provider strategy; the local cluster only has Fargate. */
function parseLaunch(request: WireObject): { launchType: string; capacityProviderName?: string } {
  const launchType = optionalString(request, 'launchType');
  const strategy = optionalList(request, 'capacityProviderStrategy');
  if (launchType !== undefined && strategy !== undefined && strategy.length > 0) {
    throw invalid(
      'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
    );
  }
  if (strategy !== undefined && strategy.length > 0) {
    const providers = strategy.map((item, index) =>
      optionalString(wireObject(item, `capacityProviderStrategy.${index + 1}`), 'capacityProvider'),
    );
    const provider = providers.find((name) => name !== undefined && FARGATE_PROVIDERS.has(name));
    if (provider === undefined) {
      throw invalid(`The local cluster has only the FARGATE and FARGATE_SPOT capacity providers.`);
    }
    return { launchType: 'FARGATE', capacityProviderName: provider };
  }
  // Without either, ECS uses the cluster's default strategy; the local cluster's is Fargate.
  if (launchType === undefined || launchType === 'FARGATE') return { launchType: 'FARGATE' };
  if (launchType === 'EC2' || launchType === 'EXTERNAL' || launchType === 'MANAGED_INSTANCES') {
    throw invalid('No Container Instances were found in your cluster.');
  }
  throw invalid(`launchType "${launchType}" is not one of EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES.`);
}

/** Fargate tasks use awsvpc networking, so RunTask must say which subnets; answers the first. */
function checkNetworkConfiguration(request: WireObject): string {
  const network = optionalStructure(request, 'networkConfiguration');
  const awsvpc = network === undefined ? undefined : optionalStructure(network, 'awsvpcConfiguration');
  if (awsvpc === undefined) {
    throw invalid("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  }
  const subnets = optionalList(awsvpc, 'subnets') ?? [];
  if (subnets.length === 0) throw invalid('subnets can not be empty.');
  optionalList(awsvpc, 'securityGroups');
  optionalString(awsvpc, 'assignPublicIp');
  return typeof subnets[0] === 'string' ? subnets[0] : 'subnet-local';
}

/**
 * Validates a RunTask request against the local cluster's task definitions and plans the tasks.
 * The cluster itself is resolved by the caller.
 *
 * `snapshots` answers whether a `volumeConfigurations` snapshot can be restored (the local EBS store).
 *
 * @throws AwsApiError `ClientException` for an unknown task definition, `InvalidParameterException`
 *   for a parameter ECS would refuse, `SerializationException` for a member of the wrong type.
 */
export function planRunTask(
  request: WireObject,
  scope: EcsScope,
  definitions: ReadonlyMap<string, EcsTaskDefinition>,
  snapshots?: SnapshotCheck,
): RunTaskPlan {
  const reference = optionalString(request, 'taskDefinition');
  if (!reference) throw invalid('TaskDefinition can not be blank.');
  const parsed = parseTaskDefinitionReference(scope, reference);
  const definition = parsed === undefined ? undefined : definitions.get(parsed.family);
  if (
    definition === undefined ||
    (parsed?.revision !== undefined && parsed.revision !== TASK_DEFINITION_REVISION)
  ) {
    throw new AwsApiError('ClientException', 'TaskDefinition not found.');
  }

  const count = optionalNumber(request, 'count') ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > MAX_RUN_TASK_COUNT) {
    throw invalid(`count must be between 1 and ${MAX_RUN_TASK_COUNT}.`);
  }
  const startedBy = optionalString(request, 'startedBy');
  if (startedBy !== undefined && !STARTED_BY.test(startedBy)) {
    throw invalid('startedBy can have up to 128 letters, numbers, hyphens, forward slashes and underscores.');
  }
  const group = optionalString(request, 'group') ?? `family:${definition.family}`;
  if (group.length > 255) throw invalid('group can be at most 255 characters.');
  const clientToken = optionalString(request, 'clientToken');
  if (clientToken !== undefined && !CLIENT_TOKEN.test(clientToken)) {
    throw invalid('clientToken must be 1 to 64 ASCII characters in the range 33-126.');
  }
  if (optionalString(request, 'propagateTags') === 'SERVICE') {
    throw invalid('propagateTags SERVICE is only valid for tasks started by a service.');
  }
  optionalBoolean(request, 'enableECSManagedTags');
  optionalBoolean(request, 'enableExecuteCommand');
  const launch = parseLaunch(request);
  const subnetId = checkNetworkConfiguration(request);
  const overrides = parseOverrides(request, definition);
  const tags = parseTags(request);
  const dataVolume = parseVolumeConfigurations(request, definition, snapshots);

  // Every member but the token, volumeConfigurations included: a retry must ask for the same volume.
  const { clientToken: _token, ...rest } = request;
  return {
    definition,
    count,
    ...(startedBy !== undefined ? { startedBy } : {}),
    group,
    ...launch,
    overrides,
    tags,
    cpu: typeof overrides.cpu === 'string' ? overrides.cpu : String(definition.cpu ?? 256),
    memory: typeof overrides.memory === 'string' ? overrides.memory : String(definition.memory ?? 512),
    ...(clientToken !== undefined ? { clientToken } : {}),
    subnetId,
    ...(dataVolume !== undefined ? { dataVolume } : {}),
    requestHash: createHash('sha256').update(canonicalJson(rest)).digest('hex'),
  };
}
