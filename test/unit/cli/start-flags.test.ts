import { describe, expect, it } from 'vitest';
import { FlagError } from '#local/cli/errors.ts';
import { parseStartFlags } from '#local/cli/start-flags.ts';

const flagError = (argv: string[], env: Record<string, string> = {}): string => {
  try {
    parseStartFlags(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(FlagError);
    return (error as Error).message;
  }
  throw new Error('expected a FlagError');
};

describe('parseStartFlags', () => {
  it('defaults to port 4010, the process driver and .local/', () => {
    expect(parseStartFlags([], {})).toEqual({
      help: false,
      options: { port: 4010, stateDir: '.local/', driver: 'process' },
    });
  });

  it('runs the asset channel stand-in unless --no-asset-channel turns it off', () => {
    expect(parseStartFlags([], {}).options.assetChannel).toBeUndefined();
    expect(parseStartFlags(['--no-asset-channel'], {}).options.assetChannel).toBe(false);
  });

  it('takes the port from LOCAL_PORT, and --port over it', () => {
    expect(parseStartFlags([], { LOCAL_PORT: '5000' }).options.port).toBe(5000);
    expect(parseStartFlags(['--port', '0'], { LOCAL_PORT: '5000' }).options.port).toBe(0);
  });

  it('reads the quota, the faults and the tuning flags', () => {
    const { options } = parseStartFlags(
      [
        '--ecs-quota-burst',
        '1000',
        '--ecs-quota-rate',
        '200',
        '--fault-capacity',
        '0.1',
        '--fault-throttle',
        '0.2',
        '--fault-put-events',
        '0.05',
        '--fault-seed',
        '7',
        '--retry-delay-scale',
        '0.001',
        '--provision-concurrency',
        '50',
        '--sweep-interval',
        '5',
        '--template-assets-timeout',
        '30',
        '--recovery-attempts',
        '2',
        '--recovery-window',
        '600',
        '--recovery-backoff',
        '0.5',
        '--data-save-wait',
        '15',
        '--reconcile-grace',
        '0',
        '--driver',
        'simulated',
        '--reset',
      ],
      {},
    );
    expect(options).toMatchObject({
      quota: { burst: 1000, ratePerSecond: 200 },
      faults: { capacityFailureRate: 0.1, throttleRate: 0.2, putEventsFailureRate: 0.05, seed: 7 },
      retryDelayScale: 0.001,
      reservedConcurrency: 50,
      sweepIntervalMs: 5000,
      templateAssetsTimeoutSeconds: 30,
      recoveryAttempts: 2,
      recoveryWindowSeconds: 600,
      recoveryBackoffSeconds: 0.5,
      dataSaveWaitSeconds: 15,
      reconcileGraceSeconds: 0,
      driver: 'simulated',
      reset: true,
    });
  });

  it.each([
    [['--port', '70000'], '--port must be a whole number from 0 to 65535; got "70000"'],
    [['--driver', 'k8s'], '--driver must be one of process, simulated, docker; got "k8s"'],
    [['--fault-capacity', '1.5'], '--fault-capacity must be a probability from 0 to 1; got "1.5"'],
    [['--ecs-quota-burst', '10'], '--ecs-quota-burst and --ecs-quota-rate go together'],
    [['--region', 'Mars'], '--region must look like us-east-1; got "Mars"'],
    [['--retry-delay-scale', '0'], '--retry-delay-scale must be a number above 0, at most 1; got "0"'],
    [['--prot', '1'], "Unknown option '--prot'"],
    [
      ['--template-assets-timeout', '0'],
      '--template-assets-timeout must be a whole number from 1 to 86400; got "0"',
    ],
    [
      ['--fault-function-errors', 'deprovision,nope'],
      '--fault-function-errors must be a comma-separated list of provision, overlay',
    ],
    [['--fault-function-errors', ','], '--fault-function-errors must be a comma-separated list'],
    [['--recovery-attempts', '0'], '--recovery-attempts must be a whole number from 1 to 1000; got "0"'],
    [['--recovery-attempts', '2.5'], '--recovery-attempts must be a whole number from 1 to 1000; got "2.5"'],
    [['--recovery-attempts', 'five'], '--recovery-attempts must be a whole number'],
    [['--recovery-window', '0'], '--recovery-window must be a whole number from 1 to 604800; got "0"'],
    [['--recovery-window', '90.5'], '--recovery-window must be a whole number from 1 to 604800; got "90.5"'],
    [['--recovery-backoff=-1'], '--recovery-backoff must be seconds from 0 to 120; got "-1"'],
    [['--recovery-backoff', ''], '--recovery-backoff must be seconds from 0 to 120; got ""'],
    [['--recovery-backoff', '121'], '--recovery-backoff must be seconds from 0 to 120; got "121"'],
    [['--data-save-wait', '901'], '--data-save-wait must be a whole number from 0 to 900; got "901"'],
    [['--data-save-wait', '1.5'], '--data-save-wait must be a whole number from 0 to 900; got "1.5"'],
    [['--reconcile-grace', '3601'], '--reconcile-grace must be a whole number from 0 to 3600; got "3601"'],
    [['--reconcile-grace=-1'], '--reconcile-grace must be a whole number from 0 to 3600; got "-1"'],
  ])('refuses %j', (argv, message) => {
    expect(flagError(argv)).toContain(message);
  });

  it('leaves the recovery settings to the stack when no recovery flag is given', () => {
    const { options } = parseStartFlags([], {});
    expect(options.recoveryAttempts).toBeUndefined();
    expect(options.recoveryWindowSeconds).toBeUndefined();
    expect(options.recoveryBackoffSeconds).toBeUndefined();
  });

  it('takes a recovery backoff of 0 (relaunch at once)', () => {
    expect(parseStartFlags(['--recovery-backoff', '0'], {}).options.recoveryBackoffSeconds).toBe(0);
  });

  it('reads the functions to fail, each once', () => {
    expect(
      parseStartFlags(['--fault-function-errors', 'deprovision, overlay,deprovision'], {}).options.faults,
    ).toEqual({ functionErrors: ['deprovision', 'overlay'] });
  });

  it('refuses a bad LOCAL_PORT, naming the variable', () => {
    expect(flagError([], { LOCAL_PORT: 'http' })).toContain('--port (LOCAL_PORT) must be a whole number');
  });
});
