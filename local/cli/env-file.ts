/**
 * Secrets env files as ECS reads them (`environmentFiles`): one `VARIABLE=VALUE` per line, lines
 * starting with `#` are comments, blank lines are skipped, and the value is taken as written (no
 * quotes, no escapes), so a value cannot span lines
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/use-environment-file.html).
 * The CLI writes and reads them; it prints names, never values.
 */
import { CODE_INJECTION_ENV_NAMES, CODE_INJECTION_ENV_PREFIXES } from '#contracts/names.ts';
import { UsageError } from './errors.ts';

/** An environment variable name: a letter or `_`, then letters, digits and `_`. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

/** Why a name cannot be a secret's, or undefined when it can. */
export function secretNameProblem(name: string): string | undefined {
  if (!ENV_NAME.test(name)) {
    return `"${name.slice(0, 64)}" is not an environment variable name (a letter or _, then letters, digits and _)`;
  }
  if (
    CODE_INJECTION_ENV_PREFIXES.some((prefix) => name.startsWith(prefix)) ||
    (CODE_INJECTION_ENV_NAMES as readonly string[]).includes(name)
  ) {
    return `${name} makes a loader or interpreter run code of its choosing; the provisioner refuses it`;
  }
  return undefined;
}

/** Why a value cannot be written to an env file, or undefined when it can (never names the value). */
function secretValueProblem(name: string, value: string): string | undefined {
  if (/[\r\n\0]/.test(value))
    return `the value of ${name} holds a line break or NUL; an env file line cannot`;
  return undefined;
}

/**
 * Reads `NAME=VALUE` pairs (from arguments or a file's lines) into a map, checking each.
 *
 * @param where names the origin in errors: `argument` or `<file> line`.
 * @throws UsageError naming the pair's position and the name, never the value.
 */
export function readSecretPairs(
  pairs: readonly { readonly text: string; readonly where: string }[],
): Map<string, string> {
  const secrets = new Map<string, string>();
  for (const { text, where } of pairs) {
    const equals = text.indexOf('=');
    if (equals <= 0) throw new UsageError(`${where}: expected NAME=VALUE`);
    const name = text.slice(0, equals);
    const value = text.slice(equals + 1);
    const problem = secretNameProblem(name) ?? secretValueProblem(name, value);
    if (problem) throw new UsageError(`${where}: ${problem}`);
    if (secrets.has(name)) throw new UsageError(`${where}: ${name} is set more than once`);
    secrets.set(name, value);
  }
  return secrets;
}

/** The meaningful lines of an env file (not blank, not a comment), numbered from 1. */
export function envFileLines(text: string, file: string): { text: string; where: string }[] {
  return text
    .split(/\r?\n/)
    .map((line, index) => ({ text: line, where: `${file} line ${index + 1}` }))
    .filter((line) => line.text.trim() !== '' && !line.text.trimStart().startsWith('#'));
}

/** The names an env file sets, in file order (a later line for a name wins, as in Docker). */
export function envFileNames(text: string): string[] {
  const names = new Set<string>();
  for (const { text: line } of envFileLines(text, 'file')) {
    const equals = line.indexOf('=');
    names.add(equals > 0 ? line.slice(0, equals) : line);
  }
  return [...names];
}

/** Parses an env file that the CLI wrote (or a hand-written one) into a map. */
export function parseEnvFile(text: string, file: string): Map<string, string> {
  const secrets = new Map<string, string>();
  for (const { text: line, where } of envFileLines(text, file)) {
    const equals = line.indexOf('=');
    if (equals <= 0) throw new UsageError(`${where}: expected NAME=VALUE`);
    secrets.set(line.slice(0, equals), line.slice(equals + 1));
  }
  return secrets;
}

/** Writes an env file, names sorted, with a comment that says what it is. */
export function formatEnvFile(secrets: ReadonlyMap<string, string>, comment: string): string {
  const names = [...secrets.keys()].sort();
  return `# ${comment}\n${names.map((name) => `${name}=${secrets.get(name)}`).join('\n')}\n`;
}
