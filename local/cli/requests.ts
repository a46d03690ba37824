import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  DeprovisionRequestedDetail,
  ProvisionRequestedDetail,
  RestartRequestedDetail,
} from '#contracts/inbound.ts';
import { DEFAULT_EVENT_BUS_NAME, DEFAULT_REQUEST_SOURCE, DETAIL_TYPES } from '#contracts/names.ts';
import { safeText } from '#local/wire/safe-text.ts';
import { type ContractProblem, ContractViolationError, UsageError } from './errors.ts';

/** The flag each contract field comes from, so a contract error names what the user typed. */
const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  requestId: '--request-id',
  workspaceId: '--workspace-id',
  orgId: '--org-id',
  runtime: '--runtime',
  kind: '--kind',
  tier: '--tier',
  template: '--template',
  env: '--env',
  secrets: '--secrets',
  reason: '--reason',
  storage: '--persistent/--size-gib',
  erase: '--erase',
};

/** A PutEvents entry, validated against the contract, ready to send. */
export interface RequestEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly EventBusName: string;
}

export interface ProvisionFlags {
  readonly 'workspace-id'?: string;
  readonly 'org-id'?: string;
  readonly runtime?: string;
  readonly kind?: string;
  readonly tier?: string;
  readonly template?: string;
  readonly env?: readonly string[];
  readonly secrets?: string;
  /** v1.3: `storage: {persistent: true}`. */
  readonly persistent?: boolean;
  /** v1.3: `storage.sizeGiB`; needs `--persistent`, as the contract says. */
  readonly 'size-gib'?: string;
  readonly 'request-id'?: string;
  readonly source?: string;
  readonly bus?: string;
}

export interface DeprovisionFlags {
  readonly 'workspace-id'?: string;
  readonly reason?: string;
  /** v1.3: delete the workspace's data too. */
  readonly erase?: boolean;
  readonly 'request-id'?: string;
  readonly source?: string;
  readonly bus?: string;
}

export interface RestartFlags {
  /** The workspace, when given as `--workspace-id` rather than as the argument. */
  readonly 'workspace-id'?: string;
  readonly reason?: string;
  readonly 'request-id'?: string;
  readonly source?: string;
  readonly bus?: string;
}

/** A fresh request id: `cli-<uuid>`, within the contract's 64 characters of `[A-Za-z0-9._:-]`. */
export const newRequestId = (): string => `cli-${randomUUID()}`;

/** `NAME=VALUE` pairs into an object; the value may itself hold `=`. */
export function parseEnvFlags(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new UsageError(`--env must look like NAME=VALUE; got "${pair}"`);
    const name = pair.slice(0, equals);
    if (name in env) throw new UsageError(`--env sets ${name} more than once`);
    env[name] = pair.slice(equals + 1);
  }
  return env;
}

/** `--secrets org,workspace` into its scopes; the contract judges them. */
const secretScopesOf = (text: string): string[] =>
  text
    .split(',')
    .map((scope) => scope.trim())
    .filter((scope) => scope !== '');

/**
 * v1.3: `--persistent [--size-gib N]` into `storage`; `--size-gib` alone is sent as
 * `{"persistent": false, "sizeGiB": N}` so the contract refuses it with its own message.
 */
function storageOf(flags: ProvisionFlags): { storage?: Record<string, unknown> } {
  if (!flags.persistent && flags['size-gib'] === undefined) return {};
  const size = flags['size-gib'];
  return {
    storage: {
      persistent: flags.persistent === true,
      ...(size !== undefined ? { sizeGiB: tierOf(size) } : {}),
    },
  };
}

/** `--tier 3` into 3; anything else is left for the contract to refuse with its own message. */
const tierOf = (text: string): number | string => (/^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : text);

/** Each issue of a contract error: the field, the flag it comes from, and the contract's message. */
export const contractProblems = (error: z.ZodError): ContractProblem[] =>
  error.issues.map((issue) => {
    const field = issue.path[0];
    const flag = typeof field === 'string' ? (FLAG_OF_FIELD[field] ?? field) : 'request';
    // zod reports a bad record key under the record's own message; the key's message is inside.
    const inner = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
    return { field: typeof field === 'string' ? field : 'request', flag, message: inner ?? issue.message };
  });

const describe = (problems: readonly ContractProblem[]): string =>
  problems.map((problem) => `  ${safeText(problem.flag)}: ${safeText(problem.message)}`).join('\n');

const envelopeFields = (flags: { source?: string; bus?: string }) => ({
  Source: flags.source ?? DEFAULT_REQUEST_SOURCE,
  EventBusName: flags.bus ?? DEFAULT_EVENT_BUS_NAME,
});

/**
 * Builds a `Workspace Provision Requested` entry from flags and validates it with the contract's
 * own zod schema before anything is sent.
 *
 * @throws UsageError naming each bad flag.
 */
/**
 * Validates a request detail by its contract and wraps it in a PutEvents entry.
 *
 * @throws UsageError naming each bad flag.
 */
function validatedEntry<T>(
  schema: z.ZodType<T>,
  detailType: string,
  input: unknown,
  flags: { source?: string; bus?: string },
): { entry: RequestEntry; detail: T } {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = contractProblems(parsed.error);
    throw new ContractViolationError(
      `the request breaks the contract, nothing was sent:\n${describe(problems)}`,
      problems,
    );
  }
  return {
    detail: parsed.data,
    entry: { ...envelopeFields(flags), DetailType: detailType, Detail: JSON.stringify(parsed.data) },
  };
}

export function provisionEntry(flags: ProvisionFlags): {
  entry: RequestEntry;
  detail: ProvisionRequestedDetail;
} {
  const missing = (['workspace-id', 'org-id', 'runtime'] as const).filter(
    (flag) => flags[flag] === undefined,
  );
  if (missing.length > 0)
    throw new UsageError(`provision needs ${missing.map((flag) => `--${flag}`).join(', ')}`);
  const input: Record<string, unknown> = {
    requestId: flags['request-id'] ?? newRequestId(),
    workspaceId: flags['workspace-id'],
    orgId: flags['org-id'],
    runtime: flags.runtime,
    ...(flags.kind !== undefined ? { kind: flags.kind } : {}),
    ...(flags.tier !== undefined ? { tier: tierOf(flags.tier) } : {}),
    ...(flags.template !== undefined ? { template: flags.template } : {}),
    ...(flags.env !== undefined && flags.env.length > 0 ? { env: parseEnvFlags(flags.env) } : {}),
    ...(flags.secrets !== undefined ? { secrets: secretScopesOf(flags.secrets) } : {}),
    ...storageOf(flags),
  };
  return validatedEntry(ProvisionRequestedDetail, DETAIL_TYPES.provisionRequested, input, flags);
}

/**
 * Builds a `Workspace Deprovision Requested` entry from flags, validated by the contract.
 *
 * @throws UsageError naming each bad flag.
 */
export function deprovisionEntry(flags: DeprovisionFlags): {
  entry: RequestEntry;
  detail: DeprovisionRequestedDetail;
} {
  if (flags['workspace-id'] === undefined) throw new UsageError('deprovision needs --workspace-id');
  const input = {
    requestId: flags['request-id'] ?? newRequestId(),
    workspaceId: flags['workspace-id'],
    ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
    ...(flags.erase ? { erase: true } : {}),
  };
  return validatedEntry(DeprovisionRequestedDetail, DETAIL_TYPES.deprovisionRequested, input, flags);
}

/**
 * Builds a `Workspace Restart Requested` entry from `workspaces restart <workspaceId>` and its flags.
 * Its detail has exactly Deprovision Requested's fields and limits (`requestId`, `workspaceId`,
 * optional `reason`), so that contract validates it until the contract has its own schema.
 *
 * @throws UsageError for a missing or doubled workspace id, and naming each bad flag.
 */
export function restartEntry(
  flags: RestartFlags,
  positionals: readonly string[],
): { entry: RequestEntry; detail: RestartRequestedDetail } {
  if (positionals.length > 1) {
    throw new UsageError(
      `restart takes one workspace id; got ${positionals.length}: ${positionals.map(safeText).join(' ')}`,
    );
  }
  const [argument] = positionals;
  const flag = flags['workspace-id'];
  if (argument !== undefined && flag !== undefined && argument !== flag) {
    throw new UsageError('restart: give the workspace id once, as the argument or as --workspace-id');
  }
  const workspaceId = argument ?? flag;
  if (workspaceId === undefined)
    throw new UsageError('restart needs the workspace id: workspaces restart <workspaceId>');
  const input = {
    requestId: flags['request-id'] ?? newRequestId(),
    workspaceId,
    ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
  };
  return validatedEntry(RestartRequestedDetail, DETAIL_TYPES.restartRequested, input, flags);
}
