import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface IdempotencyTableProps {
  /**
   * What happens to the table when the stack is deleted. Its records expire within a day anyway.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The attribute Powertools idempotency writes its expiry to, and DynamoDB's TTL reads. */
export const IDEMPOTENCY_TTL_ATTRIBUTE = 'expiration';
/** Powertools idempotency's default partition key. */
export const IDEMPOTENCY_PARTITION_KEY = 'id';

/**
 * The idempotency table: Powertools idempotency records, the last ECS task version seen per task
 * and the per-workspace launch lease. On demand, with TTL on `expiration` and point-in-time
 * recovery.
 */
export class IdempotencyTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: IdempotencyTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: IDEMPOTENCY_PARTITION_KEY, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: IDEMPOTENCY_TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
  }

  /** The item operations idempotency records, version markers and leases use; nothing else. */
  grantRecordAccess(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resourceArns: [this.table.tableArn],
    });
  }

  /** BatchGetItem, for the timeout sweep's read of the requests awaiting template assets. */
  grantBatchRead(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:BatchGetItem'],
      resourceArns: [this.table.tableArn],
    });
  }

  /** v1.2: Query on the live-workspaces index only (the reconciliation's list of live workspaces). */
  grantQueryLiveWorkspaces(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: [`${this.table.tableArn}/index/${LIVE_WORKSPACES_INDEX}`],
    });
  }
}
