/**
 * `POST /local/requests/check`: the console's forms checked by exactly the code the `workspaces`
 * CLI checks its flags with (`local/cli/requests.ts`: the contract's zod schemas, the same field
 * names and the same messages). The answer is the PutEvents entry, ready to send, or the problems;
 * nothing is sent here: the console then publishes the entry with PutEvents, as the CLI does.
 */
import { ContractViolationError, UsageError } from '#local/cli/errors.ts';
import { deprovisionEntry, provisionEntry, type RequestEntry, restartEntry } from '#local/cli/requests.ts';
import type { WireAnswer } from '#local/wire/index.ts';
import { badRequest, jsonAnswer } from './json-answer.ts';

/** The commands a form stands for. */
const COMMANDS = ['provision', 'deprovision', 'restart'] as const;
type Command = (typeof COMMANDS)[number];

/** The flags a form may send: the CLI's, by their flag names without `--`. */
const STRING_FLAGS = new Set([
  'workspace-id',
  'org-id',
  'runtime',
  'kind',
  'tier',
  'template',
  'secrets',
  'reason',
  'request-id',
  // v1.3
  'size-gib',
]);

/** The flags a form may send as true or false. */
const BOOLEAN_FLAGS = new Set(['erase', 'persistent']);

/** The form's values as the CLI's parsed flags; undefined when a value has the wrong type. */
function flagsOf(input: Record<string, unknown>): Record<string, unknown> | undefined {
  const flags: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    if (STRING_FLAGS.has(name) && typeof value === 'string') flags[name] = value;
    else if (name === 'env' && Array.isArray(value) && value.every((pair) => typeof pair === 'string'))
      flags[name] = value;
    else if (BOOLEAN_FLAGS.has(name) && typeof value === 'boolean') flags[name] = value;
    else return undefined;
  }
  return flags;
}

function entryOf(command: Command, flags: Record<string, unknown>): RequestEntry {
  if (command === 'provision') return provisionEntry(flags).entry;
  if (command === 'deprovision') return deprovisionEntry(flags).entry;
  return restartEntry(flags, []).entry;
}

/**
 * Checks `{"command": "provision" | "deprovision" | "restart", "flags": {...}}`: 200 `{entry}`,
 * or 400 `{message, problems: [{field, flag, message}]}` with the CLI's message and each field's.
 */
export function checkRequest(body: Buffer): WireAnswer {
  let input: unknown;
  try {
    input = JSON.parse(body.toString('utf8'));
  } catch {
    return badRequest('the body is not JSON');
  }
  const { command, flags: rawFlags } = (typeof input === 'object' && input !== null ? input : {}) as {
    command?: unknown;
    flags?: unknown;
  };
  if (typeof command !== 'string' || !(COMMANDS as readonly string[]).includes(command)) {
    return badRequest(`command must be one of ${COMMANDS.join(', ')}`);
  }
  const flags =
    typeof rawFlags === 'object' && rawFlags !== null && !Array.isArray(rawFlags)
      ? flagsOf(rawFlags as Record<string, unknown>)
      : undefined;
  if (flags === undefined) {
    return badRequest(
      `flags must be an object of the CLI's flags (${[...STRING_FLAGS, 'env', 'erase'].join(', ')})`,
    );
  }
  try {
    return jsonAnswer(200, { entry: entryOf(command as Command, flags) });
  } catch (error) {
    if (error instanceof ContractViolationError) {
      return jsonAnswer(400, { message: error.message, problems: error.problems });
    }
    if (error instanceof UsageError) return jsonAnswer(400, { message: error.message, problems: [] });
    throw error;
  }
}
