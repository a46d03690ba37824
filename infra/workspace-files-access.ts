/**
 * Who may do what in the workspace files bucket (decision 018), as one table keyed by principal:
 * the task execution role reads exactly the secrets files and the boot bundles (the ECS agent
 * fetches them as env files before any container starts); the functions may tell whether a
 * secrets file exists (a listing under `orgs/`) but never read one; the workspace containers'
 * task role gets nothing. Every key pattern comes from `core/workspace-files.ts`, the module that
 * derives the keys, so the grants cannot drift from the layout.
 */
import { SECRET_SCOPES } from '#contracts/names.ts';
import { BOOT_PREFIX, SECRETS_PREFIX, STAGED_PREFIX, secretsKey } from '#core/workspace-files.ts';
import type { FunctionName } from '#wiring/functions.ts';

/**
 * The principals the table speaks for. `assets-staged` is named even before the function exists in
 * `wiring/functions.ts`, so its grants are written and tested once, and apply when it is added.
 */
export type WorkspaceFilesPrincipal = 'task-execution' | FunctionName | 'assets-staged';

/** What one principal may do, as key patterns and listing prefixes under the bucket. */
export interface WorkspaceFilesAccess {
  /** `s3:ListBucket`, only for requests whose `prefix` matches one of these. */
  readonly listPrefixes?: readonly string[];
  /** `s3:GetObject` on these key patterns (and `kms:Decrypt`). */
  readonly get?: readonly string[];
  /** `s3:PutObject` on these key patterns (and `kms:GenerateDataKey`). */
  readonly put?: readonly string[];
  /** `s3:GetBucketLocation` on the bucket: ECS needs it to fetch env files. */
  readonly bucketLocation?: boolean;
}

/** Every secrets file, whatever the org or workspace: `orgs/*\/secrets/org.env`, … */
export const SECRETS_KEY_PATTERNS: readonly string[] = SECRET_SCOPES.map((scope) =>
  secretsKey(scope, '*', '*'),
);

/** A listing prefix or key pattern for everything under a prefix (`staged/*`). */
const under = (prefix: string): string => `${prefix}*`;

/**
 * The table. A function not listed with access gets none; `Record` makes adding a function to
 * `wiring/functions.ts` a compile error here until someone decides what it may do.
 */
export const WORKSPACE_FILES_ACCESS: Readonly<Record<WorkspaceFilesPrincipal, WorkspaceFilesAccess>> = {
  'task-execution': { get: [...SECRETS_KEY_PATTERNS, under(BOOT_PREFIX)], bucketLocation: true },
  // Checks each listed secrets file exists (ListObjectsV2 on its exact key), writes the boot bundle.
  provision: { listPrefixes: [under(SECRETS_PREFIX)], put: [under(BOOT_PREFIX)] },
  // Reads the staged template files, checks secrets exist, writes the boot bundle, launches.
  'assets-staged': {
    listPrefixes: [under(SECRETS_PREFIX), under(STAGED_PREFIX)],
    get: [under(STAGED_PREFIX)],
    put: [under(BOOT_PREFIX)],
  },
  // v1.2: a relaunch writes the workspace's boot bundle again (read, then put), so it never expires
  // under a workspace that outlives it; it reads no secrets and no staged files.
  lifecycle: { get: [under(BOOT_PREFIX)], put: [under(BOOT_PREFIX)] },
  overlay: {},
  'task-state': {},
  deprovision: {},
  'timeout-sweep': {},
  'failure-reporter': {},
};

/** One IAM statement, as plain data: the stack turns it into a PolicyStatement. */
export interface WorkspaceFilesStatement {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** The bucket and key the statements name (tokens are fine). */
export interface WorkspaceFilesRefs {
  readonly bucketArn: string;
  /** The bucket's KMS key; without one, no KMS statement is written. */
  readonly keyArn?: string;
  /** For `kms:ViaService`: the key is usable only through S3 in this Region. */
  readonly region: string;
}

/**
 * The statements of one principal. KMS use is limited to calls S3 makes on the principal's behalf
 * (`kms:ViaService`), so a grant to decrypt staged files is no grant to decrypt anything else.
 * Uploads need `kms:GenerateDataKey` and downloads `kms:Decrypt` (Amazon S3 User Guide, "Using
 * server-side encryption with AWS KMS keys": https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html);
 * S3 never calls `kms:Encrypt` for SSE-KMS, so it is not granted.
 *
 * @example workspaceFilesStatements('provision', { bucketArn: 'arn:aws:s3:::files', region: 'eu-west-1' })
 */
export function workspaceFilesStatements(
  principal: WorkspaceFilesPrincipal,
  refs: WorkspaceFilesRefs,
): WorkspaceFilesStatement[] {
  const access = WORKSPACE_FILES_ACCESS[principal];
  const objects = (patterns: readonly string[]) => patterns.map((pattern) => `${refs.bucketArn}/${pattern}`);
  const statements: WorkspaceFilesStatement[] = [];
  if (access.bucketLocation) {
    statements.push({ actions: ['s3:GetBucketLocation'], resources: [refs.bucketArn] });
  }
  if (access.listPrefixes?.length) {
    statements.push({
      actions: ['s3:ListBucket'],
      resources: [refs.bucketArn],
      conditions: { StringLike: { 's3:prefix': [...access.listPrefixes] } },
    });
  }
  if (access.get?.length) statements.push({ actions: ['s3:GetObject'], resources: objects(access.get) });
  if (access.put?.length) statements.push({ actions: ['s3:PutObject'], resources: objects(access.put) });
  const keyActions = [
    ...(access.get?.length ? ['kms:Decrypt'] : []),
    ...(access.put?.length ? ['kms:GenerateDataKey'] : []),
  ];
  if (refs.keyArn && keyActions.length > 0) {
    statements.push({
      actions: keyActions,
      resources: [refs.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${refs.region}.amazonaws.com` } },
    });
  }
  return statements;
}
