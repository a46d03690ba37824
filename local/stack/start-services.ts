/**
 * The AWS-shaped services of the stack: the bus, the ECS emulator (its events on the default bus,
 * where the task-state rule sits, as in AWS), the EventBridge emulator, and the loopback endpoint
 * that serves them and answers `/local/health` once the stack says it is ready, with S3, EC2's
 * EBS actions (the local volume store, also the ECS emulator's data volumes) and the
 * `/local/simulate/*` routes.
 */

import { resolve } from 'node:path';
import type { Catalog } from '#config/catalog.ts';
import {
  CONTAINER_NAME,
  DATA_VOLUME_NAME,
  DEFAULT_CLUSTER_NAME,
  DEFAULT_PROVISIONER_SOURCE,
  DEFAULT_WORKSPACE_FILES_BUCKET,
} from '#contracts/names.ts';
import { ec2Route, LocalVolumeStore, snapshotNotifier } from '#local/ec2/index.ts';
import { createEcsEmulator, type EcsEmulator, type EcsTaskDefinition } from '#local/ecs/index.ts';
import { createEventBridgeEmulator, createEventBus } from '#local/eventbridge/index.ts';
import type {
  DriverName,
  FaultOptions,
  LocalDatabase,
  LocalEventBus,
  QuotaOptions,
} from '#local/interfaces.ts';
import { createS3ObjectStore, type S3ObjectStore, s3Route } from '#local/s3/index.ts';
import { simulateRoute } from '#local/simulate/index.ts';
import { createLocalServer, type LocalServer, type WireRoute } from '#local/wire/index.ts';
import { BOOT_STEP, DEFAULT_BOOT_IMAGE } from '#wiring/boot-step.ts';
import { AWS_DEFAULT_BUS } from '#wiring/names.ts';
import type { LogWriter } from './activity-log.ts';
import type { Cleanups } from './cleanups.ts';

/** What {@link startServices} needs. */
export interface ServicesOptions {
  readonly database: LocalDatabase;
  /** The state directory: the tasks' `configs` volumes and the EBS store's directories live under it. */
  readonly stateDir: string;
  readonly catalog: Catalog;
  readonly region: string;
  readonly account: string;
  readonly driver: DriverName;
  readonly host: string;
  readonly port: number;
  readonly quota?: QuotaOptions;
  readonly faults?: FaultOptions;
  readonly simulatedStepMs?: number;
  readonly log: LogWriter;
  /** The stack's functions' principal: the only one the bus lets use the provisioner's source. */
  readonly functionsPrincipal: string;
  /**
   * The routes of the endpoint beside AWS JSON 1.1: S3 is added here; SQS and Lambda Invoke are
   * filled in by the caller before the stack is ready.
   */
  readonly wireRoutes: WireRoute[];
}

/** The started services; `markReady` turns `/local/health` ready. */
export interface Services {
  readonly bus: LocalEventBus;
  readonly ecs: EcsEmulator;
  /** The objects of the workspace files bucket. */
  readonly objects: S3ObjectStore;
  /** The local EBS volumes and snapshots (persistent workspace data). */
  readonly volumes: LocalVolumeStore;
  readonly server: LocalServer;
  markReady(ready: boolean): void;
}

/**
 * One task definition per runtime of the catalog, each with the boot step CDK gives it and the
 * `workspace-data` volume (`configuredAtLaunch`) mounted at the runtime's data path.
 */
export function taskDefinitionsOf(catalog: Catalog): EcsTaskDefinition[] {
  return Object.values(catalog.runtimes).map((runtime) => ({
    family: runtime.family,
    image: runtime.image,
    containerName: CONTAINER_NAME,
    containerPort: runtime.containerPort,
    environment: BOOT_STEP.workspaceEnvironment,
    bootStep: {
      containerName: BOOT_STEP.containerName,
      image: DEFAULT_BOOT_IMAGE,
      volumeName: BOOT_STEP.volumeName,
      mountPath: BOOT_STEP.mountPath,
    },
    dataVolume: { name: DATA_VOLUME_NAME, mountPath: runtime.dataPath },
    ...(runtime.localCommand ? { localCommand: runtime.localCommand } : {}),
  }));
}

/** Where the stack keeps each task's `configs` volume, under its state directory. */
export const configsDirectoryIn = (stateDir: string): string => resolve(stateDir, 'configs');

/** Starts the bus, the emulators and the endpoint, registering their cleanups. */
export async function startServices(options: ServicesOptions, cleanups: Cleanups): Promise<Services> {
  const { database, region, account, log } = options;
  const bus = createEventBus(database);
  const objects = createS3ObjectStore(database);
  options.wireRoutes.push(s3Route({ store: objects, buckets: [DEFAULT_WORKSPACE_FILES_BUCKET] }));
  // EBS announces a finished snapshot on the account's default bus, where the data rules sit.
  const volumes = new LocalVolumeStore({
    database,
    stateDir: options.stateDir,
    account,
    onSnapshotFinished: snapshotNotifier(bus, AWS_DEFAULT_BUS, { region, account }),
    log,
  });
  // Closed after the ECS emulator (cleanups run newest first), whose stopping tasks release volumes.
  cleanups.add(() => volumes.close());
  options.wireRoutes.push(ec2Route({ store: volumes, region, log }));
  const ecs = createEcsEmulator({
    database,
    bus,
    region,
    account,
    clusterName: DEFAULT_CLUSTER_NAME,
    eventBusName: AWS_DEFAULT_BUS,
    driver: options.driver,
    taskDefinitions: taskDefinitionsOf(options.catalog),
    envFiles: objects,
    configsDirectory: configsDirectoryIn(options.stateDir),
    dataVolumes: volumes,
    ...(options.quota ? { quota: options.quota } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.simulatedStepMs !== undefined ? { simulatedStepMs: options.simulatedStepMs } : {}),
    log,
  });
  cleanups.add(() => ecs.close());
  // What AWS does to a task on its own (Fargate's retirement, AWS Health's notice), on request.
  options.wireRoutes.push(simulateRoute({ ecs, bus, eventBusName: AWS_DEFAULT_BUS, region, account }));
  const eventBridge = createEventBridgeEmulator({
    bus,
    region,
    account,
    ...(options.faults ? { faults: options.faults } : {}),
    log,
    reservedSources: [
      { source: DEFAULT_PROVISIONER_SOURCE, allowedPrincipals: new Set([options.functionsPrincipal]) },
    ],
  });
  let ready = false;
  const server = await createLocalServer({
    host: options.host,
    port: options.port,
    eventBridge,
    ecs,
    bus,
    routes: options.wireRoutes,
    ready: () => ready,
    log,
  });
  cleanups.add(() => server.close());
  return {
    bus,
    ecs,
    objects,
    volumes,
    server,
    markReady(value) {
      ready = value;
    },
  };
}
