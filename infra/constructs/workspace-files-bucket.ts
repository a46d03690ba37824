import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  type LifecycleRule,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { BOOT_PREFIX, STAGED_PREFIX } from '#core/workspace-files.ts';
import { acknowledgeWildcardResource, workspaceFilesWildcardReason } from '#infra/nag-acknowledgments.ts';
import type { WorkspaceFilesSettings } from '#infra/settings.ts';
import {
  type WorkspaceFilesPrincipal,
  type WorkspaceFilesStatement,
  workspaceFilesStatements,
} from '#infra/workspace-files-access.ts';

export interface WorkspaceFilesBucketProps {
  /** Create the bucket, or use an existing one by name (and, optionally, its KMS key). */
  readonly settings: WorkspaceFilesSettings;
  /**
   * How long the server access logs of a created bucket are kept.
   * @default one month
   */
  readonly logRetention?: RetentionDays;
}

/** Staged template assets are read once, by the launch that follows within the assets timeout. */
export const STAGED_EXPIRATION = Duration.days(1);
/**
 * Boot bundles are read once, by the ECS agent at the start of the task they were written for, a
 * few seconds after. A week leaves room to look at one after a failed boot.
 */
export const BOOT_BUNDLE_EXPIRATION = Duration.days(7);
/** Parts of an upload that never completed (upstream's channel died mid-way) are billed until aborted. */
export const INCOMPLETE_UPLOAD_EXPIRATION = Duration.days(1);

/**
 * The workspace files bucket (decision 018): secrets env files under `orgs/`, staged template
 * assets under `staged/`, boot bundles under `boot/`. A created bucket is encrypted with its own
 * customer managed key (rotated yearly), blocks all public access, refuses plain HTTP, keeps no
 * object versions, logs every request to an access log bucket, and is retained when the stack is
 * deleted: it holds the orgs' secrets, which the stack did not write.
 *
 * Why no versioning: the objects are either short-lived copies (staged assets, boot bundles) or
 * secrets that upstream owns and rewrites to rotate. With versions, a rotated or deleted secret
 * would stay readable as a noncurrent version, which is the opposite of what rotating a leaked key
 * is for.
 */
export class WorkspaceFilesBucket extends Construct {
  readonly bucket: IBucket;
  /** The key that encrypts the bucket, when the stack knows it. */
  readonly keyArn?: string;
  readonly bucketName: string;
  readonly bucketArn: string;
  /** The access log bucket of a created bucket. */
  readonly accessLogs?: Bucket;

  constructor(scope: Construct, id: string, props: WorkspaceFilesBucketProps) {
    super(scope, id);
    const { settings } = props;
    if (settings.mode === 'import') {
      this.bucket = Bucket.fromBucketName(this, 'Bucket', settings.bucketName);
      if (settings.keyArn) this.keyArn = settings.keyArn;
    } else {
      // Deliver access logs through a bucket policy for logging.s3.amazonaws.com, not ACLs, which
      // a bucket with ObjectOwnership BUCKET_OWNER_ENFORCED refuses (the feature flag CDK gates it on).
      this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
      const key = new Key(this, 'Key', {
        description: 'Workspace files bucket: secrets env files, staged template assets, boot bundles',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const accessLogs = new Bucket(this, 'AccessLogs', {
        // Server access log delivery supports SSE-S3 target buckets.
        encryption: BucketEncryption.S3_MANAGED,
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removalPolicy: RemovalPolicy.RETAIN,
        lifecycleRules: accessLogLifecycle(props.logRetention ?? RetentionDays.ONE_MONTH),
      });
      const bucket = new Bucket(this, 'Bucket', {
        encryption: BucketEncryption.KMS,
        encryptionKey: key,
        // Off: every object operation is a KMS request, which is what lets a key policy or
        // CloudTrail see each secrets file read by object, and volumes are a few objects per launch.
        bucketKeyEnabled: false,
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned: false,
        removalPolicy: RemovalPolicy.RETAIN,
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: 'workspace-files/',
        lifecycleRules: [
          { id: 'expire-staged-assets', prefix: STAGED_PREFIX, expiration: STAGED_EXPIRATION },
          { id: 'expire-boot-bundles', prefix: BOOT_PREFIX, expiration: BOOT_BUNDLE_EXPIRATION },
          {
            id: 'abort-incomplete-uploads',
            abortIncompleteMultipartUploadAfter: INCOMPLETE_UPLOAD_EXPIRATION,
          },
        ],
      });
      this.bucket = bucket;
      this.keyArn = key.keyArn;
      this.accessLogs = accessLogs;
    }
    this.bucketName = this.bucket.bucketName;
    this.bucketArn = this.bucket.bucketArn;
  }

  /**
   * Grants a principal its row of the access table (`workspace-files-access.ts`), and nothing
   * else. Wildcards in object keys (org, workspace and request ids) are acknowledged for cdk-nag
   * one by one, each with its reason.
   */
  grantAccess(grantee: IGrantable, principal: WorkspaceFilesPrincipal): WorkspaceFilesStatement[] {
    const statements = workspaceFilesStatements(principal, {
      bucketArn: this.bucketArn,
      region: Aws.REGION,
      ...(this.keyArn ? { keyArn: this.keyArn } : {}),
    });
    for (const statement of statements) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          actions: [...statement.actions],
          resources: [...statement.resources],
          ...(statement.conditions ? { conditions: toConditions(statement.conditions) } : {}),
        }),
      );
      for (const resource of statement.resources) {
        const keyPattern = resource.startsWith(`${this.bucketArn}/`)
          ? resource.slice(this.bucketArn.length + 1)
          : undefined;
        if (keyPattern?.includes('*')) {
          acknowledgeWildcardResource(
            grantee.grantPrincipal,
            resource,
            workspaceFilesWildcardReason(keyPattern),
          );
        }
      }
    }
    return statements;
  }
}

/** Access logs kept as long as the stack's other logs; forever when those are. */
function accessLogLifecycle(retention: RetentionDays): LifecycleRule[] {
  if (retention === RetentionDays.INFINITE) return [];
  return [{ id: 'expire-access-logs', expiration: Duration.days(retention) }];
}

/** Statement conditions as PolicyStatement takes them. */
function toConditions(
  conditions: NonNullable<WorkspaceFilesStatement['conditions']>,
): Record<string, Record<string, string | string[]>> {
  return Object.fromEntries(
    Object.entries(conditions).map(([operator, values]) => [
      operator,
      Object.fromEntries(
        Object.entries(values).map(([key, value]) => [key, typeof value === 'string' ? value : [...value]]),
      ),
    ]),
  );
}
