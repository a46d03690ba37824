/**
 * v1.3 persistent workspace data (decision 020): the ECS infrastructure role that creates, attaches
 * and detaches the workspaces' managed EBS volumes, the KMS key they and their snapshots are
 * encrypted with, and the grants the functions need to pass that role, read the volumes and
 * snapshots, snapshot a stopped task's volume and delete what the deployment's tag marks as its own.
 */
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  ArnPrincipal,
  Grant,
  type IGrantable,
  ManagedPolicy,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TAG_KEYS } from '#contracts/names.ts';
import { acknowledgeManagedPolicy, acknowledgeWildcardResource } from '#infra/nag-acknowledgments.ts';

export interface DataVolumesProps {
  /** The value of the `workspace-provisioner` tag on this deployment's volumes and snapshots. */
  readonly dataTag: string;
}

/**
 * The AWS managed policy ECS documents for an infrastructure role that manages task volumes
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/infrastructure_IAM_role.html):
 * `arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForVolumes`.
 */
export const VOLUMES_MANAGED_POLICY = 'service-role/AmazonECSInfrastructureRolePolicyForVolumes';

/** Every EBS volume of this account and Region: `arn:<partition>:ec2:<region>:<account>:volume/*`. */
const DATA_VOLUME_ARNS = `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:volume/*`;
/**
 * Snapshot ARNs name no account: `arn:<partition>:ec2:<region>::snapshot/*` (EBS User Guide,
 * "Example IAM policies for Amazon EBS").
 */
const DATA_SNAPSHOT_ARNS = `arn:${Aws.PARTITION}:ec2:${Aws.REGION}::snapshot/*`;

/** The principal ECS assumes its infrastructure role as, and the one it is passed to. */
export const ECS_SERVICE_PRINCIPAL = 'ecs.amazonaws.com';

/**
 * The role ECS manages the data volumes with, and the customer managed key they are encrypted with.
 * The key's policy lets the role use the key only through EC2 in this account and Region, and
 * create grants only for AWS resources (EBS attaches an encrypted volume through a grant).
 */
export class DataVolumes extends Construct {
  readonly infrastructureRole: Role;
  readonly key: Key;
  readonly dataTag: string;

  constructor(scope: Construct, id: string, props: DataVolumesProps) {
    super(scope, id);
    this.dataTag = props.dataTag;
    const volumesPolicy = ManagedPolicy.fromAwsManagedPolicyName(VOLUMES_MANAGED_POLICY);
    this.infrastructureRole = new Role(this, 'InfrastructureRole', {
      // No roleName: IAM names are account-wide, so a fixed one would collide between two
      // deployments in one account (two Regions, say). CloudFormation names it per stack; the
      // functions get its ARN (DATA_VOLUME_ROLE_ARN) and the stack outputs it.
      assumedBy: new ServicePrincipal(ECS_SERVICE_PRINCIPAL),
      description:
        "ECS infrastructure role: creates, attaches and detaches the persistent workspaces' EBS volumes",
      managedPolicies: [volumesPolicy],
    });
    acknowledgeManagedPolicy(
      this.infrastructureRole,
      volumesPolicy.managedPolicyArn,
      'ECS documents AmazonECSInfrastructureRolePolicyForVolumes for the infrastructure role that manages task EBS volumes; its statements are conditioned on the AmazonECSManaged and AmazonECSCreated tags ECS sets, and AWS keeps it in step with what ECS needs.',
    );
    this.key = new Key(this, 'Key', {
      description: 'Workspace provisioner: persistent workspace data volumes and their snapshots',
      enableKeyRotation: true,
      // Snapshots outlive any one deployment of the stack; losing the key loses the data.
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });
    this.allowInfrastructureRoleThroughEc2();
  }

  /**
   * The key policy statements AWS documents for a service role that creates encrypted EBS volumes
   * with a customer managed key (EC2 Auto Scaling's "Required AWS KMS key policy for use with
   * encrypted volumes", https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html,
   * and EBS's "Requirements for Amazon EBS encryption",
   * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html): use of the
   * key, and CreateGrant only for AWS resources; both only through EC2 in this Region and account.
   */
  private allowInfrastructureRoleThroughEc2(): void {
    const principal = new ArnPrincipal(this.infrastructureRole.roleArn);
    const throughEc2 = {
      StringEquals: {
        'kms:ViaService': `ec2.${Aws.REGION}.amazonaws.com`,
        'kms:CallerAccount': Aws.ACCOUNT_ID,
      },
    };
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'EcsInfrastructureRoleUsesKeyThroughEc2',
        principals: [principal],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: throughEc2,
      }),
    );
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'EcsInfrastructureRoleGrantsForEbsVolumes',
        principals: [principal],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { ...throughEc2, Bool: { 'kms:GrantIsForAWSResource': true } },
      }),
    );
  }

  /**
   * RunTask with `volumeConfigurations` names the infrastructure role, so the caller must be allowed
   * to pass it to ECS (and only to ECS).
   */
  grantPassRole(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['iam:PassRole'],
      resourceArns: [this.infrastructureRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': ECS_SERVICE_PRINCIPAL } },
    });
  }

  /**
   * Listing a workspace's volumes and snapshots. DescribeVolumes and DescribeSnapshots support no
   * resource-level permissions (Service Authorization Reference for Amazon EC2,
   * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html), so the
   * resource is "*".
   */
  grantDescribe(grantee: IGrantable): Grant {
    const grant = Grant.addToPrincipal({
      grantee,
      actions: ['ec2:DescribeVolumes', 'ec2:DescribeSnapshots'],
      resourceArns: ['*'],
    });
    acknowledgeWildcardResource(
      grantee.grantPrincipal,
      '*',
      'ec2:DescribeVolumes and ec2:DescribeSnapshots support no resource-level permissions; AWS requires "*". They only read; every write is scoped to resources carrying the deployment tag.',
    );
    return grant;
  }

  /**
   * Saving and erasing workspace data, only on this deployment's resources: CreateSnapshot of a
   * volume that carries the deployment tag, creating a snapshot only when the request tags it with
   * the deployment tag, tagging snapshots only as part of CreateSnapshot, and deleting only volumes
   * and snapshots that carry the deployment tag. CreateSnapshot is authorized on both the volume and
   * the new snapshot, and tags on create need ec2:CreateTags with `ec2:CreateAction` (EBS User
   * Guide, "Example IAM policies for Amazon EBS": "Example: Create a snapshot with tags",
   * https://docs.aws.amazon.com/ebs/latest/userguide/security_iam_id-based-policy-examples.html).
   */
  grantSaveAndErase(grantee: IGrantable): Grant {
    const tagKey = TAG_KEYS.provisioner;
    const ours = { StringEquals: { [`aws:ResourceTag/${tagKey}`]: this.dataTag } };
    const snapshotVolume = Grant.addToPrincipal({
      grantee,
      actions: ['ec2:CreateSnapshot'],
      resourceArns: [DATA_VOLUME_ARNS],
      conditions: ours,
    });
    const createTaggedSnapshot = Grant.addToPrincipal({
      grantee,
      actions: ['ec2:CreateSnapshot'],
      resourceArns: [DATA_SNAPSHOT_ARNS],
      conditions: { StringEquals: { [`aws:RequestTag/${tagKey}`]: this.dataTag } },
    });
    const tagOnCreate = Grant.addToPrincipal({
      grantee,
      actions: ['ec2:CreateTags'],
      resourceArns: [DATA_SNAPSHOT_ARNS],
      conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSnapshot' } },
    });
    const deleteOurs = Grant.addToPrincipal({
      grantee,
      actions: ['ec2:DeleteVolume', 'ec2:DeleteSnapshot'],
      resourceArns: [DATA_VOLUME_ARNS, DATA_SNAPSHOT_ARNS],
      conditions: ours,
    });
    const principal = grantee.grantPrincipal;
    acknowledgeWildcardResource(
      principal,
      DATA_VOLUME_ARNS,
      `Volume ids are assigned by EC2 when ECS creates a task's volume; CreateSnapshot and DeleteVolume apply only to volumes tagged ${tagKey}=<dataTag> (aws:ResourceTag).`,
    );
    acknowledgeWildcardResource(
      principal,
      DATA_SNAPSHOT_ARNS,
      `Snapshot ids are assigned by EC2 at CreateSnapshot; a snapshot may be created only tagged ${tagKey}=<dataTag> (aws:RequestTag), tagged only by CreateSnapshot itself, and deleted only when it carries that tag.`,
    );
    return snapshotVolume.combine(createTaggedSnapshot).combine(tagOnCreate).combine(deleteOurs);
  }
}
