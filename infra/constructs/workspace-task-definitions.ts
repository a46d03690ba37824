import { Annotations, Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  ContainerDependencyCondition,
  ContainerImage,
  FargateTaskDefinition,
  LinuxParameters,
  LogDrivers,
} from 'aws-cdk-lib/aws-ecs';
import { Grant, type IGrantable, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import type { Catalog } from '#config/catalog.ts';
import { CONTAINER_NAME, DATA_VOLUME_NAME, DEFAULT_TIER } from '#contracts/names.ts';
import {
  acknowledgeEnvironmentPath,
  acknowledgeShellParameters,
  acknowledgeWildcardResource,
} from '#infra/nag-acknowledgments.ts';
import { BOOT_STEP } from '#wiring/boot-step.ts';
import { WORKSPACE_RESTART_POLICY } from '#wiring/restart-policy.ts';

export interface WorkspaceTaskDefinitionsProps {
  /** One task definition per runtime of this catalog. */
  readonly catalog: Catalog;
  /** ARN of the cluster the tasks may be run in; RunTask grants are conditioned on it. */
  readonly clusterArn: string;
  /** `arn:...:task/<cluster>/*`, for the tag-on-create grant. */
  readonly taskArns: string;
  /**
   * Retention of the container log group.
   * @default one month
   */
  readonly logRetention?: RetentionDays;
  /** The boot step's image, pinned by digest (`DEFAULT_BOOT_IMAGE` or `-c bootImage`). */
  readonly bootImage: string;
}

/**
 * Tags that name whatever was pushed last rather than one build. A runtime on one of these without a
 * digest may run different code after any push, and two tasks of one deployment may differ.
 */
export const MOVING_TAGS: readonly string[] = [
  'latest',
  'main',
  'master',
  'dev',
  'develop',
  'edge',
  'nightly',
  'canary',
  'next',
  'stable',
  'head',
  'trunk',
];

/**
 * How long ECS waits after SIGTERM before SIGKILL. Fargate's maximum is 120 seconds (ContainerDefinition
 * `stopTimeout`, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html);
 * the default of 30 is short for an agent finishing a turn and flushing its state.
 */
export const WORKSPACE_STOP_TIMEOUT = Duration.seconds(120);

/** `<account>.dkr.ecr.<region>.amazonaws.com[.cn][/path]` */
const ECR_REGISTRY = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?(\/(.+))?$/;

/**
 * One Fargate task definition per catalog runtime: family `workspace-<runtime>`, container
 * `workspace`, the plain per-runtime image (by digest when the catalog pins one), an init process
 * as PID 1 that reaps zombies and forwards SIGTERM, the longest stop timeout Fargate allows, and
 * awslogs logging to the stack's container log group. Before it runs the boot step (`BOOT_STEP` in
 * `wiring/boot-step.ts`): a non-essential `boot` container that fills the task volume `configs`,
 * which both mount at `/configs`; the workspace waits for it to exit 0. v1.3: the workspace also
 * mounts the volume `workspace-data` at the runtime's data path; it is configured at launch, a
 * managed EBS volume for a persistent workspace (decision 020). The task role has no
 * permissions; the execution role may write the container logs (and pull from ECR when the
 * registry or the boot image is ECR); the stack adds its reads of the workspace files bucket.
 * Task-level cpu and memory default to tier 2; RunTask overrides them per request tier.
 */
export class WorkspaceTaskDefinitions extends Construct {
  readonly taskRole: Role;
  readonly executionRole: Role;
  readonly logGroup: LogGroup;
  readonly taskDefinitions: Readonly<Record<string, FargateTaskDefinition>>;
  /** Family names, in catalog order. */
  readonly families: readonly string[];
  /** `arn:<partition>:ecs:<region>:<account>:task-definition/<family>:` per family. */
  readonly taskDefinitionArnPrefixes: readonly string[];
  /** The revision ARN this deployment registers, per runtime: what RunTask runs and IAM allows. */
  readonly taskDefinitionArns: Readonly<Record<string, string>>;
  private readonly clusterArn: string;
  private readonly taskArns: string;
  private ecrLoginGranted = false;

  constructor(scope: Construct, id: string, props: WorkspaceTaskDefinitionsProps) {
    super(scope, id);
    this.clusterArn = props.clusterArn;
    this.taskArns = props.taskArns;
    const { catalog } = props;
    const runtimes = Object.values(catalog.runtimes);
    this.node.addValidation({
      validate: () => (runtimes.length === 0 ? ['catalog must declare at least one runtime'] : []),
    });

    this.taskRole = new Role(this, 'TaskRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Workspace tasks: no AWS permissions; secrets reach a workspace by reference',
    });
    this.executionRole = new Role(this, 'ExecutionRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description:
        'ECS agent for workspace tasks: write container logs, pull images, read secrets files and boot bundles',
    });
    this.logGroup = new LogGroup(this, 'ContainerLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.grantEcrPull(catalog);
    this.grantBootImagePull(props.bootImage);

    const size = catalog.tiers[String(DEFAULT_TIER) as keyof Catalog['tiers']];
    const taskDefinitions: Record<string, FargateTaskDefinition> = {};
    for (const runtime of runtimes) {
      const taskDefinition = new FargateTaskDefinition(this, `TaskDefinition-${runtime.name}`, {
        family: runtime.family,
        cpu: size.cpu,
        memoryLimitMiB: size.memory,
        taskRole: this.taskRole,
        executionRole: this.executionRole,
      });
      taskDefinition.addVolume({ name: BOOT_STEP.volumeName });
      // The boot step: writes the request's prepared files into the configs volume and exits 0
      // (decision 018). Its bundle arrives as an env file in the RunTask overrides.
      const boot = taskDefinition.addContainer(BOOT_STEP.containerName, {
        containerName: BOOT_STEP.containerName,
        image: ContainerImage.fromRegistry(props.bootImage),
        essential: false,
        command: [...BOOT_STEP.command],
        memoryReservationMiB: BOOT_STEP.memoryReservationMiB,
        logging: LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: runtime.name }),
      });
      boot.addMountPoints({
        sourceVolume: BOOT_STEP.volumeName,
        containerPath: BOOT_STEP.mountPath,
        readOnly: false,
      });
      const workspace = taskDefinition.addContainer(CONTAINER_NAME, {
        containerName: CONTAINER_NAME,
        image: ContainerImage.fromRegistry(runtime.image),
        essential: true,
        portMappings: [{ containerPort: runtime.containerPort }],
        logging: LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: runtime.name }),
        // The images start a shell entrypoint as root, chown /configs and /workspace, then drop to
        // uid 1000; an init process as PID 1 forwards SIGTERM to that chain and reaps what it leaves.
        linuxParameters: new LinuxParameters(this, `LinuxParameters-${runtime.name}`, {
          initProcessEnabled: true,
        }),
        stopTimeout: WORKSPACE_STOP_TIMEOUT,
        environment: { ...BOOT_STEP.workspaceEnvironment },
        // v1.2: a crash inside a healthy task is restarted in place first (wiring/restart-policy.ts).
        enableRestartPolicy: WORKSPACE_RESTART_POLICY.enabled,
        restartIgnoredExitCodes: [...WORKSPACE_RESTART_POLICY.ignoredExitCodes],
        restartAttemptPeriod: Duration.seconds(WORKSPACE_RESTART_POLICY.restartAttemptPeriodSeconds),
      });
      // Writable: the runtime images chown /configs at start before dropping to uid 1000.
      workspace.addMountPoints({
        sourceVolume: BOOT_STEP.volumeName,
        containerPath: BOOT_STEP.mountPath,
        readOnly: false,
      });
      // v1.3 (decision 020): the persistent data volume, a managed EBS volume that RunTask's
      // volumeConfigurations supply for a persistent workspace, at the runtime's data path.
      taskDefinition.addVolume({ name: DATA_VOLUME_NAME, configuredAtLaunch: true });
      workspace.addMountPoints({
        sourceVolume: DATA_VOLUME_NAME,
        containerPath: runtime.dataPath,
        readOnly: false,
      });
      workspace.addContainerDependencies({
        container: boot,
        condition: ContainerDependencyCondition.SUCCESS,
      });
      acknowledgeEnvironmentPath(taskDefinition);
      acknowledgeShellParameters(taskDefinition.node.defaultChild as IConstruct);
      taskDefinitions[runtime.name] = taskDefinition;
      if (!runtime.imageDigest && MOVING_TAGS.includes(catalog.tag.toLowerCase())) {
        Annotations.of(taskDefinition).addWarningV2(
          'workspace-provisioner:moving-image-tag',
          `workspace-${runtime.name} runs ${runtime.image}, a moving tag: a push to it changes what new workspaces run. Pin it with -c imageDigests=${runtime.name}=sha256:<digest>, or deploy a release tag with -c imageTag=<tag>.`,
        );
      }
    }
    this.taskDefinitions = taskDefinitions;
    this.taskDefinitionArns = Object.fromEntries(
      Object.entries(taskDefinitions).map(([name, definition]) => [name, definition.taskDefinitionArn]),
    );
    this.families = runtimes.map((runtime) => runtime.family);
    this.taskDefinitionArnPrefixes = this.families.map(
      (family) => `arn:${Aws.PARTITION}:ecs:${Aws.REGION}:${Aws.ACCOUNT_ID}:task-definition/${family}:`,
    );
  }

  /**
   * What launching a workspace takes: `ecs:RunTask` on the exact revisions this deployment
   * registered (never a family's other revisions), in our cluster only;
   * `iam:PassRole` on the task and execution roles, to ECS tasks only; and `ecs:TagResource` on
   * our cluster's tasks, only as part of RunTask (needed to launch with tags).
   */
  grantRunTask(grantee: IGrantable): Grant {
    const principal = grantee.grantPrincipal;
    const runTask = Grant.addToPrincipal({
      grantee,
      actions: ['ecs:RunTask'],
      resourceArns: Object.values(this.taskDefinitionArns),
      conditions: { ArnEquals: { 'ecs:cluster': this.clusterArn } },
    });
    const passRole = Grant.addToPrincipal({
      grantee,
      actions: ['iam:PassRole'],
      resourceArns: [this.taskRole.roleArn, this.executionRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    });
    const tagOnLaunch = Grant.addToPrincipal({
      grantee,
      actions: ['ecs:TagResource'],
      resourceArns: [this.taskArns],
      conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
    });
    acknowledgeWildcardResource(
      principal,
      this.taskArns,
      'Task ids are assigned by ECS at launch, so the task ARN ends in "*"; tagging is limited to tasks of this cluster and, by ecs:CreateAction, to tags set by RunTask itself.',
    );
    return runTask.combine(passRole).combine(tagOnLaunch);
  }

  /** When the boot image is in a private ECR repository, the execution role may pull it. */
  private grantBootImagePull(image: string): void {
    const repository = image.replace(/@sha256:[0-9a-f]{64}$/, '').replace(/:[^/:]+$/, '');
    const match = ECR_REGISTRY.exec(repository);
    if (!match?.[5]) return;
    const [, account, region, china, , path] = match;
    this.executionRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
        resources: [`arn:${china ? 'aws-cn' : 'aws'}:ecr:${region}:${account}:repository/${path}`],
      }),
    );
    this.grantEcrLogin();
  }

  /** ECR's login action, once per role: it has no resource type. */
  private grantEcrLogin(): void {
    if (this.ecrLoginGranted) return;
    this.ecrLoginGranted = true;
    this.executionRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
    );
    acknowledgeWildcardResource(
      this.executionRole,
      '*',
      'ecr:GetAuthorizationToken has no resource type; AWS requires "*". Image pulls themselves are limited to the named repositories.',
    );
  }

  /** When the registry is ECR, the execution role may pull the workspace images (and nothing else). */
  private grantEcrPull(catalog: Catalog): void {
    const match = ECR_REGISTRY.exec(catalog.registry);
    if (!match) return;
    const [, account, region, china, , path] = match;
    const partition = china ? 'aws-cn' : 'aws';
    const prefix = path ? `${path}/` : '';
    this.executionRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
        resources: Object.keys(catalog.runtimes).map(
          (runtime) =>
            `arn:${partition}:ecr:${region}:${account}:repository/${prefix}workspace-template-${runtime}`,
        ),
      }),
    );
    this.grantEcrLogin();
  }
}
