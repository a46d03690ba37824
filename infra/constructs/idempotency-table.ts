import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  LIVE_SHARD_ATTRIBUTE,
  LIVE_SORT_ATTRIBUTE,
  LIVE_WORKSPACES_INDEX,
} from '#adapters/dynamodb-workspace-records.ts';

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
 * The idempotency table: Powertools idempotency records, the last ECS task version seen per task,
 * the per-workspace launch lease, the provision requests and the workspace records. On demand,
 * with TTL on `expiration` and point-in-time recovery. Its one index, `live-workspaces`, is sparse:
 * only the live workspace records carry its partition key, so the reconciliation sweep queries them
 * without scanning the table.
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
    this.table.addGlobalSecondaryIndex({
      indexName: LIVE_WORKSPACES_INDEX,
      partitionKey: { name: LIVE_SHARD_ATTRIBUTE, type: AttributeType.STRING },
      sortKey: { name: LIVE_SORT_ATTRIBUTE, type: AttributeType.STRING },
      // The sweep needs whole records; projecting all saves a GetItem per live workspace.
      projectionType: ProjectionType.ALL,
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

  /** Query on the `live-workspaces` index only, for the reconciliation sweep's read of the live workspaces. */
  grantLiveWorkspacesQuery(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: [`${this.table.tableArn}/index/${LIVE_WORKSPACES_INDEX}`],
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
}
