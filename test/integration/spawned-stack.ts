import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** The repository root, where `npm start` runs. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SpawnedStack {
  readonly child: ChildProcess;
  readonly url: string;
  readonly readyLine: string;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), then wait for the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs `npm start`'s entry as a child process, exactly as `npm start` does (`tsx local/main.ts`),
 * and resolves once the ready line is printed.
 */
export async function spawnStack(
  args: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    readyTimeoutMs?: number;
    viaNpm?: boolean;
    /** Extra `node` options before the entry (not with `viaNpm`). */
    nodeArgs?: readonly string[];
  } = {},
): Promise<SpawnedStack> {
  // Through npm, the stack is a grandchild: run it in its own process group and signal the group.
  const [command, commandArgs] = options.viaNpm
    ? ['npm', ['start', '--silent', '--', ...args]]
    : [process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', 'local/main.ts', ...args]];
  const child = spawn(command, commandArgs, {
    cwd: ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.viaNpm ?? false,
  });
  const signal = (name: NodeJS.Signals) => {
    if (options.viaNpm && child.pid !== undefined) process.kill(-child.pid, name);
    else child.kill(name);
  };
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = once(child, 'exit');
  const readyLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal('SIGKILL');
      reject(new Error(`no ready line within ${options.readyTimeoutMs ?? 20_000} ms; output:\n${output}`));
    }, options.readyTimeoutMs ?? 20_000);
    const check = () => {
      const line = output.split('\n').find((candidate) => candidate.includes('local stack ready at '));
      if (line) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve(line);
      }
    };
    child.stdout?.on('data', check);
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the stack exited before it was ready; output:\n${output}`));
    });
  });
  const url = /ready at (http:\/\/\S+)/.exec(readyLine)?.[1] as string;
  return {
    child,
    url,
    readyLine,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) signal('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) signal('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}
