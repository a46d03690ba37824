/**
 * Where a workspace's files live in the workspace files bucket. Every key is derived here from ids
 * the provisioner validated, never taken from a request or a follow-up event, so a request cannot
 * point a workspace at another org's secrets or another request's files.
 *
 * Layout (CONTRACT.md, "Workspace files"):
 * - `orgs/<orgId>/secrets/org.env`: the org's secrets (scope `org`)
 * - `orgs/<orgId>/secrets/platform.env`: the concierge's org-admin secrets (scope `platform`)
 * - `orgs/<orgId>/workspaces/<workspaceId>/secrets.env`: the workspace's own (scope `workspace`)
 * - `staged/<orgId>/<workspaceId>/<requestId>/`: where upstream stages a request's template assets
 *   (the `destination`); expires after a day
 * - `boot/<orgId>/<workspaceId>/<requestId>.env`: the boot bundle, the prepared `/configs` files
 *   the boot step writes (`core/boot-bundle.ts`)
 */
import type { SecretScope } from '#contracts/names.ts';

export const SECRETS_PREFIX = 'orgs/';
export const STAGED_PREFIX = 'staged/';
export const BOOT_PREFIX = 'boot/';

/** The key of a secrets scope's env file. Order of delivery is {@link SECRET_SCOPE_ORDER}. */
export function secretsKey(scope: SecretScope, orgId: string, workspaceId: string): string {
  switch (scope) {
    case 'org':
      return `orgs/${orgId}/secrets/org.env`;
    case 'platform':
      return `orgs/${orgId}/secrets/platform.env`;
    case 'workspace':
      return `${workspaceSecretsPrefix(orgId)}${workspaceId}/secrets.env`;
  }
}

/** Where an org's workspace secrets files are: every key {@link parseWorkspaceSecretsKey} reads. */
export const workspaceSecretsPrefix = (orgId: string): string => `orgs/${orgId}/workspaces/`;

/** The workspace of an org's workspace secrets key, or undefined for any other key. */
export function parseWorkspaceSecretsKey(orgId: string, key: string): string | undefined {
  const prefix = workspaceSecretsPrefix(orgId);
  if (!key.startsWith(prefix)) return undefined;
  return /^([^/]+)\/secrets\.env$/.exec(key.slice(prefix.length))?.[1];
}

/**
 * The order env files are given to the container: ECS hands them to the container runtime top
 * down, and a later file's value for the same name wins, so the workspace's own file comes last
 * and overrides its org's.
 */
export const SECRET_SCOPE_ORDER: readonly SecretScope[] = ['org', 'platform', 'workspace'];

/** The key prefix (ending in `/`) where a request's template assets are staged. */
export function stagedPrefix(orgId: string, workspaceId: string, requestId: string): string {
  return `${STAGED_PREFIX}${orgId}/${workspaceId}/${requestId}/`;
}

/** The key of a request's boot bundle (an env file, so its name ends in `.env` as ECS requires). */
export function bootBundleKey(orgId: string, workspaceId: string, requestId: string): string {
  return `${BOOT_PREFIX}${orgId}/${workspaceId}/${requestId}.env`;
}

/** The ids a boot bundle key was derived from, or undefined for any other key. */
export function parseBootBundleKey(
  key: string,
): { orgId: string; workspaceId: string; requestId: string } | undefined {
  const match = /^boot\/([^/]+)\/([^/]+)\/([^/]+)\.env$/.exec(key);
  if (!match) return undefined;
  return { orgId: match[1] as string, workspaceId: match[2] as string, requestId: match[3] as string };
}

/** `s3://<bucket>/<key>`: how events name a location. */
export const s3Uri = (bucket: string, key: string): string => `s3://${bucket}/${key}`;

/** The object ARN ECS's `environmentFiles` take. @default partition 'aws' */
export const s3ObjectArn = (bucket: string, key: string, partition = 'aws'): string =>
  `arn:${partition}:s3:::${bucket}/${key}`;

/** The bucket and key of an `arn:<partition>:s3:::<bucket>/<key>` object ARN, or undefined. */
export function parseS3ObjectArn(arn: string): { bucket: string; key: string } | undefined {
  const match = /^arn:[a-z-]+:s3:::([^/]+)\/(.+)$/.exec(arn);
  return match ? { bucket: match[1] as string, key: match[2] as string } : undefined;
}
