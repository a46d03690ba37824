import { RemovalPolicy } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  type ISecurityGroup,
  type IVpc,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ImportedVpcSettings } from '#infra/settings.ts';

export interface WorkspaceNetworkProps {
  /**
   * An existing VPC, imported from attributes (no lookups).
   * @default a new VPC across two zones with public and private subnets, one NAT gateway and flow logs
   */
  readonly importedVpc?: ImportedVpcSettings;
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
}

/**
 * Where the workspace tasks run: private subnets with outbound access, and security groups that
 * admit nothing inbound.
 */
export class WorkspaceNetwork extends Construct {
  readonly vpc: IVpc;
  readonly securityGroups: readonly ISecurityGroup[];
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];

  constructor(scope: Construct, id: string, props: WorkspaceNetworkProps = {}) {
    super(scope, id);
    const imported = props.importedVpc;
    this.node.addValidation({
      validate: () =>
        props.securityGroupIds?.length && !imported
          ? ['securityGroupIds need importedVpc: existing security groups belong to an existing VPC']
          : [],
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
        maxAzs: 2,
        natGateways: 1,
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
      this.vpc = vpc;
    }

    this.securityGroups = props.securityGroupIds?.length
      ? props.securityGroupIds.map((groupId, index) =>
          SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${index}`, groupId, { mutable: false }),
        )
      : [
          new SecurityGroup(this, 'TaskSecurityGroup', {
            vpc: this.vpc,
            description: 'Workspace tasks: egress only, nothing inbound',
            allowAllOutbound: true,
          }),
        ];
    this.subnetIds = this.vpc.selectSubnets({ subnetType: SubnetType.PRIVATE_WITH_EGRESS }).subnetIds;
    this.securityGroupIds = this.securityGroups.map((group) => group.securityGroupId);
  }
}
