import { fileURLToPath } from 'node:url';
import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { FUNCTION_ENVIRONMENT } from '#adapters/environment.ts';
import { DataVolumes } from '#infra/constructs/data-volumes.ts';
import { WorkspaceEventBus } from '#infra/constructs/event-bus.ts';
import { FlowRules, type ScheduledFlow } from '#infra/constructs/flow-rules.ts';
import { HandlerFunction } from '#infra/constructs/handler-function.ts';
import { IdempotencyTable } from '#infra/constructs/idempotency-table.ts';
import { Operations } from '#infra/constructs/operations.ts';
import { WorkspaceCluster } from '#infra/constructs/workspace-cluster.ts';
import { WorkspaceFilesBucket } from '#infra/constructs/workspace-files-bucket.ts';
import { WorkspaceNetwork } from '#infra/constructs/workspace-network.ts';
import { WorkspaceTaskDefinitions } from '#infra/constructs/workspace-task-definitions.ts';
import { CREATED_VPC_ZONES, type ProvisionerSettings } from '#infra/settings.ts';
import type { WorkspaceFilesPrincipal } from '#infra/workspace-files-access.ts';
import { flowsFor, TIMEOUT_SWEEP_SCHEDULE } from '#wiring/flows.ts';
import { FUNCTION_NAMES, FUNCTIONS, type FunctionName } from '#wiring/functions.ts';
import { METRICS_NAMESPACE } from '#wiring/names.ts';

export interface WorkspaceProvisionerStackProps extends StackProps {
  /** Parsed deployment settings; see `settingsFromContext`. */
  readonly settings: ProvisionerSettings;
  /**
   * Repository root, for the handler entries and the lock file.
   * @default the parent folder of infra/
   */
  readonly projectRoot?: string;
}

/**
 * EventBridge rules -> Lambda handlers -> ECS Fargate RunTask -> follow-up events, wired from the
 * flows table in `wiring/flows.ts`. Environment-agnostic: no lookups, so it synthesizes offline.
 */
export class WorkspaceProvisionerStack extends Stack {
  readonly eventBus: WorkspaceEventBus;
  readonly network: WorkspaceNetwork;
  readonly workspaceCluster: WorkspaceCluster;
  readonly taskDefinitions: WorkspaceTaskDefinitions;
  readonly workspaceFiles: WorkspaceFilesBucket;
  readonly idempotencyTable: IdempotencyTable;
  /** v1.3: the ECS infrastructure role and KMS key of the persistent data volumes. */
  readonly dataVolumes: DataVolumes;
  /**
   * Every variable the stack offers its functions, by name; each function gets the ones its entry
   * reads (`FUNCTION_ENVIRONMENT`), and no others.
   */
  readonly functionEnvironment: Readonly<Record<string, string>>;
  readonly functions: Readonly<Record<FunctionName, HandlerFunction>>;
  readonly rules: FlowRules;
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: WorkspaceProvisionerStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const projectRoot = props.projectRoot ?? fileURLToPath(new URL('..', import.meta.url));
    const logRetention = settings.logRetentionDays;

    this.eventBus = new WorkspaceEventBus(this, 'EventBus', {
      settings: settings.eventBus,
      publisherAccountIds: settings.publisherAccountIds,
      ...(settings.publisherOrgId ? { publisherOrgId: settings.publisherOrgId } : {}),
      publisherSources: settings.requestSources,
    });
    this.network = new WorkspaceNetwork(this, 'Network', {
      ...(settings.vpc ? { importedVpc: settings.vpc } : {}),
      ...(settings.securityGroupIds ? { securityGroupIds: settings.securityGroupIds } : {}),
      ...(settings.vpc
        ? {}
        : {
            zones: CREATED_VPC_ZONES,
            natGateways: settings.natGateways,
            interfaceEndpoints: settings.interfaceEndpoints,
          }),
      logRetention,
      ingress: {
        sources: settings.workspaceIngress,
        ports: [...new Set(Object.values(settings.catalog.runtimes).map((runtime) => runtime.containerPort))],
      },
    });
    this.workspaceCluster = new WorkspaceCluster(this, 'Cluster', {
      vpc: this.network.vpc,
      clusterName: settings.clusterName,
      importExisting: settings.importCluster,
    });
    this.taskDefinitions = new WorkspaceTaskDefinitions(this, 'TaskDefinitions', {
      catalog: settings.catalog,
      clusterArn: this.workspaceCluster.clusterArn,
      taskArns: this.workspaceCluster.taskArns,
      logRetention,
      bootImage: settings.bootImage,
    });
    this.workspaceFiles = new WorkspaceFilesBucket(this, 'WorkspaceFiles', {
      settings: settings.workspaceFiles,
      logRetention,
    });
    // The ECS agent reads the secrets files and the boot bundle as env files; the containers
    // themselves (the task role) get no S3 access at all.
    this.workspaceFiles.grantAccess(this.taskDefinitions.executionRole, 'task-execution');
    this.idempotencyTable = new IdempotencyTable(this, 'IdempotencyTable');
    this.dataVolumes = new DataVolumes(this, 'DataVolumes', { dataTag: settings.dataTag });

    const { catalog } = settings;
    const environment: Record<string, string> = {
      EVENT_BUS_NAME: this.eventBus.busNameOrArn,
      PROVISIONER_SOURCE: settings.provisionerSource,
      CLUSTER_ARN: this.workspaceCluster.clusterArn,
      SUBNET_IDS: this.network.subnetIds.join(','),
      SECURITY_GROUP_IDS: this.network.securityGroupIds.join(','),
      ASSIGN_PUBLIC_IP: 'DISABLED',
      IMAGE_REGISTRY: catalog.registry,
      IMAGE_TAG: catalog.tag,
      // The exact revisions this deployment registers: RunTask names them instead of the families,
      // so a revision registered by hand or by another deployment never runs.
      TASK_DEFINITION_ARNS: Object.entries(this.taskDefinitions.taskDefinitionArns)
        .map(([runtime, arn]) => `${runtime}=${arn}`)
        .join(','),
      ...(Object.values(catalog.runtimes).some((runtime) => runtime.imageDigest)
        ? {
            IMAGE_DIGESTS: Object.values(catalog.runtimes)
              .flatMap((runtime) => (runtime.imageDigest ? [`${runtime.name}=${runtime.imageDigest}`] : []))
              .join(','),
          }
        : {}),
      TIER_SIZING: Object.entries(catalog.tiers)
        .map(([tier, size]) => `${tier}=${size.cpu}/${size.memory}`)
        .join(','),
      IDEMPOTENCY_TABLE_NAME: this.idempotencyTable.table.tableName,
      WORKSPACE_FILES_BUCKET: this.workspaceFiles.bucketName,
      TEMPLATE_ASSETS_TIMEOUT_SECONDS: String(settings.templateAssetsTimeoutSeconds),
      RECOVERY_ATTEMPTS: String(settings.recoveryAttempts),
      RECOVERY_WINDOW_SECONDS: String(settings.recoveryWindowSeconds),
      RECOVERY_BACKOFF_SECONDS: String(settings.recoveryBackoffSeconds),
      // v1.3 persistent data (decision 020).
      DATA_VOLUME_ROLE_ARN: this.dataVolumes.infrastructureRole.roleArn,
      DATA_VOLUME_KMS_KEY_ARN: this.dataVolumes.key.keyArn,
      DATA_TAG: settings.dataTag,
      DATA_SNAPSHOT_RETENTION: String(settings.dataSnapshotRetention),
      DATA_SAVE_WAIT_SECONDS: String(settings.dataSaveWaitSeconds),
    };
    this.functionEnvironment = environment;

    this.node.addValidation({
      validate: () =>
        FUNCTION_NAMES.flatMap((name) =>
          FUNCTION_ENVIRONMENT[name].required
            .filter((variable) => !(variable in environment) && !SET_BY_HANDLER_FUNCTION.has(variable))
            .map(
              (variable) =>
                `the ${name} handler requires ${variable}, which the stack does not set; add it to the stack's environment`,
            ),
        ),
    });

    // What each function may do, and nothing more.
    // Only with the provisioner's source: a function never speaks as an upstream system.
    const putEvents = (grantee: IGrantable) =>
      this.eventBus.grantPutEventsAs(grantee, settings.provisionerSource);
    const records = (grantee: IGrantable) => this.idempotencyTable.grantRecordAccess(grantee);
    const batchReadRecords = (grantee: IGrantable) => this.idempotencyTable.grantBatchRead(grantee);
    const queryLiveWorkspaces = (grantee: IGrantable) =>
      this.idempotencyTable.grantLiveWorkspacesQuery(grantee);
    const runTask = (grantee: IGrantable) => this.taskDefinitions.grantRunTask(grantee);
    const readTasks = (grantee: IGrantable) => this.workspaceCluster.grantReadTasks(grantee);
    const describeTasks = (grantee: IGrantable) => this.workspaceCluster.grantDescribeTasks(grantee);
    const stopTasks = (grantee: IGrantable) => this.workspaceCluster.grantStopTasks(grantee);
    const files = (principal: WorkspaceFilesPrincipal) => (grantee: IGrantable) =>
      this.workspaceFiles.grantAccess(grantee, principal);
    // v1.3: a launch passes the infrastructure role with the data volume and lists the workspace's
    // volumes and snapshots; the save (lifecycle), the erase (deprovision) and the sweep's resumed
    // saves (timeout-sweep) also snapshot and delete.
    const passDataVolumeRole = (grantee: IGrantable) => this.dataVolumes.grantPassRole(grantee);
    const describeData = (grantee: IGrantable) => this.dataVolumes.grantDescribe(grantee);
    const saveAndEraseData = (grantee: IGrantable) => this.dataVolumes.grantSaveAndErase(grantee);
    const grants: Record<FunctionName, ReadonlyArray<(grantee: IGrantable) => unknown>> = {
      provision: [
        runTask,
        readTasks,
        putEvents,
        records,
        files('provision'),
        passDataVolumeRole,
        describeData,
      ],
      // Launches a templated request once its assets are staged, as provision does for the others.
      'assets-staged': [
        runTask,
        readTasks,
        putEvents,
        records,
        files('assets-staged'),
        passDataVolumeRole,
        describeData,
      ],
      // It checks a launched event against ECS (DescribeTasks of the one task named) before it acts.
      overlay: [describeTasks, putEvents, records],
      // v1.2: it records each workspace's state and decides recoveries in the workspace records.
      'task-state': [putEvents, records],
      // v1.3: with erase, it deletes the workspace's snapshots and volumes.
      deprovision: [readTasks, stopTasks, putEvents, records, describeData, saveAndEraseData],
      // v1.1: it also fails recorded requests whose template assets never came; v1.2: it
      // reconciles the workspace records (their live-workspaces index) with the running tasks;
      // v1.3: it resumes data saves whose events were lost (snapshots a volume, finishes a save).
      'timeout-sweep': [
        readTasks,
        stopTasks,
        putEvents,
        records,
        batchReadRecords,
        queryLiveWorkspaces,
        describeData,
        saveAndEraseData,
      ],
      // v1.2: restart, recovery and retirement relaunch as provision launches, after stopping the
      // old task; status reads a task.
      // v1.3: it relaunches with the data volume, and saves a stopped task's data (DataTaskStopped,
      // DataSnapshotNotification).
      lifecycle: [
        runTask,
        readTasks,
        stopTasks,
        putEvents,
        records,
        files('lifecycle'),
        passDataVolumeRole,
        describeData,
        saveAndEraseData,
      ],
      // It stops a task its failed request did start before reporting Failed.
      'failure-reporter': [putEvents, readTasks, stopTasks],
    };

    // Destinations first: a function's on-failure target must exist before it.
    const ordered = [...FUNCTION_NAMES].sort(
      (a, b) => Number(FUNCTIONS[a].onFailure !== undefined) - Number(FUNCTIONS[b].onFailure !== undefined),
    );
    const functions: Partial<Record<FunctionName, HandlerFunction>> = {};
    for (const name of ordered) {
      const spec = FUNCTIONS[name];
      const onFailure = spec.onFailure ? functions[spec.onFailure]?.function : undefined;
      // Each function gets the variables its entry reads (one table, in the handlers' environment
      // module), and no others.
      const { required, optional } = FUNCTION_ENVIRONMENT[name];
      const own = new Set<string>([...required, ...optional]);
      const handler = new HandlerFunction(this, pascal(name), {
        spec,
        projectRoot,
        environment: Object.fromEntries(
          Object.entries(environment).filter(([variable]) => own.has(variable)),
        ),
        logRetention,
        metricsNamespace: METRICS_NAMESPACE,
        ...(name === 'provision' && settings.provisionReservedConcurrency !== undefined
          ? { reservedConcurrency: settings.provisionReservedConcurrency }
          : {}),
        ...(onFailure ? { onFailure } : {}),
      });
      for (const grant of grants[name]) grant(handler.function);
      functions[name] = handler;
    }
    this.functions = functions as Record<FunctionName, HandlerFunction>;
    const functionRoles = FUNCTION_NAMES.map((name) => this.functions[name].role);
    this.eventBus.reserveSource(settings.provisionerSource, functionRoles);

    const flows = flowsFor({
      requestSources: settings.requestSources,
      provisionerSource: settings.provisionerSource,
      clusterArn: this.workspaceCluster.clusterArn,
      taskDefinitionArnPrefixes: this.taskDefinitions.taskDefinitionArnPrefixes,
    });
    const sweep: ScheduledFlow = TIMEOUT_SWEEP_SCHEDULE;
    this.rules = new FlowRules(this, 'Rules', {
      flows,
      schedules: [sweep],
      eventBus: this.eventBus.bus,
      functions: Object.fromEntries(FUNCTION_NAMES.map((name) => [name, this.functions[name].function])),
    });

    const handlers = FUNCTION_NAMES.map((name) => this.functions[name]);
    this.operations = new Operations(this, 'Operations', {
      rules: this.rules.rules,
      functions: handlers,
      deadLetterQueues: [
        ...this.rules.rules.map((rule) => rule.deadLetterQueue),
        ...handlers.flatMap((handler) => (handler.deadLetterQueue ? [handler.deadLetterQueue] : [])),
      ],
      clusterName: this.workspaceCluster.clusterName,
      ...(settings.alarmTopicArn ? { alarmTopicArn: settings.alarmTopicArn } : {}),
      ...(settings.alarmEmail ? { alarmEmail: settings.alarmEmail } : {}),
      provisionFailureAlarmThreshold: settings.provisionFailureAlarmThreshold,
      metricsNamespace: METRICS_NAMESPACE,
    });

    new CfnOutput(this, 'EventBusName', {
      value: this.eventBus.busNameOrArn,
      description: 'Bus to publish Workspace Provision Requested events to (EventBusName in PutEvents)',
    });
    new CfnOutput(this, 'RequestSources', {
      value: settings.requestSources.join(','),
      description: 'Sources the rules accept requests from',
    });
    new CfnOutput(this, 'ClusterArn', { value: this.workspaceCluster.clusterArn });
    new CfnOutput(this, 'WorkspaceFilesBucketName', {
      value: this.workspaceFiles.bucketName,
      description:
        'Bucket of the secrets env files (orgs/…), staged template assets (staged/…) and boot bundles (boot/…)',
    });
    if (this.workspaceFiles.keyArn) {
      new CfnOutput(this, 'WorkspaceFilesKeyArn', {
        value: this.workspaceFiles.keyArn,
        description:
          "KMS key of the workspace files bucket: upstream's writers need kms:GenerateDataKey on it",
      });
    }
    new CfnOutput(this, 'TaskExecutionRoleArn', {
      value: this.taskDefinitions.executionRole.roleArn,
      description:
        "Role the ECS agent reads secrets and boot bundles with: allow it kms:Decrypt in an existing bucket's key policy",
    });
    new CfnOutput(this, 'DataVolumeRoleArn', {
      value: this.dataVolumes.infrastructureRole.roleArn,
      description: "ECS infrastructure role that creates and attaches the persistent workspaces' EBS volumes",
    });
    new CfnOutput(this, 'DataVolumeKeyArn', {
      value: this.dataVolumes.key.keyArn,
      description:
        'KMS key of the persistent data volumes and their snapshots; retained when the stack is deleted, with the snapshots',
    });
    new CfnOutput(this, 'DashboardName', { value: this.operations.dashboard.dashboardName });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.operations.topic.topicArn,
      description: 'SNS topic every alarm notifies; subscribe to it, or deploy with alarmTopicArn',
    });
    new CfnOutput(this, 'FunctionRoleArns', {
      value: Fn.join(
        ',',
        functionRoles.map((role) => role.roleArn),
      ),
      description:
        "Roles of the provisioner's functions: the only principals that may put events with its source",
    });
  }
}

/** Variables HandlerFunction sets itself. */
const SET_BY_HANDLER_FUNCTION = new Set([
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_LOG_LEVEL',
  'NODE_OPTIONS',
]);

const pascal = (name: string): string =>
  name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
