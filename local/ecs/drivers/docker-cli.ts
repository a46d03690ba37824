/**
 * Running the Docker CLI and reading its errors, for the `docker` task driver.
 *
 * The CLI's stderr mixes the daemon's error with its own chatter (`Unable to find image ... locally`,
 * `Run 'docker run --help'`, `Error: failed to start containers: <id>`); only the daemon's error says
 * what went wrong, so that is what a task's reason carries.
 */
import { execFile } from 'node:child_process';

/** What one CLI call gave back. */
export interface DockerCliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI; never rejects (a failure to spawn reads as exit code 1 with the error as stderr). */
export function runDocker(command: string, args: readonly string[]): Promise<DockerCliResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      { encoding: 'utf8', maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr: stderr || (error?.message ?? '') });
      },
    );
  });
}

/** The first non-blank line of `text`, trimmed ('' when there is none). */
export const firstLine = (text: string | null | undefined): string =>
  (text ?? '')
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '') ?? '';

/** Lines the CLI prints around the daemon's error that say nothing about the cause. */
const CLI_CHATTER = [
  /^Unable to find image .* locally$/,
  /^Run '.*--help' for more information$/,
  /^Error: failed to start containers?:/,
];

/**
 * The daemon's error in the CLI's stderr: the first line that is not CLI chatter, without the
 * `docker: ` prefix `docker run` adds; the first line when everything is chatter.
 */
export function daemonError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim().replace(/^docker: /, ''))
    .filter((line) => line !== '');
  return lines.find((line) => !CLI_CHATTER.some((chatter) => chatter.test(line))) ?? lines[0] ?? '';
}
