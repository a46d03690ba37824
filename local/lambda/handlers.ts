import { Agent } from 'node:http';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { S3WorkspaceFiles } from '#adapters/s3-workspace-files.ts';
import { systemClock } from '#adapters/system-clock.ts';
import { loadCatalog } from '#config/catalog.ts';
import { loadOverlays } from '#config/overlays.ts';
import {
  DEFAULT_CLUSTER_NAME,
  DEFAULT_EVENT_BUS_NAME,
  DEFAULT_PROVISIONER_SOURCE,
  DEFAULT_WORKSPACE_FILES_BUCKET,
} from '#contracts/names.ts';
import { createAssetsStagedHandler } from '#functions/assets-staged/create-handler.ts';
import { createDeprovisionHandler } from '#functions/deprovision/create-handler.ts';
import { createFailureReporterHandler } from '#functions/failure-reporter/create-handler.ts';
import { createLifecycleHandler } from '#functions/lifecycle/create-handler.ts';
import { createOverlayHandler } from '#functions/overlay/create-handler.ts';
import { createProvisionHandler, type LaunchRetryPolicy } from '#functions/provision/create-handler.ts';
import { createTaskStateHandler } from '#functions/task-state/create-handler.ts';
import { createTimeoutSweepHandler } from '#functions/timeout-sweep/create-handler.ts';
import {
  LOCAL_ACCOUNT,
  localClientConfig,
  STACK_PRINCIPAL_STEP,
  stackPrincipalHeader,
} from '#local/clients.ts';
import type { LambdaHandler } from '#local/lambda/invoker.ts';
import { localInstrumentation } from '#local/lambda/local-instrumentation.ts';
import type { HandlerPorts } from '#local/ports/remote.ts';
import { localClusterArn } from '#local/routing/routes.ts';
import type { HandlerSettings } from '#ports/handler-settings.ts';
import type { FunctionName } from '#wiring/functions.ts';
import { DEFAULT_DATA_SNAPSHOT_RETENTION, DEFAULT_DATA_TAG } from '#wiring/names.ts';

/**
 * v1.3: the ECS infrastructure role data volumes are created with, as the local stack names it
 * (the local ECS emulator does not check it; the deployed stack's role has this name's shape).
 */
export const LOCAL_DATA_VOLUME_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT}:role/WorkspaceProvisioner-ecs-infrastructure`;

/**
 * What the handlers are built from. Plain data (it crosses to handler threads as `workerData`), so
 * the stack and each handler thread build the same handlers.
 */
export interface HandlerSetup {
  /** The stack's endpoint, where the handlers' SDK clients send their calls. */
  readonly url: string;
  readonly region: string;
  readonly handlerLogLevel: LogLevel;
  /**
   * The stack's per-start secret its functions send with every request: the endpoint's stand-in for
   * their IAM roles, which the bus policy allows to use the provisioner's source.
   */
  readonly principal: string;
  readonly provisionRetry?: Partial<LaunchRetryPolicy>;
  readonly registry?: string;
  readonly tag?: string;
  /** v1.1: how long a request waits for its template assets (`--template-assets-timeout`). @default 300 */
  readonly templateAssetsTimeoutSeconds?: number;
  /**
   * Issue 13: recoveries of a crashing workspace allowed within the window before `Workspace
   * Recovery Abandoned` (`--recovery-attempts`; the stack always sets the three recovery fields).
   * @default 5
   */
  readonly recoveryAttempts?: number;
  /** Issue 13: the crash-loop window, in seconds (`--recovery-window`). @default 1800 */
  readonly recoveryWindowSeconds?: number;
  /** Issue 13: base of the recovery backoff, in seconds (`--recovery-backoff`). @default 2 locally */
  readonly recoveryBackoffSeconds?: number;
  /** v1.3: how long a launch waits for the previous task's data save (`--data-save-wait`). @default 60 locally */
  readonly dataSaveWaitSeconds?: number;
  /** How long the sweep leaves a task, a record or a volume alone (`--reconcile-grace`). @default 120 */
  readonly reconcileGraceSeconds?: number;
}

export interface BuiltHandlers {
  readonly handlers: Record<FunctionName, LambdaHandler>;
  /** Destroys the SDK clients and their keep-alive agent. */
  close(): void;
}

/**
 * The handlers' own clients: unsigned (the stack's endpoint never checks signatures; clients of
 * outside users keep signing), one keep-alive agent for all, three attempts, bounded timeouts.
 */
const handlerClientConfig = (url: string, region: string, httpAgent: Agent) =>
  localClientConfig(url, region, {
    httpAgent,
    unsigned: true,
    maxAttempts: 3,
    timeouts: { connectionMs: 5_000, requestMs: 30_000 },
  });

/**
 * Builds the six handlers with their factories, the real SDK clients on the stack's endpoint and
 * the durable ports (the sqlite stores on the stack's thread, or their remote stand-ins on a
 * handler thread).
 */
export function buildHandlers(setup: HandlerSetup, ports: HandlerPorts): BuiltHandlers {
  const { region, handlerLogLevel } = setup;
  const catalog = loadCatalog({
    ...(setup.registry ? { registry: setup.registry } : {}),
    ...(setup.tag ? { tag: setup.tag } : {}),
  });
  const overlays = loadOverlays();
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const clientConfig = handlerClientConfig(setup.url, region, agent);
  const ecsClient = new ECSClient(clientConfig);
  // v1.3: the stack's endpoint serves the EC2 actions of data volumes and snapshots.
  const ec2Client = new EC2Client(clientConfig);
  const eventBridgeClient = new EventBridgeClient(clientConfig);
  // The stack's endpoint serves S3 path-style on the `workspace-files` bucket.
  const s3Client = new S3Client({ ...clientConfig, forcePathStyle: true });
  s3Client.middlewareStack.add(stackPrincipalHeader(setup.principal), STACK_PRINCIPAL_STEP);
  ecsClient.middlewareStack.add(stackPrincipalHeader(setup.principal), STACK_PRINCIPAL_STEP);
  ec2Client.middlewareStack.add(stackPrincipalHeader(setup.principal), STACK_PRINCIPAL_STEP);
  eventBridgeClient.middlewareStack.add(stackPrincipalHeader(setup.principal), STACK_PRINCIPAL_STEP);
  const settings: HandlerSettings = {
    eventBusName: DEFAULT_EVENT_BUS_NAME,
    provisionerSource: DEFAULT_PROVISIONER_SOURCE,
    launchTarget: {
      cluster: localClusterArn(region, LOCAL_ACCOUNT, DEFAULT_CLUSTER_NAME),
      subnets: ['subnet-local'],
      securityGroups: ['sg-local'],
      assignPublicIp: 'DISABLED',
      workspaceFilesBucket: DEFAULT_WORKSPACE_FILES_BUCKET,
    },
    ...(setup.templateAssetsTimeoutSeconds !== undefined
      ? { templateAssetsTimeoutSeconds: setup.templateAssetsTimeoutSeconds }
      : {}),
    // v1.2: the crash-loop cap and backoff (`--recovery-*`; the stack always sets them).
    ...(setup.recoveryAttempts !== undefined ? { recoveryAttempts: setup.recoveryAttempts } : {}),
    ...(setup.recoveryWindowSeconds !== undefined
      ? { recoveryWindowSeconds: setup.recoveryWindowSeconds }
      : {}),
    ...(setup.recoveryBackoffSeconds !== undefined
      ? { recoveryBackoffSeconds: setup.recoveryBackoffSeconds }
      : {}),
    // v1.3: persistent data, on the stack's own EC2 endpoint (`--data-save-wait`).
    dataVolumes: { roleArn: LOCAL_DATA_VOLUME_ROLE_ARN, dataTag: DEFAULT_DATA_TAG },
    dataSnapshotRetention: DEFAULT_DATA_SNAPSHOT_RETENTION,
    ...(setup.dataSaveWaitSeconds !== undefined ? { dataSaveWaitSeconds: setup.dataSaveWaitSeconds } : {}),
    ...(setup.reconcileGraceSeconds !== undefined
      ? { reconcileGraceSeconds: setup.reconcileGraceSeconds }
      : {}),
  };
  const { workspaceLeases, taskVersions, provisionRequests, workspaceRecords } = ports;
  const workspaceFiles = new S3WorkspaceFiles(s3Client, DEFAULT_WORKSPACE_FILES_BUCKET);
  const common = {
    ecs: ecsClient,
    ec2: ec2Client,
    eventBridge: eventBridgeClient,
    catalog,
    overlays,
    settings,
    clock: systemClock,
  };
  const instrumentation = (name: FunctionName) => ({
    instrumentation: localInstrumentation(name, handlerLogLevel),
  });

  const handlers: Record<FunctionName, LambdaHandler> = {
    provision: createProvisionHandler(
      {
        ...common,
        idempotencyStore: ports.idempotencyStore(),
        workspaceLeases,
        provisionRequests,
        workspaceRecords,
        workspaceFiles,
      },
      {
        ...instrumentation('provision'),
        ...(setup.provisionRetry ? { retry: setup.provisionRetry } : {}),
      },
    ),
    'assets-staged': createAssetsStagedHandler(
      {
        ...common,
        idempotencyStore: ports.idempotencyStore(),
        workspaceLeases,
        provisionRequests,
        workspaceRecords,
        workspaceFiles,
      },
      {
        ...instrumentation('assets-staged'),
        ...(setup.provisionRetry ? { retry: setup.provisionRetry } : {}),
      },
    ),
    overlay: createOverlayHandler(
      { ...common, idempotencyStore: ports.idempotencyStore() },
      instrumentation('overlay'),
    ),
    'task-state': createTaskStateHandler(
      { ...common, taskVersions, workspaceLeases, provisionRequests, workspaceRecords },
      instrumentation('task-state'),
    ),
    deprovision: createDeprovisionHandler(
      { ...common, idempotencyStore: ports.idempotencyStore(), workspaceLeases, workspaceRecords },
      instrumentation('deprovision'),
    ),
    'timeout-sweep': createTimeoutSweepHandler(
      { ...common, catalog, provisionRequests, workspaceRecords },
      instrumentation('timeout-sweep'),
    ),
    'failure-reporter': createFailureReporterHandler(common, instrumentation('failure-reporter')),
    lifecycle: createLifecycleHandler(
      {
        ...common,
        idempotencyStore: ports.idempotencyStore(),
        workspaceLeases,
        provisionRequests,
        workspaceRecords,
        workspaceFiles,
      },
      instrumentation('lifecycle'),
    ),
  };
  return {
    handlers,
    close() {
      ecsClient.destroy();
      ec2Client.destroy();
      eventBridgeClient.destroy();
      s3Client.destroy();
      agent.destroy();
    },
  };
}
