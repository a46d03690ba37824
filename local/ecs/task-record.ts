import { randomUUID } from 'node:crypto';
import { EBS_ATTACHMENT_TYPE } from '#contracts/names.ts';
import { envelopeTime } from '#local/wire/envelope-time.ts';
import type { DriverName, EventEnvelope } from '../interfaces.ts';
import type { TaskDataVolumeRequest } from './volume-configuration.ts';

/** ECS task and container states, in lifecycle order. */
export type TaskStatus =
  | 'PROVISIONING'
  | 'PENDING'
  | 'ACTIVATING'
  | 'RUNNING'
  | 'DEACTIVATING'
  | 'STOPPING'
  | 'DEPROVISIONING'
  | 'STOPPED';

/** ECS's `TaskStopCode`. */
export type TaskStopCode =
  | 'TaskFailedToStart'
  | 'EssentialContainerExited'
  | 'UserInitiated'
  | 'ServiceSchedulerInitiated'
  | 'SpotInterruption'
  | 'TerminationNotice';

export interface KeyValuePair {
  readonly name?: string;
  readonly value?: string;
}

export interface Tag {
  readonly key: string;
  readonly value: string;
}

/** A port of a container reachable on its host, as ECS reports it in `networkBindings`. */
export interface NetworkBinding {
  readonly bindIP: string;
  readonly containerPort: number;
  readonly hostPort: number;
  readonly protocol: 'tcp';
}

export interface ContainerRecord {
  readonly containerArn: string;
  readonly name: string;
  readonly image: string;
  /** false for the boot step, which runs to completion before the essential container. @default true */
  readonly essential?: boolean;
  lastStatus: TaskStatus;
  exitCode?: number;
  reason?: string;
  networkBindings?: NetworkBinding[];
  /** The task ENI's address, reported in the container's `networkInterfaces`. */
  privateIPv4Address?: string;
}

/**
 * The task's elastic network interface, as ECS reports it in `attachments` (type
 * `ElasticNetworkInterface`; status PRECREATED, then ATTACHED, then DELETED; details with the
 * subnet, and once attached the interface id, MAC address and `privateIPv4Address`), per the ECS
 * API Reference's Attachment shape.
 */
export interface AttachmentRecord {
  readonly id: string;
  status: 'PRECREATED' | 'ATTACHED' | 'DELETED';
  details: KeyValuePair[];
}

/**
 * v1.3: the task's managed EBS volume, reported as its `AmazonElasticBlockStorage` attachment. The
 * ECS API Reference's Attachment: "For Elastic Block Storage, this includes `roleArn`,
 * `deleteOnTermination`, `volumeName`, `volumeId`, and `statusReason` (only when the attachment fails
 * to create or attach)"; its status one of PRECREATED, CREATED, ATTACHING, ATTACHED, DETACHING,
 * DETACHED, DELETED and FAILED. Here: PRECREATED from RunTask, ATTACHED once the volume exists (with
 * its `volumeId`), FAILED when it could not be created, and at STOPPED DETACHED (the volume is kept)
 * or DELETED (`deleteOnTermination`, or never created).
 */
export interface DataVolumeAttachmentRecord {
  readonly id: string;
  status: 'PRECREATED' | 'ATTACHED' | 'DETACHED' | 'DELETED' | 'FAILED';
  /** What RunTask's `volumeConfigurations` asked for. */
  readonly request: TaskDataVolumeRequest;
  /** The volume, once created. */
  volumeId?: string;
  /** Why the volume could not be created. */
  statusReason?: string;
}

/** Where a task runs on this machine: what a driver needs to find it again after a restart. */
export interface LocalPlacement {
  /** `process` driver: the child's pid and argv. */
  pid?: number;
  argv?: readonly string[];
  /** The loopback port the workspace listens on (`PORT`). */
  port?: number;
  /** `docker` driver: the container id. */
  containerId?: string;
  /** The address the workspace is reached on: loopback (`process`), the bridge IP (`docker`), made up (`simulated`). */
  privateIPv4Address?: string;
  /** The essential container's ports reachable on the host (`process`: its loopback port). */
  networkBindings?: NetworkBinding[];
}

/**
 * A task as the emulator stores it (whole, as JSON, in `ecs_tasks`). Times are epoch milliseconds;
 * {@link toWireTask} and {@link toTaskStateChangeEnvelope} render them as the API and the events do.
 */
export interface TaskRecord {
  readonly taskArn: string;
  readonly taskId: string;
  readonly clusterArn: string;
  readonly clusterName: string;
  readonly taskDefinitionArn: string;
  readonly family: string;
  readonly group: string;
  readonly startedBy?: string;
  readonly launchType: string;
  readonly capacityProviderName?: string;
  readonly cpu: string;
  readonly memory: string;
  /** The RunTask overrides as given, with a `containerOverrides` entry per container as ECS reports them. */
  readonly overrides: Readonly<Record<string, unknown>>;
  readonly tags: readonly Tag[];
  readonly availabilityZone: string;
  readonly platformVersion: string;
  /** The driver that runs the task; a restart with another driver stops it. */
  readonly driver: DriverName;
  /** The container port of the task definition (the workspace's `PORT` inside a container). */
  readonly containerPort: number;
  readonly createdAt: number;
  lastStatus: TaskStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  containers: ContainerRecord[];
  /** The task's ENI; absent on records of an older run. */
  attachment?: AttachmentRecord;
  /** v1.3: the managed EBS volume RunTask's `volumeConfigurations` gave the task. */
  dataVolume?: DataVolumeAttachmentRecord;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  connectivity?: 'CONNECTED';
  connectivityAt?: number;
  startedAt?: number;
  stoppingAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  updatedAt: number;
  stopCode?: TaskStopCode;
  stoppedReason?: string;
  /** Rises by one on every change; the state-change events carry it. */
  version: number;
  local?: LocalPlacement;
}

/** A copy deep enough to change a record without touching the original. */
export function copyTaskRecord(task: TaskRecord): TaskRecord {
  return {
    ...task,
    containers: task.containers.map((container) => ({
      ...container,
      ...(container.networkBindings ? { networkBindings: [...container.networkBindings] } : {}),
    })),
    ...(task.attachment
      ? {
          attachment: {
            ...task.attachment,
            details: task.attachment.details.map((detail) => ({ ...detail })),
          },
        }
      : {}),
    ...(task.dataVolume ? { dataVolume: { ...task.dataVolume } } : {}),
    ...(task.local ? { local: { ...task.local } } : {}),
  };
}

/** Epoch seconds, as the AWS JSON protocol sends timestamps. */
const epochSeconds = (ms: number): number => ms / 1000;
const iso = (ms: number): string => new Date(ms).toISOString();

/** The optional times of a task, rendered with `render`, leaving out the unknown ones. */
function taskTimes<T>(task: TaskRecord, render: (ms: number) => T): Record<string, T> {
  const times: Record<string, T> = { createdAt: render(task.createdAt) };
  for (const key of [
    'pullStartedAt',
    'pullStoppedAt',
    'connectivityAt',
    'startedAt',
    'stoppingAt',
    'executionStoppedAt',
    'stoppedAt',
  ] as const) {
    const value = task[key];
    if (value !== undefined) times[key] = render(value);
  }
  return times;
}

function containerOf(task: TaskRecord, container: ContainerRecord): Record<string, unknown> {
  return {
    containerArn: container.containerArn,
    taskArn: task.taskArn,
    name: container.name,
    image: container.image,
    lastStatus: container.lastStatus,
    ...(container.exitCode !== undefined ? { exitCode: container.exitCode } : {}),
    ...(container.reason !== undefined ? { reason: container.reason } : {}),
    ...(container.networkBindings
      ? { networkBindings: container.networkBindings.map((binding) => ({ ...binding })) }
      : {}),
    networkInterfaces:
      container.privateIPv4Address !== undefined && task.attachment !== undefined
        ? [{ attachmentId: task.attachment.id, privateIpv4Address: container.privateIPv4Address }]
        : [],
    cpu: '0',
  };
}

/** The `AmazonElasticBlockStorage` attachment of a task with a managed EBS volume. */
function dataVolumeAttachmentOf(volume: DataVolumeAttachmentRecord): Record<string, unknown> {
  const details: KeyValuePair[] = [
    { name: 'roleArn', value: volume.request.roleArn },
    { name: 'volumeName', value: volume.request.name },
    { name: 'deleteOnTermination', value: String(volume.request.deleteOnTermination) },
  ];
  if (volume.volumeId !== undefined) details.push({ name: 'volumeId', value: volume.volumeId });
  if (volume.statusReason !== undefined) details.push({ name: 'statusReason', value: volume.statusReason });
  return { id: volume.id, type: EBS_ATTACHMENT_TYPE, status: volume.status, details };
}

/** The task's attachments: its ENI, then its managed EBS volume when it has one. */
export function attachmentsOf(task: TaskRecord): Array<Record<string, unknown>> {
  const attachments: Array<Record<string, unknown>> = [];
  if (task.attachment !== undefined) {
    const { id, status, details } = task.attachment;
    attachments.push({
      id,
      type: 'ElasticNetworkInterface',
      status,
      details: details.map((detail) => ({ ...detail })),
    });
  }
  if (task.dataVolume !== undefined) attachments.push(dataVolumeAttachmentOf(task.dataVolume));
  return attachments;
}

/** Members that the API's Task and the event's detail share. */
function commonTaskMembers(task: TaskRecord): Record<string, unknown> {
  return {
    attachments: attachmentsOf(task),
    availabilityZone: task.availabilityZone,
    clusterArn: task.clusterArn,
    ...(task.connectivity ? { connectivity: task.connectivity } : {}),
    containers: task.containers.map((container) => containerOf(task, container)),
    cpu: task.cpu,
    desiredStatus: task.desiredStatus,
    enableExecuteCommand: false,
    ephemeralStorage: { sizeInGiB: 20 },
    group: task.group,
    lastStatus: task.lastStatus,
    launchType: task.launchType,
    ...(task.capacityProviderName ? { capacityProviderName: task.capacityProviderName } : {}),
    memory: task.memory,
    overrides: task.overrides,
    platformVersion: task.platformVersion,
    platformFamily: 'Linux',
    ...(task.startedBy !== undefined ? { startedBy: task.startedBy } : {}),
    ...(task.stopCode ? { stopCode: task.stopCode } : {}),
    ...(task.stoppedReason !== undefined ? { stoppedReason: task.stoppedReason } : {}),
    taskArn: task.taskArn,
    taskDefinitionArn: task.taskDefinitionArn,
    version: task.version,
  };
}

/** The task as RunTask, StopTask and DescribeTasks answer it (timestamps in epoch seconds). */
export function toWireTask(task: TaskRecord, includeTags = false): Record<string, unknown> {
  return {
    ...commonTaskMembers(task),
    ...taskTimes(task, epochSeconds),
    healthStatus: 'UNKNOWN',
    ...(includeTags ? { tags: task.tags.map((tag) => ({ ...tag })) } : {}),
  };
}

/** The `detail` of an `ECS Task State Change` event for the task (timestamps as ISO strings). */
export function toTaskStateChangeDetail(task: TaskRecord): Record<string, unknown> {
  return {
    ...commonTaskMembers(task),
    ...taskTimes(task, iso),
    updatedAt: iso(task.updatedAt),
  };
}

/** The `ECS Task State Change` event for the task's current state. */
export function toTaskStateChangeEnvelope(
  task: TaskRecord,
  scope: { readonly region: string; readonly account: string },
): EventEnvelope {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: scope.account,
    time: envelopeTime(task.updatedAt),
    region: scope.region,
    resources: [task.taskArn],
    detail: toTaskStateChangeDetail(task),
  };
}

/** The S3 object ARNs of the `environmentFiles` a container override gives the named container, in order. */
export function containerEnvironmentFiles(task: TaskRecord, containerName: string): string[] {
  const overrides = task.overrides.containerOverrides;
  if (!Array.isArray(overrides)) return [];
  const files: string[] = [];
  for (const override of overrides as Array<{ name?: unknown; environmentFiles?: unknown }>) {
    if (override.name !== containerName || !Array.isArray(override.environmentFiles)) continue;
    for (const file of override.environmentFiles as Array<{ value?: unknown }>) {
      if (typeof file.value === 'string') files.push(file.value);
    }
  }
  return files;
}

/** The environment a container override gives the named container. */
export function containerEnvironment(task: TaskRecord, containerName: string): Record<string, string> {
  const environment: Record<string, string> = {};
  const overrides = task.overrides.containerOverrides;
  if (!Array.isArray(overrides)) return environment;
  for (const override of overrides as Array<{ name?: unknown; environment?: unknown }>) {
    if (override.name !== containerName || !Array.isArray(override.environment)) continue;
    for (const pair of override.environment as KeyValuePair[]) {
      if (typeof pair.name === 'string' && typeof pair.value === 'string')
        environment[pair.name] = pair.value;
    }
  }
  return environment;
}

/** The command a container override gives the named container, if any. */
export function containerCommand(task: TaskRecord, containerName: string): readonly string[] | undefined {
  const overrides = task.overrides.containerOverrides;
  if (!Array.isArray(overrides)) return undefined;
  for (const override of overrides as Array<{ name?: unknown; command?: unknown }>) {
    if (override.name === containerName && Array.isArray(override.command))
      return override.command as string[];
  }
  return undefined;
}
