import { Worker } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import type { PortOperation, PortOperations } from '#local/ports/remote.ts';
import type { FunctionName } from '#wiring/functions.ts';
import type { HandlerSetup } from './handlers.ts';
import type { InvocationError, LambdaHandler } from './invoker.ts';

/** What the pool posts to a handler thread. */
export type WorkerRequest =
  | {
      readonly type: 'invoke';
      readonly id: number;
      readonly functionName: string;
      readonly event: unknown;
      readonly awsRequestId: string;
      readonly deadline: number;
    }
  | {
      readonly type: 'port-result';
      readonly id: number;
      readonly result?: unknown;
      readonly error?: { readonly name: string; readonly message: string };
    }
  | { readonly type: 'close' };

/** What a handler thread sends: ready, an invocation's outcome, or a port operation to run. */
export type WorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly id: number; readonly error?: InvocationError }
  | {
      readonly type: 'port';
      readonly id: number;
      readonly operation: PortOperation;
      readonly args: unknown[];
    };

/** An error a handler thread reported, rebuilt so the invoker reads the same name, message and trace. */
class RemoteInvocationError extends Error {
  constructor(error: InvocationError) {
    super(error.errorMessage);
    this.name = error.errorType;
    this.stack =
      error.trace.length > 0 ? error.trace.join('\n') : `${error.errorType}: ${error.errorMessage}`;
  }
}

interface Thread {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve(): void; reject(error: Error): void }>;
  exited: boolean;
}

export interface HandlerPool {
  /** A handler per function that runs on the pool's threads (least busy first). */
  handler(functionName: FunctionName): LambdaHandler;
  /** Asks each thread to close its clients and database, and waits (up to 2 s) for it to exit. */
  close(): Promise<void>;
}

const WORKER_URL = new URL('./handler-worker.ts', import.meta.url);

/**
 * Runs the handlers on `threads` worker threads, so they use another core than the stack's HTTP
 * server, bus, ECS emulator and bookkeeping. Each thread builds the handlers as the stack does
 * ({@link HandlerSetup}) with its own SDK clients and its own connection to the same sqlite file.
 * Resolves once every thread has built its handlers.
 *
 * @throws Error when a thread cannot start (its own error, as the cause).
 */
export async function startHandlerPool(
  threads: number,
  setup: HandlerSetup & { readonly account: string },
  ports: PortOperations,
): Promise<HandlerPool> {
  let nextId = 1;
  const pool: Thread[] = [];
  const ready: Array<Promise<void>> = [];
  for (let index = 0; index < threads; index++) {
    const worker = new Worker(WORKER_URL, { workerData: setup, name: `handlers-${index + 1}` });
    const thread: Thread = { worker, pending: new Map(), exited: false };
    pool.push(thread);
    ready.push(
      new Promise<void>((resolve, reject) => {
        const fail = (error: Error) => {
          thread.exited = true;
          for (const call of thread.pending.values()) call.reject(error);
          thread.pending.clear();
          reject(new Error(`handler thread ${index + 1} stopped: ${error.message}`, { cause: error }));
        };
        worker.on('message', (reply: WorkerReply) => {
          if (reply.type === 'ready') {
            resolve();
            return;
          }
          if (reply.type === 'port') {
            worker.postMessage(runPort(ports, reply.id, reply.operation, reply.args));
            return;
          }
          const call = thread.pending.get(reply.id);
          if (!call) return;
          thread.pending.delete(reply.id);
          if (reply.error) call.reject(new RemoteInvocationError(reply.error));
          else call.resolve();
        });
        worker.on('error', fail);
        worker.on('exit', (code) => fail(exitError(code)));
      }),
    );
  }
  const closeAll = async () => {
    await Promise.all(
      pool.map(async ({ worker, exited }) => {
        if (exited) return;
        const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        worker.postMessage({ type: 'close' } satisfies WorkerRequest);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([gone, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)))]);
        clearTimeout(timer);
        await worker.terminate();
      }),
    );
  };
  try {
    await Promise.all(ready);
  } catch (error) {
    await closeAll();
    throw error;
  }

  const pick = (): Thread | undefined => {
    let best: Thread | undefined;
    for (const thread of pool) {
      if (thread.exited) continue;
      if (!best || thread.pending.size < best.pending.size) best = thread;
    }
    return best;
  };

  return {
    handler(functionName) {
      return (event: unknown, context: Context) =>
        new Promise<void>((resolve, reject) => {
          const thread = pick();
          if (!thread) {
            reject(new RemoteInvocationError(exitErrorShape('every handler thread has stopped')));
            return;
          }
          const id = nextId++;
          thread.pending.set(id, { resolve, reject });
          thread.worker.postMessage({
            type: 'invoke',
            id,
            functionName,
            event,
            awsRequestId: context.awsRequestId,
            deadline: Date.now() + context.getRemainingTimeInMillis(),
          } satisfies WorkerRequest);
        });
    },
    close: closeAll,
  };
}

/** Runs a handler thread's port operation on the stack's connection; its error goes back by name. */
function runPort(
  ports: PortOperations,
  id: number,
  operation: PortOperation,
  args: unknown[],
): WorkerRequest {
  try {
    const run = ports[operation] as (...values: unknown[]) => unknown;
    return { type: 'port-result', id, result: run(...args) };
  } catch (error) {
    const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
    return { type: 'port-result', id, error: { name, message } };
  }
}

const exitErrorShape = (message: string): InvocationError => ({
  errorType: 'Runtime.ExitError',
  errorMessage: message,
  trace: [],
});

const exitError = (code: number): Error =>
  new RemoteInvocationError(exitErrorShape(`the handler thread exited with code ${code}`));
