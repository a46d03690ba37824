import { Aws } from 'aws-cdk-lib';
import type { IVpc } from 'aws-cdk-lib/aws-ec2';
import { Cluster, ContainerInsights, type ICluster } from 'aws-cdk-lib/aws-ecs';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '#infra/nag-acknowledgments.ts';

export interface WorkspaceClusterProps {
  readonly vpc: IVpc;
  /** Name of the cluster to create, or of the existing cluster to import. */
  readonly clusterName: string;
  /**
   * Import the existing cluster `clusterName` instead of creating it.
   * @default false
   */
  readonly importExisting?: boolean;
}

/**
 * The ECS cluster the workspace tasks run in, with Container Insights, and the grants that read
 * and stop its tasks. Every grant is scoped to this cluster.
 */
export class WorkspaceCluster extends Construct {
  readonly cluster: ICluster;
  readonly clusterName: string;
  readonly clusterArn: string;
  /** `arn:<partition>:ecs:<region>:<account>:task/<cluster>/*`: every task of this cluster. */
  readonly taskArns: string;

  constructor(scope: Construct, id: string, props: WorkspaceClusterProps) {
    super(scope, id);
    this.node.addValidation({
      validate: () =>
        /^[A-Za-z0-9_-]{1,255}$/.test(props.clusterName)
          ? []
          : [
              `clusterName must be 1 to 255 letters, digits, hyphens or underscores; got "${props.clusterName}"`,
            ],
    });
    this.cluster = props.importExisting
      ? Cluster.fromClusterAttributes(this, 'Cluster', { clusterName: props.clusterName, vpc: props.vpc })
      : new Cluster(this, 'Cluster', {
          clusterName: props.clusterName,
          vpc: props.vpc,
          containerInsightsV2: ContainerInsights.ENABLED,
          enableFargateCapacityProviders: true,
        });
    this.clusterName = this.cluster.clusterName;
    this.clusterArn = this.cluster.clusterArn;
    this.taskArns = `arn:${Aws.PARTITION}:ecs:${Aws.REGION}:${Aws.ACCOUNT_ID}:task/${this.clusterName}/*`;
  }

  /** `ecs:ListTasks` and `ecs:DescribeTasks` on this cluster's tasks. */
  grantReadTasks(grantee: IGrantable): Grant {
    const list = Grant.addToPrincipal({
      grantee,
      actions: ['ecs:ListTasks'],
      resourceArns: ['*'],
      conditions: { ArnEquals: { 'ecs:cluster': this.clusterArn } },
    });
    acknowledgeWildcardResource(
      grantee.grantPrincipal,
      '*',
      'ecs:ListTasks authorizes against container instances, which Fargate tasks do not have, so AWS documents "*" for it; the ecs:cluster condition limits it to this cluster.',
    );
    return list.combine(this.grantOnTasks(grantee, ['ecs:DescribeTasks']));
  }

  /** `ecs:DescribeTasks` on this cluster's tasks only, for a function that checks a task it is told of. */
  grantDescribeTasks(grantee: IGrantable): Grant {
    return this.grantOnTasks(grantee, ['ecs:DescribeTasks']);
  }

  /** `ecs:StopTask` on this cluster's tasks. */
  grantStopTasks(grantee: IGrantable): Grant {
    return this.grantOnTasks(grantee, ['ecs:StopTask']);
  }

  private grantOnTasks(grantee: IGrantable, actions: string[]): Grant {
    acknowledgeWildcardResource(
      grantee.grantPrincipal,
      this.taskArns,
      'Task ids are assigned by ECS at launch, so the task ARN ends in "*"; it is limited to tasks of this cluster and the ecs:cluster condition repeats that.',
    );
    return Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [this.taskArns],
      conditions: { ArnEquals: { 'ecs:cluster': this.clusterArn } },
    });
  }
}
