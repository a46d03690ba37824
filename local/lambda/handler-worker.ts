import { parentPort, workerData } from 'node:worker_threads';
import { lambdaContext } from '#local/lambda/context.ts';
import { buildHandlers, type HandlerSetup } from '#local/lambda/handlers.ts';
import { toInvocationError } from '#local/lambda/invoker.ts';
import { type PortCall, remotePorts } from '#local/ports/remote.ts';
import { FUNCTIONS, type FunctionName } from '#wiring/functions.ts';
import type { WorkerReply, WorkerRequest } from './handler-pool.ts';

/**
 * A handler thread: the six handlers built as the stack builds them, with their own SDK clients on
 * the stack's endpoint; their durable ports (idempotency, leases, task versions) are messages to
 * the stack's thread, which runs them on its one sqlite connection. It runs what the pool posts and
 * answers success or Lambda's error shape; timeouts, retries and bookkeeping stay with the invoker.
 */

const port = parentPort;
if (!port) throw new Error('handler-worker.ts runs as a worker thread');
const setup = workerData as HandlerSetup & { readonly account: string };

let nextCall = 1;
const calls = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
const call: PortCall = (operation, args) =>
  new Promise((resolve, reject) => {
    const id = nextCall++;
    calls.set(id, { resolve: resolve as (value: unknown) => void, reject });
    port.postMessage({ type: 'port', id, operation, args } satisfies WorkerReply);
  });
const built = buildHandlers(setup, remotePorts(call));

port.on('message', (message: WorkerRequest) => {
  switch (message.type) {
    case 'port-result': {
      const pending = calls.get(message.id);
      if (!pending) return;
      calls.delete(message.id);
      if (message.error)
        pending.reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
      else pending.resolve(message.result);
      return;
    }
    case 'close':
      built.close();
      port.close();
      return;
    case 'invoke':
      starts.push(message);
      if (starts.length === 1) setImmediate(startAll);
  }
});

// New invocations start after the I/O and port results of the running ones (the check phase comes
// after the poll phase), so a burst of new work does not stall the invocations already under way:
// above all the provision function's, whose reserved concurrency makes its latency the throughput.
let starts: Array<Extract<WorkerRequest, { type: 'invoke' }>> = [];
function startAll() {
  const batch = starts;
  starts = [];
  for (const message of batch) invoke(message);
}

function invoke(message: Extract<WorkerRequest, { type: 'invoke' }>) {
  const { id, functionName, event, awsRequestId, deadline } = message;
  const reply = (error?: ReturnType<typeof toInvocationError>) =>
    port?.postMessage({ type: 'done', id, ...(error ? { error } : {}) } satisfies WorkerReply);
  const handler = built.handlers[functionName as FunctionName];
  if (!handler) {
    reply({
      errorType: 'ResourceNotFoundException',
      errorMessage: `Function not found: ${functionName}`,
      trace: [],
    });
    return;
  }
  const context = lambdaContext({
    spec: FUNCTIONS[functionName as FunctionName],
    region: setup.region,
    account: setup.account,
    awsRequestId,
    deadline,
  });
  Promise.resolve()
    .then(() => handler(event, context))
    .then(
      () => reply(),
      (error: unknown) => reply(toInvocationError(error)),
    );
}

port.postMessage({ type: 'ready' } satisfies WorkerReply);
