import * as z from 'zod';
import {
  CODE_INJECTION_ENV_NAMES,
  CODE_INJECTION_ENV_PREFIXES,
  FAILURE_CODES,
  KINDS,
  RECOVERY_MODES,
  RESERVED_ENV_PREFIXES,
  RUNTIME_NAMES,
  SECRET_ENV_WORDS,
  SECRET_SCOPES,
  STORAGE_MAX_GIB,
  STORAGE_MIN_GIB,
  SYSTEM_ENV_NAMES,
  TIERS,
} from './names.ts';

export { RUNTIME_NAMES };

/**
 * Field schemas shared by the event contracts. Each carries a message that names the field, and
 * every rule is one the JSON Schema generator can express, so zod and the published JSON Schemas
 * enforce the same contract.
 */

const boundedId = (field: string, charset: string, pattern: RegExp) =>
  z
    .string({ error: `${field} must be a string` })
    .min(1, { error: `${field} must be 1 to 64 characters` })
    .max(64, { error: `${field} must be 1 to 64 characters` })
    .regex(pattern, { error: `${field} may contain only ${charset}` });

export const requestIdField = boundedId('requestId', 'letters, digits and . _ : -', /^[A-Za-z0-9._:-]+$/);
export const workspaceIdField = boundedId('workspaceId', 'letters, digits, _ and -', /^[A-Za-z0-9_-]+$/);
export const orgIdField = boundedId('orgId', 'letters, digits, _ and -', /^[A-Za-z0-9_-]+$/);
export const templateField = boundedId('template', 'lower-case letters, digits and -', /^[a-z0-9-]+$/);

export const runtimeField = z.enum(RUNTIME_NAMES as [string, ...string[]], {
  error: `runtime must be one of the catalog's runtimes: ${RUNTIME_NAMES.join(', ')}`,
});

export const kindField = z.enum(KINDS, { error: `kind must be one of: ${KINDS.join(', ')}` });

export const tierField = z
  .number({ error: 'tier must be an integer from 1 to 4' })
  .int({ error: 'tier must be an integer from 1 to 4' })
  .min(TIERS[0], { error: 'tier must be an integer from 1 to 4' })
  .max(TIERS[TIERS.length - 1] as number, { error: 'tier must be an integer from 1 to 4' });

export const failureCodeField = z.enum(FAILURE_CODES);

/**
 * v1.2 `recovery`: whether a workspace that stops by itself is relaunched; the request schema
 * applies the default (`on-failure`), so a replay is the same request however it is spelled.
 */
export const recoveryField = z.enum(RECOVERY_MODES, {
  error: `recovery must be one of: ${RECOVERY_MODES.join(', ')}`,
});

/** The longest free-text `reason` a request may give (deprovision since v1, restart since v1.2). */
export const REQUEST_REASON_MAX_CHARS = 256;

/** A request's optional free-text `reason`, as deprovision has had it since v1. */
export const requestReasonField = z
  .string({ error: 'reason must be a string' })
  .max(REQUEST_REASON_MAX_CHARS, { error: `reason must be at most ${REQUEST_REASON_MAX_CHARS} characters` });

export const ENV_MAX_ENTRIES = 50;
export const ENV_MAX_TOTAL_BYTES = 4096;

/**
 * v1.1: a name one of whose `_`-separated words is a secret word (`MODEL_API_KEY`, `GITHUB_TOKEN`).
 * The word must match whole, so `KEYBOARD_LAYOUT` and `MONKEY` pass. As a lookahead, so that
 * {@link ENV_NAME_PATTERN} (and so the JSON Schema) carries it.
 */
const SECRET_WORD_LOOKAHEAD = `(?!(?:[A-Z0-9_]*_)?(?:${SECRET_ENV_WORDS.join('|')})(?:_|$))`;

/**
 * An env name: upper-case, and neither a name the system sets, nor under a reserved prefix, nor a
 * name that makes a loader or interpreter run code (`LD_PRELOAD`, `NODE_OPTIONS`, ...), nor a name
 * that looks like a secret's (v1.1: secrets go by reference, in `secrets`). The refusals are in the
 * regex itself (negative lookaheads) so the JSON Schema carries them too.
 */
export const ENV_NAME_PATTERN = new RegExp(
  `^(?!(?:${[...RESERVED_ENV_PREFIXES, ...CODE_INJECTION_ENV_PREFIXES].join('|')}))` +
    `(?!(?:${[...SYSTEM_ENV_NAMES, ...CODE_INJECTION_ENV_NAMES].join('|')})$)` +
    `${SECRET_WORD_LOOKAHEAD}[A-Z][A-Z0-9_]*$`,
);

const injects = (name: string): boolean =>
  CODE_INJECTION_ENV_PREFIXES.some((prefix) => name.startsWith(prefix)) ||
  (CODE_INJECTION_ENV_NAMES as readonly string[]).includes(name);

const isReservedName = (name: string): boolean =>
  !/^[A-Z][A-Z0-9_]*$/.test(name) ||
  (SYSTEM_ENV_NAMES as readonly string[]).includes(name) ||
  RESERVED_ENV_PREFIXES.some((prefix) => name.startsWith(prefix));

/** The secret word an env name contains as one of its `_`-separated words, if any. */
export function secretWordOf(name: string): string | undefined {
  const words = new Set(name.split('_'));
  return SECRET_ENV_WORDS.find((word) => words.has(word));
}

/** Why an env name is refused, naming it; the message for every name ENV_NAME_PATTERN refuses. */
export function envNameProblem(name: unknown): string {
  const quoted = JSON.stringify(name);
  const secretWord = typeof name === 'string' && !isReservedName(name) ? secretWordOf(name) : undefined;
  if (secretWord !== undefined && !injects(name as string)) {
    return (
      `env name ${quoted} looks like a secret (it contains the word ${secretWord}): env travels in ` +
      'events and task overrides, so secrets are never set there; put the value in a secrets file and ' +
      `list its scope in \`secrets\` (${SECRET_SCOPES.join(', ')})`
    );
  }
  if (typeof name === 'string' && injects(name)) {
    return (
      `env name ${quoted} is not allowed: loaders and interpreters read it to run code, so a request ` +
      `may not set it (refused: ${CODE_INJECTION_ENV_PREFIXES.map((prefix) => `${prefix}*`).join(', ')}, ` +
      `${CODE_INJECTION_ENV_NAMES.join(', ')})`
    );
  }
  return (
    `env name ${quoted} is not allowed: names match ^[A-Z][A-Z0-9_]*$, and ` +
    `${SYSTEM_ENV_NAMES.join(', ')} and the prefixes ${RESERVED_ENV_PREFIXES.join(', ')} are reserved`
  );
}

const envName = z.string().regex(ENV_NAME_PATTERN, { error: (issue) => envNameProblem(issue.input) });

/** UTF-8 bytes of every name and value together. */
export const envTotalBytes = (env: Record<string, string>): number => {
  let total = 0;
  for (const [name, value] of Object.entries(env))
    total += Buffer.byteLength(name) + Buffer.byteLength(value);
  return total;
};

/**
 * `env`: non-secret variables. The entry count and total size cannot both be said in plain JSON
 * Schema; `maxProperties` covers the count and the `x-maxTotalBytes` keyword (documented in the
 * generated schema) covers the size, and the contract tests implement it in Ajv.
 */
export const envField = z
  .record(envName, z.string({ error: 'env values must be strings' }), {
    // A bad key keeps the key schema's message, which names the key; only a non-object gets this one.
    error: (issue) =>
      issue.code === 'invalid_key'
        ? ((issue as { issues?: Array<{ message?: string }> }).issues?.[0]?.message ?? undefined)
        : 'env must be an object of strings',
  })
  .superRefine((env, ctx) => {
    const count = Object.keys(env).length;
    if (count > ENV_MAX_ENTRIES) {
      ctx.addIssue({
        code: 'custom',
        message: `env has ${count} entries; at most ${ENV_MAX_ENTRIES} are allowed`,
      });
    }
    const bytes = envTotalBytes(env);
    if (bytes > ENV_MAX_TOTAL_BYTES) {
      ctx.addIssue({
        code: 'custom',
        message: `env is ${bytes} bytes in all; at most ${ENV_MAX_TOTAL_BYTES} bytes are allowed`,
      });
    }
  })
  .meta({
    maxProperties: ENV_MAX_ENTRIES,
    'x-maxTotalBytes': ENV_MAX_TOTAL_BYTES,
    description: `Non-secret variables. At most ${ENV_MAX_ENTRIES} entries and ${ENV_MAX_TOTAL_BYTES} bytes of names and values (UTF-8) in all.`,
  });

/** v1.1: at most one of each scope. */
export const SECRETS_MAX_ENTRIES = SECRET_SCOPES.length;

/**
 * v1.1 `secrets`: the scopes whose env files the workspace gets, each at most once. Which scopes a
 * kind may list (`platform` only for `kind=platform`) is checked on the whole request.
 */
export const secretsField = z
  .array(z.enum(SECRET_SCOPES, { error: `secrets entries must be one of: ${SECRET_SCOPES.join(', ')}` }), {
    error: 'secrets must be an array of scopes',
  })
  .max(SECRETS_MAX_ENTRIES, { error: `secrets lists at most ${SECRETS_MAX_ENTRIES} scopes` })
  .refine((scopes) => new Set(scopes).size === scopes.length, {
    error: 'secrets lists each scope at most once',
  })
  .meta({
    uniqueItems: true,
    description:
      "Secrets scopes whose env files the workspace gets (by reference: only the files' ARNs travel). " +
      '`platform` is for kind platform only.',
  });

const sizeMessage = `storage.sizeGiB must be an integer from ${STORAGE_MIN_GIB} to ${STORAGE_MAX_GIB}`;

/**
 * v1.3 `storage`: `{"persistent": true, "sizeGiB": N}` keeps the workspace's data path on a volume
 * that is snapshotted at every stop and restored at every launch; without it (or with `persistent`
 * false) the workspace is ephemeral. `sizeGiB` defaults to the runtime's catalog size and applies
 * only to persistent storage.
 */
export const storageField = z
  .strictObject(
    {
      persistent: z.boolean({ error: 'storage.persistent must be true or false' }),
      sizeGiB: z
        .number({ error: sizeMessage })
        .int({ error: sizeMessage })
        .min(STORAGE_MIN_GIB, { error: sizeMessage })
        .max(STORAGE_MAX_GIB, { error: sizeMessage })
        .optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? undefined
          : 'storage must be an object like {"persistent": true}',
    },
  )
  .superRefine((storage, context) => {
    if (!storage.persistent && storage.sizeGiB !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['sizeGiB'],
        message: 'storage.sizeGiB applies only to persistent storage ("persistent": true)',
      });
    }
  })
  .meta({
    // The same rule in JSON Schema: sizeGiB only with persistent true.
    if: { required: ['sizeGiB'], properties: { sizeGiB: { type: 'integer' } } },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, never awaited
    then: { properties: { persistent: { const: true } } },
    description:
      "Persistent data: the runtime's data path survives restarts, recoveries and deprovisions until erased.",
  });

/** v1.3 `erase` of a deprovision: delete every snapshot and volume of the workspace's data. */
export const eraseField = z.boolean({ error: 'erase must be true or false' });
