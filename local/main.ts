import { resolve } from 'node:path';
import { FlagError } from '#local/cli/errors.ts';
import { parseStartFlags, readyLine, type StartCommand, USAGE } from '#local/cli/start-flags.ts';
import { consoleRoutes } from '#local/console/index.ts';
import { type LocalStack, startLocalStack } from '#local/stack.ts';

/**
 * `npm start`: the embedded local stack on loopback. Flags are validated before anything starts;
 * a bad flag exits with code 2 and says what a good one looks like. SIGINT or SIGTERM stop it
 * gracefully; a second one stops it at once.
 */

async function main(): Promise<number> {
  let command: StartCommand;
  try {
    command = parseStartFlags(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    process.stderr.write(`npm start: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (command.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let stack: LocalStack;
  try {
    stack = await startLocalStack({ ...command.options, mountRoutes: consoleRoutes });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const hint =
      code === 'EADDRINUSE'
        ? ` (port ${command.options.port} is taken: try --port 0 or --port N, or LOCAL_PORT)`
        : '';
    process.stderr.write(`npm start: the local stack did not start: ${(error as Error).message}${hint}\n`);
    return 1;
  }
  // Signal handlers go in before the ready line: whoever reads that line may signal at once, and a
  // SIGTERM that arrives before the handler exists kills the process without a graceful stop.
  const stopped = new Promise<number>((resolveExit) => {
    const stop = (signal: NodeJS.Signals) => {
      process.stdout.write(`${signal}: stopping the local stack\n`);
      stack.stop().then(
        () => resolveExit(0),
        (error: unknown) => {
          process.stderr.write(`npm start: stopping failed: ${(error as Error).message}\n`);
          resolveExit(1);
        },
      );
      // A second signal means: now.
      process.once(signal, () => process.exit(130));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  const { recovered } = stack;
  if (
    recovered.routedOnStart +
      recovered.queuedInvocations +
      recovered.interruptedInvocations +
      recovered.pendingRetries >
    0
  ) {
    process.stdout.write(
      `recovered from ${resolve(stack.stateDir)}: ${recovered.routedOnStart} event(s) routed, ` +
        `${recovered.pendingRetries} delivery retr(y/ies) due, ${recovered.queuedInvocations} invocation(s) queued, ` +
        `${recovered.interruptedInvocations} cut short and retried\n`,
    );
  }
  process.stdout.write(`${readyLine(stack, command.options.stateDir)}\n`);

  return stopped;
}

process.exitCode = await main();
