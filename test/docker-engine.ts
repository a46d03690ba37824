/**
 * What the tests that need a real Docker engine share: whether one answers here, the one line they
 * print when it does not, the rule that CI must have one, the stand-in images, and the containers a
 * test left behind.
 *
 * The `docker` CLI honours `DOCKER_HOST`, so a daemon started by hand (as `.ci/run` does) is used as is.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** How long `docker version` may take before the engine counts as absent. */
const PROBE_TIMEOUT_MS = 15_000;

const BUILD_SCRIPT = fileURLToPath(new URL('../scripts/build-stand-in-images.sh', import.meta.url));

/** Whether a Docker engine answers, and if not, why. */
export interface DockerEngineProbe {
  readonly available: boolean;
  /** What failed, when no engine answers. */
  readonly why?: string;
}

/** Asks the engine for its version (`docker version`), the cheapest call that needs the daemon. */
export function probeDockerEngine(): DockerEngineProbe {
  const result = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], {
    encoding: 'utf8',
    timeout: PROBE_TIMEOUT_MS,
  });
  if (result.error === undefined && result.status === 0 && result.stdout.trim() !== '')
    return { available: true };
  const why =
    result.error?.message ??
    (result.stderr.split('\n').find((line) => line.trim() !== '') || `exit status ${result.status}`);
  return { available: false, why: why.trim() };
}

/**
 * The engine for a test file that needs one. Without one it prints one line saying why, so the file's
 * tests are skipped visibly; when `CI` is set it throws instead, since CI must run them for real.
 *
 * @throws Error when `CI` is set and no engine answers.
 */
export function dockerEngineFor(testFile: string): DockerEngineProbe {
  const probe = probeDockerEngine();
  if (probe.available) return probe;
  if (process.env.CI) {
    throw new Error(`${testFile}: CI is set but no Docker engine answers (${probe.why}); .ci/run starts one`);
  }
  console.warn(
    `${testFile}: skipped, no Docker engine answers here (${probe.why}); start dockerd and set DOCKER_HOST to run it`,
  );
  return probe;
}

/**
 * Builds (or keeps, when up to date) the stand-in image of every catalog runtime.
 *
 * @throws Error with the script's output when the build fails.
 */
export function buildStandInImages(): void {
  const result = spawnSync(BUILD_SCRIPT, { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) {
    throw new Error(`${BUILD_SCRIPT} failed (${result.error?.message ?? result.status}): ${result.stderr}`);
  }
}

/** Runs the docker CLI and returns its trimmed stdout and stderr. */
export function docker(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

/** Names and states (`docker ps -a`) of the containers labelled with one of `taskArns`, running or not. */
export function containersOf(label: string, taskArns: readonly string[]): string[] {
  return taskArns.flatMap((taskArn) => {
    const listed = docker(
      'ps',
      '--all',
      '--filter',
      `label=${label}=${taskArn}`,
      '--format',
      '{{.Names}} {{.State}}',
    );
    return listed.stdout === '' ? [] : listed.stdout.split('\n');
  });
}
