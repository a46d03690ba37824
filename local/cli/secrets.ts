/**
 * `workspaces secrets set|list`: the secrets env files of an org and its workspaces, at the keys the
 * provisioner derives (`secretsKey`), written and read with the S3 client. Values go into the file
 * and nowhere else: nothing here prints, logs or echoes one, not even in an error.
 */
import { readFile } from 'node:fs/promises';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { orgIdField, workspaceIdField } from '#contracts/fields.ts';
import { DEFAULT_WORKSPACE_FILES_BUCKET, type SecretScope } from '#contracts/names.ts';
import {
  parseWorkspaceSecretsKey,
  s3Uri,
  secretsKey,
  workspaceSecretsPrefix,
} from '#core/workspace-files.ts';
import { envFileLines, envFileNames, formatEnvFile, parseEnvFile, readSecretPairs } from './env-file.ts';
import { CliError, UsageError } from './errors.ts';

/** Where the CLI writes. */
interface Output {
  readonly stdout: (line: string) => void;
}

/** The flags of `secrets set` and `secrets list` (`--org`/`--org-id` and `--workspace`/`--workspace-id` alike). */
export interface SecretsFlags {
  readonly org?: string;
  readonly 'org-id'?: string;
  readonly workspace?: string;
  readonly 'workspace-id'?: string;
  readonly scope?: string;
  readonly 'from-file'?: string;
  readonly replace?: boolean;
  readonly bucket?: string;
}

/** Which file a command acts on. */
interface SecretsFile {
  readonly scope: SecretScope;
  readonly orgId: string;
  readonly workspaceId?: string;
  readonly key: string;
}

const idOf = (
  values: SecretsFlags,
  short: 'org' | 'workspace',
  field: typeof orgIdField | typeof workspaceIdField,
): string | undefined => {
  const long = `${short}-id` as const;
  const given = [values[short], values[long]].filter((value) => value !== undefined);
  if (given.length > 1) throw new UsageError(`give --${short} or --${long}, not both`);
  const [value] = given;
  if (value === undefined) return undefined;
  const parsed = field.safeParse(value);
  if (!parsed.success) throw new UsageError(`--${short}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
};

/** The file `secrets set` writes: `--scope org|platform`, or `--workspace ID` (scope `workspace`). */
export function secretsFileOf(values: SecretsFlags): SecretsFile {
  const orgId = idOf(values, 'org', orgIdField);
  if (orgId === undefined) throw new UsageError('secrets needs --org ID');
  const workspaceId = idOf(values, 'workspace', workspaceIdField);
  const scope = values.scope ?? (workspaceId !== undefined ? 'workspace' : undefined);
  if (scope === undefined) {
    throw new UsageError('secrets set needs --scope org, --scope platform or --workspace ID');
  }
  if (scope !== 'org' && scope !== 'platform' && scope !== 'workspace') {
    throw new UsageError(`--scope must be org or platform (or give --workspace ID); got "${scope}"`);
  }
  if (scope === 'workspace' && workspaceId === undefined) {
    throw new UsageError('the workspace scope needs --workspace ID');
  }
  if (scope !== 'workspace' && workspaceId !== undefined) {
    throw new UsageError(`--scope ${scope} is the org's file; --workspace is for a workspace's own secrets`);
  }
  return {
    scope,
    orgId,
    ...(workspaceId !== undefined ? { workspaceId } : {}),
    key: secretsKey(scope, orgId, workspaceId ?? ''),
  };
}

const bucketOf = (values: SecretsFlags): string => values.bucket ?? DEFAULT_WORKSPACE_FILES_BUCKET;

const describeFile = (file: SecretsFile): string =>
  file.scope === 'workspace'
    ? `scope workspace of workspace ${file.workspaceId} (org ${file.orgId})`
    : `scope ${file.scope} of org ${file.orgId}`;

/** An env file's text, or undefined when there is no such object. */
async function readObject(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await object.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/**
 * `secrets set`: adds or replaces the given variables in the scope's env file (with `--replace`, the
 * file holds exactly the given ones). Prints the names set and the file's key.
 */
export async function setSecrets(
  s3: S3Client,
  io: Output,
  values: SecretsFlags,
  positionals: readonly string[],
): Promise<number> {
  const file = secretsFileOf(values);
  const fromFile = values['from-file'];
  if (fromFile !== undefined && positionals.length > 0) {
    throw new UsageError('give NAME=VALUE arguments or --from-file, not both');
  }
  let pairs: { text: string; where: string }[];
  if (fromFile !== undefined) {
    let text: string;
    try {
      text = await readFile(fromFile, 'utf8');
    } catch (error) {
      throw new UsageError(
        `--from-file: cannot read ${fromFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    pairs = envFileLines(text, fromFile);
  } else {
    pairs = positionals.map((text, index) => ({ text, where: `argument ${index + 1}` }));
  }
  if (pairs.length === 0) throw new UsageError('secrets set needs NAME=VALUE arguments or --from-file FILE');
  const given = readSecretPairs(pairs);

  const bucket = bucketOf(values);
  const existing = values.replace ? undefined : await readObject(s3, bucket, file.key);
  const merged = existing === undefined ? new Map<string, string>() : parseEnvFile(existing, file.key);
  for (const [name, value] of given) merged.set(name, value);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: file.key,
      Body: formatEnvFile(merged, `workspaces secrets: ${describeFile(file)}`),
      ContentType: 'text/plain; charset=utf-8',
    }),
  );
  io.stdout(`set ${[...given.keys()].sort().join(', ')} in ${describeFile(file)}`);
  io.stdout(`${s3Uri(bucket, file.key)} now sets ${merged.size} variable(s); values are not shown`);
  return 0;
}

/**
 * `secrets list`: the org's files and its workspaces' (or one workspace's), each with the names it
 * sets, never the values.
 */
export async function listSecrets(s3: S3Client, io: Output, values: SecretsFlags): Promise<number> {
  const orgId = idOf(values, 'org', orgIdField);
  if (orgId === undefined) throw new UsageError('secrets list needs --org ID');
  const workspaceId = idOf(values, 'workspace', workspaceIdField);
  const bucket = bucketOf(values);
  const workspaces =
    workspaceId !== undefined ? [workspaceId] : await workspacesWithSecrets(s3, bucket, orgId);
  const files: SecretsFile[] = [
    { scope: 'org', orgId, key: secretsKey('org', orgId, '') },
    { scope: 'platform', orgId, key: secretsKey('platform', orgId, '') },
    ...workspaces.map((id) => ({
      scope: 'workspace' as const,
      orgId,
      workspaceId: id,
      key: secretsKey('workspace', orgId, id),
    })),
  ];
  io.stdout(`secrets of org ${orgId} in s3://${bucket} (names only)`);
  for (const file of files) {
    const text = await readObject(s3, bucket, file.key);
    const scope = file.scope === 'workspace' ? `workspace ${file.workspaceId}` : file.scope;
    const names = text === undefined ? '(no file)' : envFileNames(text).sort().join(', ') || '(empty)';
    io.stdout(`${scope.padEnd(10)}  ${names}`);
  }
  return 0;
}

/** The workspaces of an org that have a secrets file. */
async function workspacesWithSecrets(s3: S3Client, bucket: string, orgId: string): Promise<string[]> {
  const prefix = workspaceSecretsPrefix(orgId);
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      const workspaceId = parseWorkspaceSecretsKey(orgId, object.Key ?? '');
      if (workspaceId) ids.push(workspaceId);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return ids.sort();
}

/** Turns an S3 failure into the CLI's error, without the request's body (which may hold values). */
export function secretsFailure(action: string, where: string, local: boolean, error: unknown): CliError {
  const name = (error as { name?: string }).name ?? 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return new CliError(
    `secrets ${action} against ${where} failed: ${name}: ${message}` +
      (local ? ' (is `npm start` running?)' : ''),
    1,
    { cause: error },
  );
}
