import { RemovalPolicy } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  type IPeer,
  type ISecurityGroup,
  type IVpc,
  Peer,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { IngressSource } from '#infra/ingress.ts';
import type { ImportedVpcSettings } from '#infra/settings.ts';

export interface WorkspaceNetworkProps {
  /**
   * An existing VPC, imported from attributes (no lookups).
   * @default a new VPC across two zones with public and private subnets, one NAT gateway and flow logs
   */
  readonly importedVpc?: ImportedVpcSettings;
  /**
   * Zones the created VPC spans.
   * @default 2
   */
  readonly zones?: number;
  /**
   * NAT gateways of the created VPC, from 1 to `zones`.
   * @default one per zone, so that an outage of one zone leaves the others their way out
   */
  readonly natGateways?: number;
  /**
   * Interface endpoints in the created VPC for ECR (api and dkr), CloudWatch Logs and Secrets
   * Manager, so that image pulls, logs and secrets stay off the NAT gateways. The S3 gateway
   * endpoint (image layers live in S3) is always added; it has no hourly cost.
   * @default false
   */
  readonly interfaceEndpoints?: boolean;
  /**
   * Existing security groups for the tasks; only with `importedVpc`.
   * @default a new security group with egress only
   */
  readonly securityGroupIds?: readonly string[];
  /**
   * Retention of the flow log group of a created VPC.
   * @default one month
   */
  readonly logRetention?: RetentionDays;
  /**
   * Who may reach the workspaces, and on which TCP ports (the catalog's container ports); only on
   * the security group the construct creates.
   * @default nothing inbound
   */
  readonly ingress?: {
    readonly sources: readonly IngressSource[];
    readonly ports: readonly number[];
  };
}

/**
 * Where the workspace tasks run: private subnets with outbound access, and security groups that
 * admit nothing inbound but the workspace ports from the `ingress` sources.
 */
export class WorkspaceNetwork extends Construct {
  readonly vpc: IVpc;
  readonly securityGroups: readonly ISecurityGroup[];
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];

  constructor(scope: Construct, id: string, props: WorkspaceNetworkProps = {}) {
    super(scope, id);
    const imported = props.importedVpc;
    const zones = props.zones ?? 2;
    const natGateways = props.natGateways ?? zones;
    this.node.addValidation({
      validate: () => [
        ...(props.securityGroupIds?.length && !imported
          ? ['securityGroupIds need importedVpc: existing security groups belong to an existing VPC']
          : []),
        ...(!Number.isInteger(natGateways) || natGateways < 1 || natGateways > zones
          ? [`natGateways must be a whole number from 1 to ${zones} (the zones); got ${natGateways}`]
          : []),
        ...(imported && (props.natGateways !== undefined || props.interfaceEndpoints)
          ? ['natGateways and interfaceEndpoints apply to a created VPC, not to importedVpc']
          : []),
        ...(props.ingress?.sources.length && props.securityGroupIds?.length
          ? ['ingress opens the security group this construct creates; not securityGroupIds']
          : []),
      ],
    });

    if (imported) {
      this.vpc = Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: imported.vpcId,
        availabilityZones: [...imported.availabilityZones],
        privateSubnetIds: [...imported.privateSubnetIds],
        ...(imported.privateSubnetRouteTableIds
          ? { privateSubnetRouteTableIds: [...imported.privateSubnetRouteTableIds] }
          : {}),
      });
    } else {
      const vpc = new Vpc(this, 'Vpc', {
        maxAzs: zones,
        natGateways,
        restrictDefaultSecurityGroup: false,
        subnetConfiguration: [
          { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
          { name: 'private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        ],
      });
      // Workspaces run user code; a record of every connection they make is worth its cost.
      vpc.addFlowLog('FlowLog', {
        trafficType: FlowLogTrafficType.ALL,
        destination: FlowLogDestination.toCloudWatchLogs(
          new LogGroup(this, 'FlowLogs', {
            retention: props.logRetention ?? RetentionDays.ONE_MONTH,
            removalPolicy: RemovalPolicy.DESTROY,
          }),
        ),
      });
      vpc.addGatewayEndpoint('S3Endpoint', {
        service: GatewayVpcEndpointAwsService.S3,
        subnets: [{ subnetType: SubnetType.PRIVATE_WITH_EGRESS }],
      });
      this.vpc = vpc;
    }

    this.securityGroups = props.securityGroupIds?.length
      ? props.securityGroupIds.map((groupId, index) =>
          SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${index}`, groupId, { mutable: false }),
        )
      : [this.createTaskSecurityGroup(props.ingress)];
    if (props.interfaceEndpoints && !imported) this.addInterfaceEndpoints(this.vpc, this.securityGroups);
    this.subnetIds = this.vpc.selectSubnets({ subnetType: SubnetType.PRIVATE_WITH_EGRESS }).subnetIds;
    this.securityGroupIds = this.securityGroups.map((group) => group.securityGroupId);
  }
  /** The tasks' own security group: all egress; inbound only the workspace ports from `ingress`. */
  private createTaskSecurityGroup(ingress: WorkspaceNetworkProps['ingress']): SecurityGroup {
    const sources = ingress?.sources ?? [];
    const group = new SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: this.vpc,
      description:
        sources.length > 0
          ? 'Workspace tasks: egress, and the workspace ports from workspaceIngress'
          : 'Workspace tasks: egress only, nothing inbound',
      allowAllOutbound: true,
    });
    for (const source of sources) {
      for (const port of ingress?.ports ?? []) {
        group.addIngressRule(
          peerOf(source),
          Port.tcp(port),
          `Workspace port ${port} from ${describe(source)}`,
        );
      }
    }
    return group;
  }

  /**
   * Interface endpoints that only the tasks' security groups reach: on Fargate the image pull, the
   * log shipping and secret retrieval go out through the task's own network interface.
   */
  private addInterfaceEndpoints(vpc: IVpc, taskGroups: readonly ISecurityGroup[]): void {
    const endpointGroup = new SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc,
      description: 'Interface endpoints: HTTPS from the workspace tasks only',
      allowAllOutbound: false,
    });
    for (const group of taskGroups) {
      endpointGroup.addIngressRule(
        Peer.securityGroupId(group.securityGroupId),
        Port.tcp(443),
        'HTTPS from the workspace tasks',
      );
    }
    for (const [id, service] of [
      ['EcrApiEndpoint', InterfaceVpcEndpointAwsService.ECR],
      ['EcrDockerEndpoint', InterfaceVpcEndpointAwsService.ECR_DOCKER],
      ['LogsEndpoint', InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
      ['SecretsManagerEndpoint', InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
    ] as const) {
      vpc.addInterfaceEndpoint(id, {
        service,
        privateDnsEnabled: true,
        subnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [endpointGroup],
        // Not open to the whole VPC CIDR (CDK's default): the rule above admits the tasks only.
        open: false,
      });
    }
  }
}

function peerOf(source: IngressSource): IPeer {
  switch (source.kind) {
    case 'security-group':
      return Peer.securityGroupId(source.id);
    case 'prefix-list':
      return Peer.prefixList(source.id);
    case 'ipv4':
      return Peer.ipv4(source.cidr);
    case 'ipv6':
      return Peer.ipv6(source.cidr);
  }
}

function describe(source: IngressSource): string {
  return source.kind === 'security-group' || source.kind === 'prefix-list' ? source.id : source.cidr;
}
