import { parseArgs } from 'node:util';
import type { DriverName, FaultOptions, QuotaOptions } from '#local/interfaces.ts';
import {
  DEFAULT_HANDLER_THREADS,
  LOCAL_DATA_SAVE_WAIT_SECONDS,
  LOCAL_RECOVERY_DEFAULTS,
  type LocalStack,
  type LocalStackOptions,
} from '#local/stack.ts';
import { FUNCTION_NAMES } from '#wiring/functions.ts';
import { DEFAULT_PROVISION_RESERVED_CONCURRENCY } from '#wiring/names.ts';

/** `npm start`'s flags (local/main.ts), parsed and validated before anything starts. */

import { FlagError } from './errors.ts';

const START_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'state-dir': { type: 'string' },
  driver: { type: 'string' },
  region: { type: 'string' },
  'ecs-quota-burst': { type: 'string' },
  'ecs-quota-rate': { type: 'string' },
  'fault-capacity': { type: 'string' },
  'fault-throttle': { type: 'string' },
  'fault-put-events': { type: 'string' },
  'fault-seed': { type: 'string' },
  'fault-function-errors': { type: 'string' },
  'retry-delay-scale': { type: 'string' },
  'provision-concurrency': { type: 'string' },
  'sweep-interval': { type: 'string' },
  'template-assets-timeout': { type: 'string' },
  'recovery-attempts': { type: 'string' },
  'recovery-window': { type: 'string' },
  'recovery-backoff': { type: 'string' },
  'data-save-wait': { type: 'string' },
  'reconcile-grace': { type: 'string' },
  'handler-threads': { type: 'string' },
  registry: { type: 'string' },
  tag: { type: 'string' },
  reset: { type: 'boolean' },
  'no-asset-channel': { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Upper bounds of the recovery flags: beyond them a value says nothing more (the backoff is capped at 120 s). */
const MAX_RECOVERY_ATTEMPTS = 1000;
const MAX_RECOVERY_WINDOW_SECONDS = 604_800;
const MAX_RECOVERY_BACKOFF_SECONDS = 120;
/** v1.3: a launch waits at most this long for a save (a Lambda invocation lasts at most 900 s). */
const MAX_DATA_SAVE_WAIT_SECONDS = 900;

export const USAGE = `npm start -- [options]: the whole workspace-provisioner flow on this machine, no AWS account needed

  --port N                    port on 127.0.0.1 (default 4010, or LOCAL_PORT; 0 picks a free one)
  --host ADDRESS              loopback address to listen on (default 127.0.0.1)
  --state-dir DIR             durable state: events, deliveries, tasks, idempotency, DLQs (default .local/)
  --driver NAME               process (default: runs a stand-in workspace per task), simulated, docker
  --region REGION             region in ARNs and envelopes (default us-east-1)
  --ecs-quota-burst N         ECS RunTask quota: bucket size (needs --ecs-quota-rate; default off)
  --ecs-quota-rate N          ECS RunTask quota: calls per second refilled (needs --ecs-quota-burst)
  --fault-capacity P          share of RunTask calls answered with a capacity failure, 0 to 1 (default 0)
  --fault-throttle P          share of RunTask calls throttled, 0 to 1 (default 0)
  --fault-put-events P        share of PutEvents entries failed with InternalFailure, 0 to 1 (default 0)
  --fault-seed N              seed of the fault dice, for repeatable runs
  --fault-function-errors NAMES  comma-separated functions whose every invocation fails, so their
                              events end in the function's dead-letter queue (default none)
  --retry-delay-scale X       multiplies AWS's retry gaps: Lambda's 1 min and 2 min, EventBridge's
                              backoff (default 0.0166..., i.e. 1/60: Lambda retries after 1 s, then 2 s)
  --provision-concurrency N   reserved concurrency of the provision function (default ${DEFAULT_PROVISION_RESERVED_CONCURRENCY}, or sized to the emulated quota)
  --sweep-interval SECONDS    how often the timeout sweep runs (default 60, as deployed)
  --template-assets-timeout SECONDS  how long a request with a template waits for Workspace
                              Template Assets Staged before TEMPLATE_ASSETS_TIMEOUT, 1 to 86400 (default 300)
  --recovery-attempts N       recoveries of a crashing workspace allowed within the window before
                              Workspace Recovery Abandoned, 1 to ${MAX_RECOVERY_ATTEMPTS} (default ${LOCAL_RECOVERY_DEFAULTS.attempts}, as deployed)
  --recovery-window SECONDS   the crash-loop window those recoveries are counted in, 1 to ${MAX_RECOVERY_WINDOW_SECONDS}
                              (default ${LOCAL_RECOVERY_DEFAULTS.windowSeconds}, as deployed)
  --recovery-backoff SECONDS  base of the backoff before a recovery relaunches (doubling per attempt,
                              at most 120 s), 0 to ${MAX_RECOVERY_BACKOFF_SECONDS} (default ${LOCAL_RECOVERY_DEFAULTS.backoffSeconds}; 10 when deployed)
  --data-save-wait SECONDS    how long a persistent workspace's launch waits for the previous task's
                              data save before DATA_SAVE_PENDING, 0 to ${MAX_DATA_SAVE_WAIT_SECONDS} (default ${LOCAL_DATA_SAVE_WAIT_SECONDS}; 240 when deployed)
  --reconcile-grace SECONDS   how long the sweep leaves a task, a workspace or a data volume alone before
                              it counts as a finding, 0 to 3600 (default 120, as deployed)
  --handler-threads N         worker threads the Lambda handlers run on, 0 to 8; 0 runs them on the
                              stack's own thread (default ${DEFAULT_HANDLER_THREADS})
  --registry HOST/PATH        image registry of the runtime catalog (default config/runtimes.json's)
  --tag TAG                   image tag of the runtime catalog (default config/runtimes.json's)
  --no-asset-channel          do not run the stand-in for upstream's template asset channel, to test
                              your own channel (or stage by hand: workspaces assets stage)
  --reset                     clear the state directory's database before starting
  --quiet                     no log lines (the ready line is still printed)
  -h, --help                  this help`;

const DRIVERS: readonly DriverName[] = ['process', 'simulated', 'docker'];

function number(flag: string, text: string, check: (value: number) => boolean, expected: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || !check(value)) {
    throw new FlagError(`--${flag} must be ${expected}; got "${text}"`);
  }
  return value;
}

const integer = (flag: string, text: string, min: number, max: number) =>
  number(
    flag,
    text,
    (value) => Number.isInteger(value) && value >= min && value <= max,
    `a whole number from ${min} to ${max}`,
  );
const probability = (flag: string, text: string) =>
  number(flag, text, (value) => value >= 0 && value <= 1, 'a probability from 0 to 1');

/** A comma-separated list of the wiring's function names, each once. */
function functionNames(flag: string, text: string): string[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !(FUNCTION_NAMES as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new FlagError(
      `--${flag} must be a comma-separated list of ${FUNCTION_NAMES.join(', ')}; got "${text}"`,
    );
  }
  return [...new Set(names)];
}

/** What `npm start` runs with, parsed from argv and `LOCAL_PORT`. */
export interface StartCommand {
  readonly help: boolean;
  readonly options: LocalStackOptions;
}

/**
 * Parses `npm start`'s flags.
 *
 * @throws FlagError naming the flag and what a valid value looks like.
 */
export function parseStartFlags(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): StartCommand {
  let values: ReturnType<typeof parseArgs<{ options: typeof START_OPTIONS }>>['values'];
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: START_OPTIONS,
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new FlagError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const portText = values.port ?? env.LOCAL_PORT?.trim();
  const port = portText
    ? integer(values.port !== undefined ? 'port' : 'port (LOCAL_PORT)', portText, 0, 65_535)
    : 4010;
  const driver = values.driver ?? 'process';
  if (!DRIVERS.includes(driver as DriverName)) {
    throw new FlagError(`--driver must be one of ${DRIVERS.join(', ')}; got "${driver}"`);
  }
  if (values.region !== undefined && !/^[a-z]{2}(-[a-z0-9]+)+-\d+$/.test(values.region)) {
    throw new FlagError(`--region must look like us-east-1; got "${values.region}"`);
  }
  const burst = values['ecs-quota-burst'];
  const rate = values['ecs-quota-rate'];
  if ((burst === undefined) !== (rate === undefined)) {
    throw new FlagError('--ecs-quota-burst and --ecs-quota-rate go together: give both, or neither');
  }
  const quota: QuotaOptions | undefined =
    burst !== undefined && rate !== undefined
      ? {
          burst: integer('ecs-quota-burst', burst, 1, 1_000_000),
          ratePerSecond: number(
            'ecs-quota-rate',
            rate,
            (value) => value > 0 && value <= 1_000_000,
            'a number above 0',
          ),
        }
      : undefined;
  const faults: FaultOptions = {
    ...(values['fault-capacity'] !== undefined
      ? { capacityFailureRate: probability('fault-capacity', values['fault-capacity']) }
      : {}),
    ...(values['fault-throttle'] !== undefined
      ? { throttleRate: probability('fault-throttle', values['fault-throttle']) }
      : {}),
    ...(values['fault-put-events'] !== undefined
      ? { putEventsFailureRate: probability('fault-put-events', values['fault-put-events']) }
      : {}),
    ...(values['fault-function-errors'] !== undefined
      ? { functionErrors: functionNames('fault-function-errors', values['fault-function-errors']) }
      : {}),
    ...(values['fault-seed'] !== undefined
      ? { seed: integer('fault-seed', values['fault-seed'], 0, 2 ** 31 - 1) }
      : {}),
  };
  const retryDelayScale =
    values['retry-delay-scale'] !== undefined
      ? number(
          'retry-delay-scale',
          values['retry-delay-scale'],
          (value) => value > 0 && value <= 1,
          'a number above 0, at most 1',
        )
      : undefined;
  const reservedConcurrency =
    values['provision-concurrency'] !== undefined
      ? integer('provision-concurrency', values['provision-concurrency'], 1, 1000)
      : undefined;
  const sweepIntervalMs =
    values['sweep-interval'] !== undefined
      ? number(
          'sweep-interval',
          values['sweep-interval'],
          (value) => value >= 1 && value <= 3600,
          'seconds from 1 to 3600',
        ) * 1000
      : undefined;
  const templateAssetsTimeoutSeconds =
    values['template-assets-timeout'] !== undefined
      ? integer('template-assets-timeout', values['template-assets-timeout'], 1, 86_400)
      : undefined;
  const recoveryAttempts =
    values['recovery-attempts'] !== undefined
      ? integer('recovery-attempts', values['recovery-attempts'], 1, MAX_RECOVERY_ATTEMPTS)
      : undefined;
  const recoveryWindowSeconds =
    values['recovery-window'] !== undefined
      ? integer('recovery-window', values['recovery-window'], 1, MAX_RECOVERY_WINDOW_SECONDS)
      : undefined;
  const recoveryBackoffSeconds =
    values['recovery-backoff'] !== undefined
      ? number(
          'recovery-backoff',
          values['recovery-backoff'],
          (value) => value >= 0 && value <= MAX_RECOVERY_BACKOFF_SECONDS,
          `seconds from 0 to ${MAX_RECOVERY_BACKOFF_SECONDS}`,
        )
      : undefined;
  const dataSaveWaitSeconds =
    values['data-save-wait'] !== undefined
      ? integer('data-save-wait', values['data-save-wait'], 0, MAX_DATA_SAVE_WAIT_SECONDS)
      : undefined;
  const reconcileGraceSeconds =
    values['reconcile-grace'] !== undefined
      ? integer('reconcile-grace', values['reconcile-grace'], 0, 3600)
      : undefined;
  const handlerThreads =
    values['handler-threads'] !== undefined
      ? integer('handler-threads', values['handler-threads'], 0, 8)
      : undefined;
  return {
    help: values.help ?? false,
    options: {
      port,
      stateDir: values['state-dir'] ?? '.local/',
      driver: driver as DriverName,
      ...(values.host !== undefined ? { host: values.host } : {}),
      ...(values.region !== undefined ? { region: values.region } : {}),
      ...(quota ? { quota } : {}),
      ...(Object.keys(faults).length > 0 ? { faults } : {}),
      ...(retryDelayScale !== undefined ? { retryDelayScale } : {}),
      ...(reservedConcurrency !== undefined ? { reservedConcurrency } : {}),
      ...(sweepIntervalMs !== undefined ? { sweepIntervalMs } : {}),
      ...(templateAssetsTimeoutSeconds !== undefined ? { templateAssetsTimeoutSeconds } : {}),
      ...(recoveryAttempts !== undefined ? { recoveryAttempts } : {}),
      ...(recoveryWindowSeconds !== undefined ? { recoveryWindowSeconds } : {}),
      ...(recoveryBackoffSeconds !== undefined ? { recoveryBackoffSeconds } : {}),
      ...(dataSaveWaitSeconds !== undefined ? { dataSaveWaitSeconds } : {}),
      ...(reconcileGraceSeconds !== undefined ? { reconcileGraceSeconds } : {}),
      ...(handlerThreads !== undefined ? { handlerThreads } : {}),
      ...(values.registry !== undefined ? { registry: values.registry } : {}),
      ...(values.tag !== undefined ? { tag: values.tag } : {}),
      ...(values['no-asset-channel'] ? { assetChannel: false } : {}),
      ...(values.reset ? { reset: true } : {}),
      ...(values.quiet ? { quiet: true } : {}),
    },
  };
}

/** The line that says the stack serves, with its URL. */
export const readyLine = (stack: LocalStack, stateDir: string): string =>
  `workspace-provisioner local stack ready at ${stack.url} (driver=${stack.driver}, state=${stateDir}); console at ${stack.url}/console`;
