import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FUNCTION_ENVIRONMENT, type FunctionWithEnvironment } from '#adapters/environment.ts';
import { FUNCTION_NAMES, FUNCTIONS } from '#wiring/functions.ts';

/**
 * Each Lambda entry must import cleanly under Node 24 with only its own environment variables set,
 * and without touching the network: the SDK endpoint points at a closed loopback port and a
 * preload makes any socket, DNS lookup or fetch throw.
 */

const root = fileURLToPath(new URL('../../../', import.meta.url));
const refuseNetwork = fileURLToPath(new URL('./refuse-network.ts', import.meta.url));

const VALUES: Readonly<Record<string, string>> = {
  EVENT_BUS_NAME: 'workspaces',
  PROVISIONER_SOURCE: 'platform.provisioner',
  CLUSTER_ARN: 'arn:aws:ecs:us-east-1:123456789012:cluster/workspaces',
  SUBNET_IDS: 'subnet-a,subnet-b',
  SECURITY_GROUP_IDS: 'sg-1',
  ASSIGN_PUBLIC_IP: 'DISABLED',
  IMAGE_REGISTRY: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
  IMAGE_TAG: 'v1',
  IMAGE_DIGESTS: `codex=sha256:${'0'.repeat(64)}`,
  TASK_DEFINITION_ARNS: 'codex=arn:aws:ecs:us-east-1:123456789012:task-definition/workspace-codex:3',
  TIER_SIZING: '1=256/512,2=512/1024',
  IDEMPOTENCY_TABLE_NAME: 'provisioner-state',
  WORKSPACE_FILES_BUCKET: 'workspace-files-123456789012',
  TEMPLATE_ASSETS_TIMEOUT_SECONDS: '300',
  RECOVERY_ATTEMPTS: '5',
  RECOVERY_WINDOW_SECONDS: '1800',
  RECOVERY_BACKOFF_SECONDS: '10',
  DATA_VOLUME_ROLE_ARN: 'arn:aws:iam::123456789012:role/WorkspaceProvisioner-ecs-infrastructure',
  DATA_VOLUME_KMS_KEY_ARN: 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000',
  DATA_TAG: 'workspace-provisioner',
  DATA_SNAPSHOT_RETENTION: '3',
  DATA_SAVE_WAIT_SECONDS: '240',
  POWERTOOLS_SERVICE_NAME: 'workspace-provisioner',
  POWERTOOLS_METRICS_NAMESPACE: 'WorkspaceProvisioner',
  POWERTOOLS_TRACE_ENABLED: 'true',
};

/** What Lambda itself sets; AWS_EXECUTION_ENV switches Tracer on, as in AWS. */
const lambdaEnvironment = (name: string) => ({
  AWS_REGION: 'us-east-1',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  AWS_LAMBDA_FUNCTION_NAME: name,
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
});

const script = (entry: string) =>
  `const module = await import(${JSON.stringify(`./${entry}`)});
   if (typeof module.handler !== 'function') { console.error('no handler export'); process.exit(2); }`;

/** Kills an import that hangs; a slow one on a loaded machine still finishes. */
const IMPORT_TIMEOUT_MS = 60_000;

function importEntry(entry: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--import', refuseNetwork, '--input-type=module', '-e', script(entry)],
      { cwd: root, env, timeout: IMPORT_TIMEOUT_MS },
      (error, _stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stderr });
      },
    );
  });
}

const envFor = (name: FunctionWithEnvironment, without?: string) => {
  const spec = FUNCTION_ENVIRONMENT[name];
  const names = [...spec.required, ...spec.optional].filter((variable) => variable !== without);
  return {
    ...lambdaEnvironment(name),
    ...Object.fromEntries(names.map((variable) => [variable, VALUES[variable] ?? 'x'])),
  };
};

describe('Lambda entries', () => {
  it('declare the environment of every function of the stack', () => {
    expect(Object.keys(FUNCTION_ENVIRONMENT).sort()).toEqual([...FUNCTION_NAMES].sort());
    for (const name of FUNCTION_NAMES) expect(existsSync(`${root}${FUNCTIONS[name].entry}`)).toBe(true);
  });

  it('run on Node 24', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
  });

  it.concurrent.each(FUNCTION_NAMES)(
    '%s imports cleanly with only its variables and no network',
    async (name) => {
      const result = await importEntry(FUNCTIONS[name].entry, envFor(name));
      expect(result.stderr).not.toContain('NETWORK ATTEMPT');
      expect(result.code, result.stderr).toBe(0);
    },
    // How fast an entry imports is `npm run bench`'s cold-start figure, measured on the bundles;
    // here the limit only bounds a hung import, with room for a loaded machine.
    IMPORT_TIMEOUT_MS + 5_000,
  );

  it.concurrent.each(FUNCTION_NAMES)(
    '%s fails fast when a required variable is missing',
    async (name) => {
      const missing = FUNCTION_ENVIRONMENT[name].required.at(-1) as string;
      const result = await importEntry(FUNCTIONS[name].entry, envFor(name, missing));
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`Environment variable ${missing} is required`);
    },
    IMPORT_TIMEOUT_MS + 5_000,
  );
});
