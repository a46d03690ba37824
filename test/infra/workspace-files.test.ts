import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FUNCTION_ENVIRONMENT } from '#adapters/environment.ts';
import { ConfigError } from '#config/errors.ts';
import { SECRET_SCOPES } from '#contracts/names.ts';
import { bootBundleKey, secretsKey, stagedPrefix } from '#core/workspace-files.ts';
import { flattenForNag } from '#infra/nag-acknowledgments.ts';
import { DEFAULT_TEMPLATE_ASSETS_TIMEOUT_SECONDS, parseSettings, type RawContext } from '#infra/settings.ts';
import {
  SECRETS_KEY_PATTERNS,
  WORKSPACE_FILES_ACCESS,
  type WorkspaceFilesPrincipal,
  workspaceFilesStatements,
} from '#infra/workspace-files-access.ts';
import { FUNCTION_NAMES } from '#wiring/functions.ts';
import { resourcesOf, statementsOfRole, synth } from './fixtures.ts';

const { stack, template } = synth();
const pascal = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
const bucketArn = { 'Fn::GetAtt': [expect.stringMatching(/^WorkspaceFilesBucket/), 'Arn'] };

/** An IAM pattern (`*`, `?`) as a regular expression over the whole value, without case for actions. */
const globToRegExp = (pattern: string, flags = ''): RegExp =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    flags,
  );

/**
 * Whether an object resource pattern could match some key under `prefix`: true for `*`, for any
 * pattern on the bucket whose literal head is compatible with the prefix, and for a bucket wildcard.
 */
function couldMatchKeyUnder(resource: unknown, prefix: string): boolean {
  const text = flattenForNag(resource as Parameters<typeof flattenForNag>[0]);
  if (text === '*') return true;
  const key =
    /^<WorkspaceFilesBucket[^>]*\.Arn>\/(.*)$/.exec(text)?.[1] ??
    /^arn:[^:]*:s3:::[^/]*\/(.*)$/.exec(text)?.[1] ??
    (/^arn:[^:]*:s3:::[^/]*\*/.test(text) ? '*' : undefined);
  if (key === undefined) return false;
  const head = key.split(/[*?]/)[0] ?? '';
  return head.startsWith(prefix) || prefix.startsWith(head);
}

const allowsAction = (statement: Record<string, unknown>, action: string): boolean =>
  statement.Effect === 'Allow' &&
  ('NotAction' in statement ||
    ([] as string[])
      .concat(statement.Action as string | string[])
      .some((pattern) => globToRegExp(pattern, 'i').test(action)));

const REFS = {
  bucketArn: 'arn:aws:s3:::acme-files',
  keyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  region: 'eu-west-1',
};
const viaS3 = { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } };
const PRINCIPALS = Object.keys(WORKSPACE_FILES_ACCESS) as WorkspaceFilesPrincipal[];
const FUNCTION_PRINCIPALS = PRINCIPALS.filter((principal) => principal !== 'task-execution');

describe('workspace files access table', () => {
  it('names every function of wiring/functions.ts, and assets-staged before it exists there', () => {
    expect(FUNCTION_PRINCIPALS).toEqual(expect.arrayContaining([...FUNCTION_NAMES, 'assets-staged']));
  });

  it('derives the secrets patterns from the keys the provisioner writes, and they match only those', () => {
    expect([...SECRETS_KEY_PATTERNS].sort()).toEqual([
      'orgs/*/secrets/org.env',
      'orgs/*/secrets/platform.env',
      'orgs/*/workspaces/*/secrets.env',
    ]);
    for (const scope of SECRET_SCOPES) {
      const key = secretsKey(scope, 'org-7', 'ws-9');
      expect(SECRETS_KEY_PATTERNS.some((pattern) => globToRegExp(pattern).test(key))).toBe(true);
    }
    for (const other of [stagedPrefix('org-7', 'ws-9', 'req-1'), bootBundleKey('org-7', 'ws-9', 'req-1')]) {
      expect(SECRETS_KEY_PATTERNS.some((pattern) => globToRegExp(pattern).test(other))).toBe(false);
    }
  });

  it('lets the task execution role read the secrets files and boot bundles, with the bucket location ECS env files need', () => {
    // ECS fetches environmentFiles with the task execution role, which needs s3:GetObject on the
    // file and s3:GetBucketLocation on its bucket (Amazon ECS Developer Guide, "Pass environment
    // variables to an Amazon ECS container", Required IAM permissions:
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/taskdef-envfiles.html).
    expect(workspaceFilesStatements('task-execution', REFS)).toEqual([
      { actions: ['s3:GetBucketLocation'], resources: ['arn:aws:s3:::acme-files'] },
      {
        actions: ['s3:GetObject'],
        resources: [
          'arn:aws:s3:::acme-files/orgs/*/secrets/org.env',
          'arn:aws:s3:::acme-files/orgs/*/workspaces/*/secrets.env',
          'arn:aws:s3:::acme-files/orgs/*/secrets/platform.env',
          'arn:aws:s3:::acme-files/boot/*',
        ],
      },
      { actions: ['kms:Decrypt'], resources: [REFS.keyArn], conditions: viaS3 },
    ]);
  });

  it('lets provision list under orgs/ (does a secrets file exist) and write boot bundles', () => {
    expect(workspaceFilesStatements('provision', REFS)).toEqual([
      {
        actions: ['s3:ListBucket'],
        resources: ['arn:aws:s3:::acme-files'],
        conditions: { StringLike: { 's3:prefix': ['orgs/*'] } },
      },
      { actions: ['s3:PutObject'], resources: ['arn:aws:s3:::acme-files/boot/*'] },
      { actions: ['kms:GenerateDataKey'], resources: [REFS.keyArn], conditions: viaS3 },
    ]);
  });

  it('lets assets-staged list under orgs/ and staged/, read staged assets and write boot bundles', () => {
    expect(workspaceFilesStatements('assets-staged', REFS)).toEqual([
      {
        actions: ['s3:ListBucket'],
        resources: ['arn:aws:s3:::acme-files'],
        conditions: { StringLike: { 's3:prefix': ['orgs/*', 'staged/*'] } },
      },
      { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::acme-files/staged/*'] },
      { actions: ['s3:PutObject'], resources: ['arn:aws:s3:::acme-files/boot/*'] },
      { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [REFS.keyArn], conditions: viaS3 },
    ]);
  });

  it('lets lifecycle read and write boot bundles only (a relaunch writes the bundle again), and list nothing', () => {
    expect(workspaceFilesStatements('lifecycle', REFS)).toEqual([
      { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::acme-files/boot/*'] },
      { actions: ['s3:PutObject'], resources: ['arn:aws:s3:::acme-files/boot/*'] },
      { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [REFS.keyArn], conditions: viaS3 },
    ]);
  });

  it.each(
    FUNCTION_PRINCIPALS.filter(
      (principal) => principal !== 'provision' && principal !== 'assets-staged' && principal !== 'lifecycle',
    ),
  )('gives %s no access to the bucket', (principal) => {
    expect(workspaceFilesStatements(principal, REFS)).toEqual([]);
  });

  it('writes no KMS statement when the key is not known (an existing bucket without workspaceFilesKeyArn)', () => {
    const { keyArn: _, ...withoutKey } = REFS;
    for (const principal of PRINCIPALS) {
      const actions = workspaceFilesStatements(principal, withoutKey).flatMap(
        (statement) => statement.actions,
      );
      expect(actions.filter((action) => action.startsWith('kms:'))).toEqual([]);
    }
  });

  it.each(FUNCTION_PRINCIPALS)('never lets the %s function read an object under orgs/', (principal) => {
    for (const statement of workspaceFilesStatements(principal, REFS)) {
      if (!statement.actions.some((action) => globToRegExp(action, 'i').test('s3:GetObject'))) continue;
      for (const resource of statement.resources) expect(couldMatchKeyUnder(resource, 'orgs/')).toBe(false);
    }
  });

  it('catches a grant that would let a function read under orgs/', () => {
    expect(couldMatchKeyUnder('arn:aws:s3:::acme-files/*', 'orgs/')).toBe(true);
    expect(couldMatchKeyUnder('arn:aws:s3:::acme-files/or*', 'orgs/')).toBe(true);
    expect(couldMatchKeyUnder('arn:aws:s3:::acme-files/orgs/o-1/secrets/org.env', 'orgs/')).toBe(true);
    expect(couldMatchKeyUnder('*', 'orgs/')).toBe(true);
    expect(couldMatchKeyUnder('arn:aws:s3:::acme-files/staged/*', 'orgs/')).toBe(false);
  });
});

describe('workspace files bucket', () => {
  const buckets = resourcesOf(template, 'AWS::S3::Bucket');
  const [bucketId, bucket] =
    Object.entries(buckets).find(([id]) => id.startsWith('WorkspaceFilesBucket')) ?? [];
  const raw = template.toJSON() as {
    Resources: Record<string, { DeletionPolicy?: string; UpdateReplacePolicy?: string }>;
  };

  it('encrypts the bucket with its own customer managed key, rotated, and keeps both when the stack goes', () => {
    expect(bucket?.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: false,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [expect.stringMatching(/^WorkspaceFilesKey/), 'Arn'] },
          },
        },
      ],
    });
    const keyId = Object.keys(resourcesOf(template, 'AWS::KMS::Key')).find((id) =>
      id.startsWith('WorkspaceFilesKey'),
    );
    template.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true }),
      DeletionPolicy: 'Retain',
    });
    expect(raw.Resources[keyId as string]?.DeletionPolicy).toBe('Retain');
    expect(raw.Resources[bucketId as string]).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('blocks all public access, keeps no versions and refuses requests without TLS', () => {
    expect(bucket?.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    expect(bucket?.Properties.VersioningConfiguration).toBeUndefined();
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('expires staged assets after a day and boot bundles after a week, and aborts incomplete uploads', () => {
    expect(bucket?.Properties.LifecycleConfiguration).toEqual({
      Rules: [
        { Id: 'expire-staged-assets', Prefix: 'staged/', ExpirationInDays: 1, Status: 'Enabled' },
        { Id: 'expire-boot-bundles', Prefix: 'boot/', ExpirationInDays: 7, Status: 'Enabled' },
        {
          Id: 'abort-incomplete-uploads',
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          Status: 'Enabled',
        },
      ],
    });
  });

  it('logs every request to an access log bucket that only S3 log delivery for this bucket may write', () => {
    const logsId = Object.keys(buckets).find((id) => id.startsWith('WorkspaceFilesAccessLogs'));
    expect(bucket?.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logsId },
      LogFilePrefix: 'workspace-files/',
    });
    expect(buckets[logsId as string]?.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: {
        Rules: [{ Id: 'expire-access-logs', ExpirationInDays: 30, Status: 'Enabled' }],
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logsId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: {
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucketId, 'Arn'] } },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ]),
      },
    });
  });

  it('outputs the bucket name as WorkspaceFilesBucketName and its key as WorkspaceFilesKeyArn', () => {
    expect(template.findOutputs('WorkspaceFilesBucketName', { Value: { Ref: bucketId } })).not.toEqual({});
    expect(
      template.findOutputs('WorkspaceFilesKeyArn', {
        Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkspaceFilesKey'), 'Arn'] },
      }),
    ).not.toEqual({});
  });

  it('offers the functions the bucket name and the template assets timeout', () => {
    expect(stack.resolve(stack.functionEnvironment.WORKSPACE_FILES_BUCKET)).toEqual({ Ref: bucketId });
    expect(stack.functionEnvironment.TEMPLATE_ASSETS_TIMEOUT_SECONDS).toBe(
      String(DEFAULT_TEMPLATE_ASSETS_TIMEOUT_SECONDS),
    );
    expect(synth({ templateAssetsTimeoutSeconds: '900' }).stack.functionEnvironment).toMatchObject({
      TEMPLATE_ASSETS_TIMEOUT_SECONDS: '900',
    });
  });

  it.each(FUNCTION_NAMES)('sets the files variables on %s exactly when its handler reads them', (name) => {
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const props = Object.entries(functions).find(([id]) => id.startsWith(`${pascal(name)}Function`))?.[1];
    if (!props) throw new Error(`no function ${name} in the template`);
    const variables = (props.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const reads = new Set<string>([
      ...FUNCTION_ENVIRONMENT[name].required,
      ...FUNCTION_ENVIRONMENT[name].optional,
    ]);
    for (const variable of ['WORKSPACE_FILES_BUCKET', 'TEMPLATE_ASSETS_TIMEOUT_SECONDS']) {
      expect(variables[variable]).toEqual(
        reads.has(variable) ? stack.resolve(stack.functionEnvironment[variable]) : undefined,
      );
    }
  });

  it.each(FUNCTION_NAMES)('grants the %s function exactly its row of the access table', (name) => {
    const s3AndKms = statementsOfRole(template, `${pascal(name)}Role`).filter((statement) =>
      ([] as string[]).concat(statement.Action as string[]).some((action) => /^(s3|kms):/.test(action)),
    );
    const expected = workspaceFilesStatements(name, {
      bucketArn: Stack.of(stack).resolve(stack.workspaceFiles.bucketArn),
      keyArn: Stack.of(stack).resolve(stack.workspaceFiles.keyArn),
      region: Stack.of(stack).resolve(Stack.of(stack).region),
    });
    expect(s3AndKms.map((statement) => ([] as string[]).concat(statement.Action as string[]))).toEqual(
      expected.map((statement) => [...statement.actions]),
    );
  });

  it('lets no function role read an object that could be under orgs/', () => {
    for (const name of FUNCTION_NAMES) {
      for (const statement of statementsOfRole(template, `${pascal(name)}Role`)) {
        if (!allowsAction(statement, 's3:GetObject')) continue;
        for (const resource of ([] as unknown[]).concat(statement.Resource)) {
          expect(couldMatchKeyUnder(resource, 'orgs/'), `${name}: ${JSON.stringify(resource)}`).toBe(false);
        }
      }
    }
  });

  it('conditions the ListBucket of provision on the orgs/ prefix', () => {
    expect(
      statementsOfRole(template, 'ProvisionRole').find((statement) => statement.Action === 's3:ListBucket'),
    ).toEqual({
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] },
      Condition: { StringLike: { 's3:prefix': ['orgs/*'] } },
    });
  });

  it('uses the bucket ARN in every grant', () => {
    const provision = statementsOfRole(template, 'ProvisionRole').find(
      (statement) => statement.Action === 's3:PutObject',
    );
    expect(provision?.Resource).toEqual({ 'Fn::Join': ['', [bucketArn, '/boot/*']] });
  });
});

describe('an existing workspace files bucket', () => {
  const existing = { workspaceFilesBucketName: 'acme-workspace-files' };

  it('creates no bucket and no bucket key, and outputs the name given', () => {
    const { template: imported } = synth(existing);
    imported.resourceCountIs('AWS::S3::Bucket', 0);
    expect(
      Object.keys(resourcesOf(imported, 'AWS::KMS::Key')).filter((id) => id.startsWith('WorkspaceFiles')),
    ).toEqual([]);
    expect(imported.findOutputs('WorkspaceFilesBucketName', { Value: 'acme-workspace-files' })).not.toEqual(
      {},
    );
    // Its key, if any, is the deployer's to publish.
    expect(imported.findOutputs('WorkspaceFilesKeyArn')).toEqual({});
  });

  it('grants the same keys on the named bucket, and KMS only with workspaceFilesKeyArn', () => {
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const withoutKey = statementsOfRole(synth(existing).template, 'TaskDefinitionsExecutionRole');
    const read = withoutKey.find((statement) => statement.Action === 's3:GetObject');
    expect(JSON.stringify(read?.Resource)).toContain(':s3:::acme-workspace-files/orgs/*/secrets/org.env');
    expect(withoutKey.some((statement) => String(statement.Action).startsWith('kms:'))).toBe(false);

    const withKey = statementsOfRole(
      synth({ ...existing, workspaceFilesKeyArn: keyArn }).template,
      'TaskDefinitionsExecutionRole',
    );
    expect(withKey.find((statement) => statement.Action === 'kms:Decrypt')).toMatchObject({
      Resource: keyArn,
    });
  });

  it.each([
    [{ workspaceFilesBucketName: 'Acme_Files' }, '"workspaceFilesBucketName" must look like'],
    [{ workspaceFilesBucketName: '192.168.1.1' }, '"workspaceFilesBucketName" must look like'],
    [
      { workspaceFilesKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
      '"workspaceFilesKeyArn" needs "workspaceFilesBucketName"',
    ],
    [{ ...existing, workspaceFilesKeyArn: 'alias/files' }, '"workspaceFilesKeyArn" must look like'],
    [
      { templateAssetsTimeoutSeconds: '29' },
      '"templateAssetsTimeoutSeconds" must be a whole number from 30 to 3600; got "29"',
    ],
    [
      { templateAssetsTimeoutSeconds: '3601' },
      '"templateAssetsTimeoutSeconds" must be a whole number from 30 to 3600; got "3601"',
    ],
    [
      { templateAssetsTimeoutSeconds: 'five minutes' },
      '"templateAssetsTimeoutSeconds" must be a whole number from 30 to 3600',
    ],
  ] as Array<[RawContext, string]>)('refuses %j, naming the option', (context, expected) => {
    expect(() => parseSettings(context)).toThrow(ConfigError);
    expect(() => parseSettings(context)).toThrow(expected);
  });

  it.each([['30'], ['3600'], [600]])('accepts templateAssetsTimeoutSeconds=%s', (value) => {
    expect(parseSettings({ templateAssetsTimeoutSeconds: value }).templateAssetsTimeoutSeconds).toBe(
      Number(value),
    );
  });
});
