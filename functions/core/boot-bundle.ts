/**
 * The boot bundle: the prepared `/configs` files of one request, as an env file that ECS hands to
 * the boot step (`environmentFiles`), which writes each file and checks its SHA-256
 * (`wiring/boot-step.ts`). An env file, because then the task execution role, not the workspace,
 * reads it: the workspace containers get no access to the bucket at all (decision 018).
 *
 * Format, one `VARIABLE=VALUE` per line, `#` comments:
 * ```
 * BOOT_FILE_COUNT=<n>
 * BOOT_FILE_<i>_PATH=<relative path>
 * BOOT_FILE_<i>_SHA256=<hex>
 * BOOT_FILE_<i>_CHUNKS=<m>
 * BOOT_FILE_<i>_CHUNK_<j>=<base64, at most BOOT_CHUNK_CHARS characters>
 * ```
 * Chunks keep every line under the container runtime's env-file line limit (Docker's scanner
 * stops at 64 KiB) and every variable under Linux's 128 KiB per environment string.
 */
import { createHash } from 'node:crypto';
import { BootBundleError } from './errors.ts';

/** Base64 characters per chunk variable. */
export const BOOT_CHUNK_CHARS = 32_768;
/** At most this many files. */
export const BOOT_MAX_FILES = 100;
/** At most this many bytes in all (before base64): the environment of one process is ~2 MiB. */
export const BOOT_MAX_TOTAL_BYTES = 512 * 1024;
/** A relative path of safe segments: no `.`/`..`, no leading `/`, no shell metacharacters. */
export const BOOT_PATH_PATTERN = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;
export const BOOT_PATH_MAX_CHARS = 256;

/** One file of `/configs`, as it is written and reported. */
export interface BootFile {
  /** Relative to `/configs`. */
  readonly path: string;
  readonly content: Buffer;
}

/** What `Workspace Config Overlay Applied` reports per file. */
export interface BootFileManifestEntry {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export const sha256Hex = (content: Buffer | string): string =>
  createHash('sha256').update(content).digest('hex');

/** Why a path cannot be a `/configs` file, or undefined when it can. */
export function bootPathProblem(path: string): string | undefined {
  if (path.length === 0 || path.length > BOOT_PATH_MAX_CHARS) {
    return `path "${path.slice(0, 64)}" must be 1 to ${BOOT_PATH_MAX_CHARS} characters`;
  }
  if (!BOOT_PATH_PATTERN.test(path)) {
    return `path ${JSON.stringify(path)} must be relative, of segments of A-Za-z0-9._- and without . or ..`;
  }
  return undefined;
}

/** The manifest of files, sorted by path. */
export function manifestOf(files: readonly BootFile[]): BootFileManifestEntry[] {
  return [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((file) => ({ path: file.path, bytes: file.content.length, sha256: sha256Hex(file.content) }));
}

/**
 * Encodes files as a boot bundle env file.
 *
 * @throws BootBundleError when a path is unsafe or repeated, or the files exceed the limits.
 */
export function encodeBootBundle(files: readonly BootFile[], comment?: string): string {
  if (files.length > BOOT_MAX_FILES) {
    throw new BootBundleError(`${files.length} files; the boot step takes at most ${BOOT_MAX_FILES}`);
  }
  const seen = new Set<string>();
  let total = 0;
  for (const file of files) {
    const problem = bootPathProblem(file.path);
    if (problem) throw new BootBundleError(problem, 'refused-path');
    if (seen.has(file.path)) throw new BootBundleError(`path "${file.path}" appears twice`);
    seen.add(file.path);
    total += file.content.length;
  }
  if (total > BOOT_MAX_TOTAL_BYTES) {
    throw new BootBundleError(`${total} bytes in all; the boot step takes at most ${BOOT_MAX_TOTAL_BYTES}`);
  }
  const lines: string[] = [];
  if (comment) lines.push(`# ${comment.replace(/[\r\n]+/g, ' ')}`);
  const ordered = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  lines.push(`BOOT_FILE_COUNT=${ordered.length}`);
  ordered.forEach((file, index) => {
    const encoded = file.content.toString('base64');
    const chunks: string[] = [];
    for (let offset = 0; offset < encoded.length; offset += BOOT_CHUNK_CHARS) {
      chunks.push(encoded.slice(offset, offset + BOOT_CHUNK_CHARS));
    }
    lines.push(`BOOT_FILE_${index}_PATH=${file.path}`);
    lines.push(`BOOT_FILE_${index}_SHA256=${sha256Hex(file.content)}`);
    lines.push(`BOOT_FILE_${index}_CHUNKS=${chunks.length}`);
    chunks.forEach((chunk, chunkIndex) => {
      lines.push(`BOOT_FILE_${index}_CHUNK_${chunkIndex}=${chunk}`);
    });
  });
  return `${lines.join('\n')}\n`;
}

/**
 * Parses an env file as the container runtime does: `VARIABLE=VALUE` per line, the value taken as
 * is (no quotes, no escapes), `#` comment lines and blank lines ignored, a later line winning over
 * an earlier one for the same name. A line without `=` names a variable of the caller's own
 * environment in Docker; ECS has none to give, so it is skipped.
 */
export function parseEnvFile(text: string): Map<string, string> {
  const variables = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    if (equals <= 0) continue;
    variables.set(line.slice(0, equals), line.slice(equals + 1));
  }
  return variables;
}

/**
 * Decodes a boot bundle into its files, checking each file's SHA-256 as the boot step does.
 *
 * @throws BootBundleError when the bundle is malformed, a path is unsafe, or a file does not
 *   match its SHA-256 (the boot step then exits non-zero and the task does not start).
 */
export function decodeBootBundle(text: string): BootFile[] {
  return decodeBootVariables(parseEnvFile(text));
}

/**
 * Decodes a boot bundle from the variables it became in the boot container's environment.
 *
 * @throws BootBundleError as {@link decodeBootBundle} does.
 */
export function decodeBootVariables(variables: ReadonlyMap<string, string>): BootFile[] {
  const count = Number(variables.get('BOOT_FILE_COUNT') ?? '0');
  if (!Number.isInteger(count) || count < 0) throw new BootBundleError('BOOT_FILE_COUNT is not a count');
  const files: BootFile[] = [];
  for (let index = 0; index < count; index += 1) {
    const path = variables.get(`BOOT_FILE_${index}_PATH`) ?? '';
    const problem = bootPathProblem(path);
    if (problem) throw new BootBundleError(problem, 'refused-path');
    const chunks = Number(variables.get(`BOOT_FILE_${index}_CHUNKS`) ?? 'NaN');
    if (!Number.isInteger(chunks) || chunks < 0) {
      throw new BootBundleError(`BOOT_FILE_${index}_CHUNKS is not a count`);
    }
    let encoded = '';
    for (let chunk = 0; chunk < chunks; chunk += 1) {
      encoded += variables.get(`BOOT_FILE_${index}_CHUNK_${chunk}`) ?? '';
    }
    const content = Buffer.from(encoded, 'base64');
    if (sha256Hex(content) !== variables.get(`BOOT_FILE_${index}_SHA256`)) {
      throw new BootBundleError(`${path} does not match its sha256`, 'hash-mismatch');
    }
    files.push({ path, content });
  }
  return files;
}
