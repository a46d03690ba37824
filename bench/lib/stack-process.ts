import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * The local stack as its own process, started the way `npm start` starts it, so that the figures
 * (and a SIGKILL) concern the stack alone and not the benchmark client beside it.
 */

const root = join(import.meta.dirname, '..', '..');

export interface StackProcessOptions {
  readonly stateDir: string;
  readonly driver?: 'simulated' | 'process';
  readonly port?: number;
  /** Extra `npm start` flags, e.g. ['--ecs-quota-burst', '1000']. */
  readonly flags?: readonly string[];
}

export interface StackProcess {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Peak resident set size so far (VmHWM), in MiB. */
  peakRssMb(): Promise<number>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** A free loopback port. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts the stack and resolves once it prints its ready line. */
export async function startStackProcess(options: StackProcessOptions): Promise<StackProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'local', 'main.ts'),
      '--port',
      String(port),
      '--state-dir',
      options.stateDir,
      '--driver',
      options.driver ?? 'simulated',
      ...(options.flags ?? []),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`the local stack did not get ready in 60 s:\n${output.slice(-2000)}`)),
      60_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/ready at http/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
      if (output.length > 100_000) output = output.slice(-10_000);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the local stack exited with ${code} before it was ready:\n${output.slice(-2000)}`));
    });
  });
  // Keep draining its output so a full pipe never stalls it.
  child.stdout?.resume();
  child.stderr?.resume();
  const pid = child.pid as number;
  return {
    url,
    pid,
    child,
    async peakRssMb() {
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
      return kib / 1024;
    },
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      await exited;
    },
  };
}
